"""What every widget shares: its class stays its own, with anywidget's traits declared."""

from __future__ import annotations

import traitlets

import bayes_widgets as bw
from bayes_widgets.widgets._base import BokehLibrary


def test_a_widget_keeps_its_class_and_anywidgets_id():
    editor = bw.PriorEditor("Gamma")
    # anywidget adds _anywidget_id per instance; declared, it makes no class per widget
    assert type(editor) is bw.PriorEditor
    assert editor._anywidget_id == "bayes_widgets.widgets.prior_editor.PriorEditor"
    assert "_anywidget_id" in editor.keys and editor.get_state()["_esm"] == editor._esm
    assert type(BokehLibrary.instance()) is BokehLibrary


def test_traits_a_class_does_not_declare_are_still_added():
    editor = bw.PriorEditor("Normal")
    editor.add_traits(extra=traitlets.Unicode("x").tag(sync=True))
    assert getattr(editor, "extra") == "x" and "extra" in editor.keys  # noqa: B009
    assert type(editor) is not bw.PriorEditor and isinstance(editor, bw.PriorEditor)
    assert type(bw.PriorEditor("Normal")) is bw.PriorEditor  # other widgets unchanged
