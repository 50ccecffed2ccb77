"""Old names of traits and keywords: they warn, name the new name, and still work."""

from __future__ import annotations

import warnings

import pytest
import traitlets

from bayes_widgets.core.deprecation import old_keywords, renamed_trait


class Card(traitlets.HasTraits):
    graph_figure = traitlets.Unicode("")
    graph_json = renamed_trait("graph_json", "graph_figure")


def test_renamed_trait_warns_naming_the_class_and_reads_the_new_trait():
    card = Card(graph_figure='{"doc": 1}')
    with pytest.warns(
        DeprecationWarning, match=r"Card\.graph_json is deprecated; use Card\.graph_figure"
    ):
        assert card.graph_json == '{"doc": 1}'
    card.graph_figure = "changed"
    with pytest.warns(DeprecationWarning) as caught:
        assert card.graph_json == "changed"
    assert caught[0].filename == __file__  # the warning points at the reading line
    assert Card.graph_json.__doc__ == "Deprecated: the old name of ``graph_figure``."


def test_renamed_trait_is_read_only():
    card = Card()
    with pytest.raises(AttributeError):
        card.graph_json = "x"  # pyright: ignore[reportAttributeAccessIssue]
    assert card.graph_figure == ""


@old_keywords(parameterisation="parameterization")
def create(family: str, *, parameterization: str | None = None, **values: object):
    """Builds a prior."""
    return family, parameterization, values


class Dist:
    @classmethod
    @old_keywords(parameterisation="parameterization")
    def create(cls, family: str, *, parameterization: str | None = None):
        return cls, family, parameterization


def test_old_keywords_move_the_old_keyword_to_the_new_one_with_a_warning():
    with pytest.warns(
        DeprecationWarning, match="create: the argument parameterisation is deprec"
    ) as caught:
        assert create("Gamma", parameterisation="mean_sd", mu=2.0) == (
            "Gamma",
            "mean_sd",
            {"mu": 2.0},
        )
    assert caught[0].filename == __file__
    with pytest.warns(DeprecationWarning, match=r"Dist\.create: the argument parameterisation"):
        made = Dist.create("Beta", parameterisation="mean_sd")  # pyright: ignore[reportCallIssue]
        assert made == (Dist, "Beta", "mean_sd")
    assert create.__name__ == "create" and create.__doc__ == "Builds a prior."


def test_old_keywords_stay_quiet_for_the_new_name_and_refuse_both():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert create("Gamma", parameterization="mean_sd") == ("Gamma", "mean_sd", {})
        assert create("Gamma") == ("Gamma", None, {})
    with pytest.raises(
        TypeError, match="parameterisation is the deprecated name of parameterization"
    ):
        create("Gamma", parameterisation="mean_sd", parameterization="mean_sd")
