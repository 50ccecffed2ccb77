# %% [markdown]
# # Quickstart: live fitting
#
# Fit a PyMC model and watch it: per-chain draws, divergences as they happen, step size, tree depth
# or leapfrog steps, draws/s and ETA, live trace and rank plots, running R-hat and ESS. **Cancel**
# keeps the draws made so far; **Pause**/**Resume** hold the sampler. The kernel stays free while
# the fit runs.
#
# Sizes are chosen with `bw.choose(full, fast)`: with `BAYES_WIDGETS_FAST=1` in the environment (as
# in the test suite) the notebook uses fewer draws.

# %% [markdown]
# `%load_ext bayes_widgets` makes models and fits explain themselves: a PyMC model shows a card with
# its variables, its graph and a button to its prior editor; a fit shows a posterior explorer.
# (`%unload_ext bayes_widgets` puts the default displays back.)

# %%
# %load_ext bayes_widgets
import bayes_widgets as bw
from bayes_widgets.datasets import eight_schools_noncentered, kidiq_momhsiq

model = eight_schools_noncentered()
model

# %% [markdown]
# ## PyMC's NUTS
#
# The monitor starts the fit at once and returns; the cell below keeps running until the fit ends
# (interrupt the kernel to cancel and keep the draws).

# %%
monitor = bw.FitMonitor(
    model,
    backend="pymc",
    draws=bw.choose(1000, 150),
    tune=bw.choose(1000, 150),
    chains=2,
    target_accept=0.95,
    seed=1,
)
monitor

# %% [markdown]
# The result, shown as a posterior explorer: the summary table with any problem named, and linked
# trace, rank and pair plots (select draws with the box tool in the pair plot to see them in the
# others).

# %%
result = monitor.wait()
result

# %%
result.summary()

# %% [markdown]
# The same fit in one line, with the `%fit` magic:

# %%
# %fit model backend=nutpie draws=500 tune=500 seed=3

# %% [markdown]
# ## nutpie
#
# Compiled once per model, then much faster. The same diagnostics schema comes back from every
# backend.

# %%
fast = bw.FitMonitor(
    kidiq_momhsiq(), backend="nutpie", draws=bw.choose(1000, 300), tune=bw.choose(1000, 300), seed=2
)
fast

# %%
fast.wait().diagnostics.to_dict()

# %% [markdown]
# ## In a script
#
# `bw.fit` blocks and returns the result; `block=False` returns a `FitSession` to pause, resume,
# cancel or poll.

# %%
session = bw.fit(model, backend="nutpie", draws=500, tune=500, block=False)
result = session.wait()
result.diagnostics.rhat_max, result.diagnostics.ess_bulk_min

# %% [markdown]
# ## Bad input is shown inline

# %%
bw.FitMonitor(model, draws=0)
