"""%load_ext bayes_widgets: display hooks, the %fit magic, and a clean %unload_ext."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest
import xarray as xr
from IPython.core.interactiveshell import InteractiveShell

WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def shell():
    ip = InteractiveShell.instance()
    yield ip


def formatter_tables(ip):
    return {
        name: (dict(f.type_printers), dict(f.deferred_printers))
        for name, f in ip.display_formatter.formatters.items()
    } | {
        "mimebundle": (
            dict(ip.display_formatter.mimebundle_formatter.type_printers),
            dict(ip.display_formatter.mimebundle_formatter.deferred_printers),
        )
    }


def posterior_tree():
    rng = np.random.default_rng(0)
    post = xr.Dataset(
        {"mu": (("chain", "draw"), rng.normal(size=(2, 100)))},
        coords={"chain": [0, 1], "draw": np.arange(100)},
    )
    return xr.DataTree.from_dict({"/posterior": post})


def small_model():
    with pm.Model(coords={"obs": range(20)}) as model:
        mu = pm.Normal("mu", 0, 5)
        pm.Normal("y", mu, 1, observed=np.linspace(-1, 1, 20), dims="obs")
    return model


def test_load_then_unload_leaves_formatters_as_they_were(shell):
    before = formatter_tables(shell)
    plain = shell.display_formatter.format(posterior_tree())[0]
    assert WIDGET not in plain
    shell.run_line_magic("load_ext", "bayes_widgets")
    try:
        data, _ = shell.display_formatter.format(posterior_tree())
        assert WIDGET in data  # a PosteriorExplorer
        card, _ = shell.display_formatter.format(small_model())
        assert WIDGET in card  # a model card
        no_posterior = xr.DataTree.from_dict({"/observed_data": xr.Dataset({"y": ("obs", [1.0])})})
        assert WIDGET not in shell.display_formatter.format(no_posterior)[0]
        assert "fit" in shell.magics_manager.magics["line"]
    finally:
        shell.run_line_magic("unload_ext", "bayes_widgets")
    assert formatter_tables(shell) == before
    assert "fit" not in shell.magics_manager.magics["line"]
    assert WIDGET not in shell.display_formatter.format(posterior_tree())[0]
    # loading twice is harmless, and unloading still restores
    shell.run_line_magic("load_ext", "bayes_widgets")
    shell.run_line_magic("reload_ext", "bayes_widgets")
    shell.run_line_magic("unload_ext", "bayes_widgets")
    assert formatter_tables(shell) == before


def test_model_card_lists_variables_and_opens_the_prior_editor():
    from bayes_widgets.widgets.model_card import ModelCard

    card = ModelCard(small_model(), draws=50, seed=1)
    rows = {r["name"]: r for r in card.rows}
    assert rows["mu"]["kind"] == "free" and rows["mu"]["distribution"] == "Normal"
    assert (
        rows["y"]["kind"] == "observed"
        and rows["y"]["dims"] == ["obs"]
        and rows["y"]["parents"] == ["mu"]
    )
    assert card.coords == {"obs": 20}
    card._dispatch(card, {"type": "edit"}, [])
    assert card.editor_open and card.editor is not None
    assert card.container.children[-1] is card.editor
    card._dispatch(card, {"type": "edit"}, [])
    assert len(card.container.children) == 2  # one editor, not two
    with pytest.raises(TypeError, match="^model: "):
        ModelCard("not a model")


def test_fit_magics(shell):
    shell.run_line_magic("load_ext", "bayes_widgets")
    try:
        shell.user_ns["model"] = small_model()
        monitor = shell.run_line_magic(
            "fit", "model backend=nutpie draws=100 tune=100 chains=1 seed=1"
        )
        result = monitor.wait(120)
        assert result.status == "finished" and result.diagnostics.draws_per_chain == 100
        cell = (
            "import pymc as pm\nwith pm.Model() as other:\n    a = pm.Normal('a', 0, 1)\n"
            "    pm.Normal('b', a, 1, observed=[0.1, 0.2])\n"
        )
        monitor = shell.run_cell_magic("fit", "backend=nutpie draws=50 tune=50 chains=1", cell)
        assert monitor.wait(120).status == "finished"
        assert shell.user_ns["monitor"] is monitor and "a" in monitor.session.model.named_vars
        with pytest.raises(ValueError, match="not a PyMC model"):
            shell.run_line_magic("fit", "nothing_here")
    finally:
        shell.run_line_magic("unload_ext", "bayes_widgets")
