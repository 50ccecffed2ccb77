"""Graph rewrites that make a fit's log density and gradient cheaper, same model.

Two rewrites, registered with PyTensor's compiler once per process by :func:`enable`
(the PyMC and nutpie backends call it before they compile a model):

- convolutions of data take their data as one contiguous constant
  (:mod:`bayes_widgets.core.fitting.data_folding`): the same numbers to the last bit;
- the logistic saturation ``(1 - exp(-z)) / (1 + exp(-z))`` becomes ``2 sigmoid(z) - 1``
  (:data:`LOGISTIC_NAME`), the same function with one exponential where the gradient of
  the first form needs two. nutpie canonicalizes a model's log density before taking
  its gradient: from the quotient, that gradient keeps both exponentials, in separate
  loops. The two forms agree to rounding (about 1e-16 absolute); for large negative ``z``
  the quotient gives ``inf / inf`` where ``2 sigmoid(z) - 1`` gives -1.

On the 40-geo Meridian MMM (40 geos x 156 weeks x 5 channels) the log density and its
gradient as nutpie compiles them take about 375 microseconds an evaluation with both,
against about 540 with the folding alone and 640 with neither (numba, one core).
"""

from __future__ import annotations

import threading
from typing import cast

LOGISTIC_NAME = "bayes_widgets_logistic_one_exp"

_lock = threading.Lock()
_enabled: list[bool] = []


def enable() -> None:
    """Registers both rewrites with PyTensor's compiler, once per process: they then
    apply to every function compiled with the default rewrites (``fast_run``) and to
    graphs canonicalized with ``rewrite_graph(..., include=["canonicalize"])``."""
    with _lock:
        if _enabled:
            return
        from pytensor.tensor.rewriting.basic import register_canonicalize, register_specialize

        from bayes_widgets.core.fitting import data_folding

        register_specialize(data_folding.rewriter(), name=data_folding.REWRITE_NAME)
        register_canonicalize(logistic_rewriter(), name=LOGISTIC_NAME)
        _enabled.append(True)


def _inputs_of(var, scalar_op):
    """The inputs of ``var`` when it is an elementwise ``scalar_op``, else None."""
    from pytensor.tensor.elemwise import Elemwise

    owner = var.owner
    if (
        owner is None
        or not isinstance(owner.op, Elemwise)
        or not isinstance(owner.op.scalar_op, scalar_op)
    ):
        return None
    return owner.inputs


def logistic_rewriter():
    """The node rewriter: ``(1 - e) / (1 + e)`` with ``e = exp(x)`` (the same node in
    numerator and denominator, either order in the sum) becomes ``2 sigmoid(-x) - 1``;
    a numerator that is a product with one such difference (``beta * (1 - e)``) keeps
    its other factors."""
    import numpy as np
    import pytensor.scalar as ps
    import pytensor.tensor as pt
    from pytensor.graph.rewriting.basic import node_rewriter
    from pytensor.tensor.elemwise import Elemwise
    from pytensor.tensor.exceptions import NotScalarConstantError
    from pytensor.tensor.math import sigmoid
    from pytensor.tensor.variable import TensorVariable

    def is_one(var) -> bool:
        try:
            return bool(np.all(pt.get_underlying_scalar_constant_value(var) == 1))
        except NotScalarConstantError:
            return False

    @node_rewriter([Elemwise])
    def logistic_one_exp(fgraph, node):
        if not isinstance(node.op.scalar_op, ps.TrueDiv):
            return None
        factors = [node.inputs[0]]  # (1 - e) / (1 + e), or a * (1 - e) * b / (1 + e)
        product = _inputs_of(node.inputs[0], ps.Mul)
        if product is not None:
            factors = list(product)
        differences = [(f, sub) for f in factors if (sub := _inputs_of(f, ps.Sub)) is not None]
        denominator = _inputs_of(node.inputs[1], ps.Add)
        if len(differences) != 1 or denominator is None or len(denominator) != 2:
            return None
        difference, (one, e) = differences[0]
        if not is_one(one) or not any(d is e for d in denominator):
            return None
        other = denominator[1] if denominator[0] is e else denominator[0]
        power = _inputs_of(e, ps.Exp)
        if power is None or not is_one(other):
            return None
        out = 2 * cast(TensorVariable, sigmoid(-power[0])) - 1
        for factor in factors:
            if factor is not difference:
                out = factor * out
        before = node.outputs[0].type
        if out.type.dtype != before.dtype or out.type.ndim != before.ndim:
            return None  # e.g. a one that broadcasts e to more dimensions
        try:
            return [before.filter_variable(out)]
        except TypeError:
            return None

    return logistic_one_exp
