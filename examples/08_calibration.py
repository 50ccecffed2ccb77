# %% [markdown]
# # Simulation-based calibration, watched live
#
# Does the fitting machinery recover what generated the data? Simulation-based calibration (SBC)
# answers it for any model: draw parameters from the prior, simulate data from the model, fit,
# and rank each true value among its posterior draws. When the fits are right the ranks are
# uniform; when they are not, the shape of the ranks says how they miss: piled at both ends the
# posterior is too narrow (**under-dispersed**), heaped in the middle too wide
# (**over-dispersed**), skewed to one side **biased**.
#
# The board runs the simulations in parallel worker processes (each compiles the model once),
# and fills in as they finish: per parameter a rank histogram (the band: where uniform ranks
# fall, bin by bin) and the ECDF of the ranks minus the uniform CDF with its simultaneous band
# (the whole curve stays inside it 95% of the time when the fits are calibrated; points outside
# are marked red), and a verdict. The table lists the simulations that failed, diverged or ran
# slowest: click one for its fit's diagnostics. **Pause**, **Resume** and **Cancel** keep what is
# done.
#
# Sizes are chosen with `bw.choose(full, fast)`: with `BAYES_WIDGETS_FAST=1` in the environment (as
# in the test suite) the notebook runs far fewer, shorter simulations, too few to see much.

# %%
import numpy as np
import pymc as pm

import bayes_widgets as bw

SIMULATIONS = bw.choose(400, 12)
SAMPLING = {
    "draws": bw.choose(500, 150),
    "tune": bw.choose(500, 150),
    "chains": bw.choose(4, 2),
}

# %% [markdown]
# ## Eight schools, centred
#
# The classic hierarchical model written the direct way: each school's effect `theta` drawn
# around `mu` with spread `tau`. When `tau` is small the posterior is a narrow funnel that NUTS
# cannot enter: the fits diverge and keep `tau` too high, so the true values of `tau` rank low
# too often (the verdict names the direction). The miss is small: it takes a few hundred
# simulations to see it for sure (400 of them flag `tau` at p < 1e-6 here, its lowest tenth of
# ranks holding 70 instead of 40), about two minutes on two cores.

# %%
schools = ["A", "B", "C", "D", "E", "F", "G", "H"]
y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
sigma = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])

with pm.Model(coords={"school": schools}) as centred:
    mu = pm.Normal("mu", 0, 5)
    tau = pm.HalfCauchy("tau", 5)
    theta = pm.Normal("theta", mu, tau, dims="school")
    pm.Normal("y", theta, sigma, observed=y, dims="school")

board = bw.CalibrationBoard(
    centred, simulations=SIMULATIONS, params=["mu", "tau", "theta"], seed=1, **SAMPLING
)
board

# %% [markdown]
# The board follows the calibration in the background; the kernel stays free. `wait()` blocks
# until it ends and returns the calibration: its verdicts, its table of simulations, and all of
# it as an `xr.DataTree`.

# %%
centred_cal = board.wait()
{name: v.direction for name, v in centred_cal.verdicts().items()}

# %%
centred_cal.simulations().sort_values("divergences", ascending=False).head()

# %% [markdown]
# ## Eight schools, non-centred
#
# The same model with `theta = mu + tau * z`, `z` standard normal: NUTS samples it without
# divergences, and the ranks of `tau` come out uniform.

# %%
noncentred = bw.datasets.eight_schools_noncentered()
board_nc = bw.CalibrationBoard(
    noncentred, simulations=SIMULATIONS, params=["mu", "tau", "theta"], seed=1, **SAMPLING
)
board_nc

# %%
noncentred_cal = board_nc.wait()
{name: v.direction for name, v in noncentred_cal.verdicts().items()}

# %% [markdown]
# ## A hierarchical GLM by SVI, with VSBC
#
# A Poisson regression with a varying intercept per group, written in NumPyro and fitted by
# stochastic variational inference with a mean-field normal guide (`AutoNormal`, the default).
# A variational posterior is an approximation, so SBC ranks rarely come out uniform; VSBC
# (Yao et al. 2018) asks a weaker question: is the true value's position in the approximate
# posterior symmetric? The board adds a VSBC table for SVI calibrations. `tune` is the number
# of optimisation steps, `draws` the draws from the fitted guide.

# %%
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist

rng = np.random.default_rng(0)
n_groups, n_rows = 6, 60
group = rng.integers(0, n_groups, n_rows)
x = rng.normal(size=n_rows)


def glm(group, x, n_groups, y=None):
    mu_a = numpyro.sample("mu_a", dist.Normal(1.0, 0.5))
    sigma_a = numpyro.sample("sigma_a", dist.HalfNormal(0.5))
    beta = numpyro.sample("beta", dist.Normal(0.0, 0.5))
    with numpyro.plate("groups", n_groups):
        a = numpyro.sample("a", dist.Normal(mu_a, sigma_a))
    with numpyro.plate("rows", len(x)):
        numpyro.sample("y", dist.Poisson(jnp.exp(a[group] + beta * x)), obs=y)


svi_board = bw.CalibrationBoard(
    glm,
    simulations=bw.choose(200, 12),
    method="svi",
    draws=bw.choose(400, 100),
    tune=bw.choose(3000, 500),
    params=["mu_a", "sigma_a", "beta"],
    seed=2,
    group=group,
    x=x,
    n_groups=n_groups,
)
svi_board

# %%
svi_cal = svi_board.wait()
{name: (round(v.p_value, 3), v.direction) for name, v in svi_cal.vsbc().items()}

# %% [markdown]
# The same calibrations without a board, in a script or on a cluster (`executor=` takes a
# `concurrent.futures` executor or a Dask client; `out=` keeps every finished simulation, and a
# calibration started again on the same `out` does only the rest):

# %%
quick = bw.calibrate(noncentred, simulations=bw.choose(20, 4), params=["tau"], seed=3, **SAMPLING)
quick.verdicts()["tau"]
