"""Convolutions of data, with their data computed once.

PyTensor leaves ``Alloc`` unfolded (to keep large constants out of compiled functions),
so whatever a graph builds on an allocation is recomputed at every call even when all of
it comes from constants. An MMM's adstock is a convolution of the spend, padded with zeros
(an ``Alloc`` joined to the data) and transposed: in a model whose data are frozen into
constants (``freeze_dims_and_data``), that padding and transpose are still rebuilt at
every evaluation of the log density, and its gradient convolves with a reversed, strided
view of them. On the 40-geo Meridian model (40 geos x 156 weeks x 5 channels) folding
them into contiguous constants takes the log density and its gradient from about 620 to
about 455 microseconds an evaluation (numba, one core), with the same numbers to the
last bit.

:func:`rewriter` is a rewrite that does this for every 1-d
convolution (``pytensor.tensor.signal.convolve1d``) one of whose inputs is computed from
constants alone: the input becomes one contiguous constant, when it holds at most
:data:`MAX_BYTES`. Only constants are folded: shared data (updatable with ``pm.set_data``)
and everything computed from parameters stay as they are, so no compiled function changes
what it computes. :func:`bayes_widgets.core.fitting.rewrites.enable` registers it.
"""

from __future__ import annotations

import numpy as np

MAX_BYTES = 64 * 2**20
"""The largest input folded into a constant: a bigger one stays computed."""

REWRITE_NAME = "bayes_widgets_fold_convolution_data"


def from_constants(var) -> bool:
    """Whether ``var`` is computed from constants alone (and is not one itself)."""
    from pytensor.graph.basic import Constant
    from pytensor.graph.traversal import graph_inputs

    if isinstance(var, Constant) or var.owner is None:
        return False
    return all(isinstance(i, Constant) for i in graph_inputs([var]))


def folded(var, max_bytes: int = MAX_BYTES):
    """``var`` (computed from constants alone) as one contiguous constant of its type, or
    None when its value holds more than ``max_bytes``."""
    import pytensor
    import pytensor.tensor as pt

    shape = var.type.shape
    if (
        None not in shape
        and np.prod(shape, dtype=float) * np.dtype(var.type.dtype).itemsize > max_bytes
    ):
        return None  # known too large without computing it
    compute = pytensor.function([], var, mode="FAST_COMPILE")
    value = np.ascontiguousarray(compute())
    if value.nbytes > max_bytes:
        return None
    return var.type.filter_variable(pt.constant(value, dtype=var.type.dtype))


def rewriter():
    """The node rewriter: a convolution's inputs computed from constants, folded."""
    from pytensor.graph.rewriting.basic import node_rewriter
    from pytensor.tensor.blockwise import Blockwise
    from pytensor.tensor.signal.conv import Convolve1d

    @node_rewriter([Blockwise, Convolve1d])
    def fold_convolution_data(fgraph, node):
        op = node.op.core_op if isinstance(node.op, Blockwise) else node.op
        if not isinstance(op, Convolve1d):
            return None
        inputs = list(node.inputs)
        changed = False
        for i, var in enumerate(inputs[:2]):
            if from_constants(var):
                constant = folded(var)
                if constant is not None:
                    inputs[i], changed = constant, True
        if not changed:
            return None
        return node.op.make_node(*inputs).outputs

    return fold_convolution_data
