"""Prior and posterior errors are input errors: one base, the field kept."""

from __future__ import annotations

import pickle

import pytest

from bayes_widgets.core.errors import InputError
from bayes_widgets.core.posterior import PosteriorData, PosteriorError
from bayes_widgets.core.priors import PriorDist, PriorError


def test_a_bad_prior_is_an_input_error_naming_the_parameter():
    with pytest.raises(InputError) as info:
        PriorDist.create("Normal", sigma=-1.0)
    assert isinstance(info.value, PriorError) and info.value.field == "sigma"
    again = pickle.loads(pickle.dumps(info.value))
    assert str(again) == str(info.value) and again.field == "sigma"


def test_a_bad_posterior_is_an_input_error():
    with pytest.raises(InputError) as info:
        PosteriorData([1, 2, 3])
    assert isinstance(info.value, PosteriorError) and info.value.field == "source"
