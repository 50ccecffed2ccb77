"""Small models and real data for examples, tests and benchmarks (``bw.datasets``).

Every packaged dataset and its loader lives in :mod:`bayes_widgets.core.datasets`; this
module is its public name.
"""

from bayes_widgets.core.datasets import *  # noqa: F403
from bayes_widgets.core.datasets import __all__  # noqa: F401
