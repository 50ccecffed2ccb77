"""Fixtures for the Python side of the widgets: messages captured instead of sent."""

from __future__ import annotations

import json

import numpy as np
import pymc as pm
import pytest


class Outbox:
    """Replaces a widget's ``send``: keeps every custom message, JSON-checked."""

    def __init__(self):
        self.messages: list[dict] = []

    def __call__(self, content, buffers=None):
        json.dumps(content, allow_nan=False)
        self.messages.append(content)

    def of_type(self, kind: str) -> list[dict]:
        return [m for m in self.messages if m.get("type") == kind]


@pytest.fixture
def outbox():
    return Outbox()


@pytest.fixture(scope="session")
def small_model():
    rng = np.random.default_rng(3)
    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 5)
        sigma = pm.HalfNormal("sigma", 2)
        pm.Normal("y", mu, sigma, observed=rng.normal(1.0, 2.0, size=30))
    return model
