"""PriorEditor: edit one prior, or every prior of a real model, and see its prior predictive.

    editor = PriorEditor(model)            # a PyMC model, an MMMModel or a built pymc-marketing MMM
    editor = PriorEditor("Gamma")          # one distribution (also a PriorDist or a Prior)
    editor = PriorEditor(mmm.model_config) # the priors of a model_config, without a model
    editor.priors                          # {name: pymc_extras.prior.Prior}
    editor.model_config()                  # for an MMM: its model_config with the edits
    editor.code(); editor.apply()          # Python source; the PyMC model with the edits
    editor.fit(backend="nutpie")           # fit the edited model with a live FitMonitor

Every change is validated by the core (``PriorDist``): an invalid value is shown inline,
naming the parameter, and the last valid state stays. The model is compiled once: a
parameter change is one call of the prior-predictive function.

The prior predictive of a series (an observed variable over a time dimension) is drawn
as bands over time; anything else (a regression over "obs") as the density of its values
against the observed values'. After the user's ``pm.set_data`` on the model the view is
drawn for the new data and says so above the figure; it is never left blank.

Bound to an MMM, it also draws the chosen channel's adstock and saturation curves as prior
bands, with posterior bands once fitted (``prior_editor_transforms``); choosing an element
of a per-channel prior chooses its channel, and the reverse.

The page numbers each input (``seq``); every reply echoes the last number applied in
``applied``, together with the new values, so the page sends the latest value once the
previous one is applied instead of queueing every slider step. When the pointer comes to
a slider, the page asks for its slice (``prior_editor_slices``): the views at each of the
slider's positions, so that a drag paints without waiting for the kernel.
"""

from __future__ import annotations

from typing import Any

import traitlets

from bayes_widgets.core.deprecation import renamed_trait
from bayes_widgets.core.errors import InputError
from bayes_widgets.core.figures import priors as prior_figures
from bayes_widgets.core.figures.base import with_fresh_ids
from bayes_widgets.core.figures.mmm_transforms import transform_figure
from bayes_widgets.core.mmm.priors import (
    built_mmm,
    config_priors,
    is_prior,
    mmm_model,
    model_config_with,
)
from bayes_widgets.core.mmm.validation import MMMDataError
from bayes_widgets.core.priors import PriorDist, PriorError, from_quartiles, maxent
from bayes_widgets.core.priors.model import ModelPriors
from bayes_widgets.core.priors.predictive import predictive_view
from bayes_widgets.widgets._base import InputWidget, static_text
from bayes_widgets.widgets.prior_editor_inputs import (
    as_dist,
    check_quantiles,
    family_specs,
    message_parameterization,
    number,
    parameterization_arg,
    variable_rows,
)
from bayes_widgets.widgets.prior_editor_slices import SlicedEditor
from bayes_widgets.widgets.prior_editor_transforms import TransformPanel, channel_of, make_panel

SINGLE = "prior"


class PriorEditor(SlicedEditor, InputWidget):
    """Prior editing bound to a real model (see the module docstring)."""

    families = traitlets.Dict().tag(sync=True)
    """Per family: discrete flag and each parameterization's parameters (domain, slider range)."""
    variables = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Free variables: name, family, editable (or reason), dims, element labels."""
    variable = traitlets.Unicode("").tag(sync=True)
    element = traitlets.Int(0).tag(sync=True)
    family = traitlets.Unicode("").tag(sync=True)
    parameterization = traitlets.Unicode("canonical").tag(sync=True)
    parameterisation = renamed_trait("parameterisation", "parameterization")
    values = traitlets.Dict().tag(sync=True)
    """Parameters of the shown prior (element), in the chosen parameterization."""
    summary = traitlets.Dict().tag(sync=True)
    curves = traitlets.Dict().tag(sync=True)
    predictive = traitlets.Dict().tag(sync=True)
    """Prior-predictive bands/histogram of the first observed variable, with the data."""
    plausible = traitlets.Dict({"lower": None, "upper": None}).tag(sync=True)
    dist_figure = traitlets.Unicode("").tag(sync=True)
    """Density and cumulative plots of the shown prior (a template the page fills)."""
    predictive_figure = traitlets.Unicode("").tag(sync=True)
    """The prior predictive against the data (a template the page fills); "" without a model."""
    pred_figure = renamed_trait("pred_figure", "predictive_figure")
    quantiles = traitlets.List(traitlets.Float(), [0.05, 0.25, 0.5, 0.75, 0.95]).tag(sync=True)
    """Probabilities of the quantiles in the summary table."""
    updates = traitlets.Int(0).tag(sync=True)
    """Accepted edits so far (tests and the page read it)."""
    transforms = traitlets.Dict().tag(sync=True)
    """For an MMM: the selected channel's adstock and saturation bands (the figure's sources),
    its observed spend range and a summary line; {} otherwise."""
    transforms_figure = traitlets.Unicode("").tag(sync=True)
    """The adstock and saturation plots (a template the page fills); "" without an MMM."""
    channels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    channel = traitlets.Unicode("").tag(sync=True)
    """The channel whose transforms are shown."""
    geos = traitlets.List(traitlets.Unicode()).tag(sync=True)
    geo = traitlets.Unicode("").tag(sync=True)
    """The geo whose transforms are shown; "" pools every geo (geo models only)."""
    context = traitlets.Unicode("").tag(sync=True)
    """What the shown element's views depend on besides its own parameters (the other
    priors, the plausible range, the quantiles, the channel and geo, the model's data):
    the page keys its slices by it."""

    def __init__(
        self,
        source: Any = "Normal",
        *,
        draws: int = 500,
        seed: int | None = None,
        lower: float | None = None,
        upper: float | None = None,
        quantiles=(0.05, 0.25, 0.5, 0.75, 0.95),
    ):
        plausible = {
            k: None if v is None else number({k: v}, k)
            for k, v in (("lower", lower), ("upper", upper))
        }
        low, high = plausible["lower"], plausible["upper"]
        if low is not None and high is not None and low >= high:
            raise PriorError("lower", f"must be < upper (lower={lower:g}, upper={upper:g})")
        super().__init__(_esm=static_text("prior_editor.js"))
        self.quantiles = check_quantiles(quantiles)
        self.mmm = built_mmm(source)
        self.transform_panel: TransformPanel | None = None
        self.model_priors: ModelPriors | None = None
        self._series_dim: str | None = None
        self._single: PriorDist | None = None
        self._config: dict[str, Any] | None = None
        self._config_priors: dict[str, PriorDist] = {}
        self.families = family_specs()
        try:
            self._load(source, draws, seed)
        except (PriorError, TypeError) as exc:
            self.error = str(exc)
            self._single = PriorDist.create("Normal")
            self._load_single()
        self.plausible = plausible
        self._refresh(predictive=True)

    # -- loading ----------------------------------------------------------------------------
    def _load(self, source, draws, seed) -> None:
        import pymc as pm

        if self.mmm is not None:
            model = mmm_model(self.mmm)
            self.transform_panel, note = make_panel(source, self.mmm, seed)
            if self.transform_panel is not None:
                self.channels, self.geos = self.transform_panel.channels, self.transform_panel.geos
                self.channel = self.transform_panel.channel
                self.transforms_figure = with_fresh_ids(transform_figure())
            self.transforms = {"note": note} if note else {}
            source = model
        if isinstance(source, pm.Model):
            self.model_priors = ModelPriors(source, draws=draws, seed=seed)
            rows = variable_rows(self.model_priors, source)
            self.variables = rows
            self.variable = (
                next(r["name"] for r in rows if r["editable"])
                if any(r["editable"] for r in rows)
                else ""
            )
            name = self.model_priors.observed[0]
            self._series_dim = self.model_priors.series_dim(name)
            self.predictive_figure = with_fresh_ids(
                prior_figures.predictive_figure(
                    self._series_dim is not None, self._series_dim or name
                )
            )
        elif isinstance(source, dict) and any(
            is_prior(v) for v in source.values()
        ):  # a model_config
            self._config = source
            self._config_priors = config_priors(source)
            self.variables = [
                {
                    "name": k,
                    "editable": True,
                    "family": d.family,
                    "dims": list(d.dims),
                    "elements": None,
                }
                for k, d in self._config_priors.items()
            ]
            self.variable = next(iter(self._config_priors))
        else:
            self._single = as_dist(source)
            self._load_single()
        self._show_current()

    @property
    def _one(self) -> PriorDist:
        """The single prior of an editor made without a model or a model_config."""
        if self._single is None:
            raise RuntimeError("this editor edits a model's priors, not a single prior")
        return self._single

    def _load_single(self) -> None:
        self.variables = [
            {
                "name": SINGLE,
                "editable": True,
                "family": self._one.family,
                "dims": list(self._one.dims),
                "elements": [str(i) for i in range(self._one.size)] if self._one.size else None,
            }
        ]
        self.variable = SINGLE
        self._show_current()

    # -- Python API -------------------------------------------------------------------------
    @property
    def prior_dists(self) -> dict[str, PriorDist]:
        if self.model_priors is not None:
            return dict(self.model_priors.priors)
        if self._config is not None:
            return dict(self._config_priors)
        return {SINGLE: self._one}

    @property
    def priors(self) -> dict[str, Any]:
        """The edited priors as ``pymc_extras.prior.Prior`` objects."""
        return {k: v.to_prior() for k, v in self.prior_dists.items()}

    def code(self) -> str:
        if self.model_priors is not None:
            return self.model_priors.code()
        return (
            f"from pymc_extras.prior import Prior\nimport numpy as np\n\nprior = {self._one.code()}"
        )

    def model_config(self) -> dict[str, Any]:
        """For an MMM: its ``model_config`` with the edited priors (pass it to ``MMM(...)``)."""
        if self.mmm is not None:
            return model_config_with(self.mmm.model_config, self.prior_dists)
        if self._config is not None:
            return model_config_with(self._config, self.prior_dists)
        raise PriorError(
            "model_config", "only an MMM or a model_config has one; use priors or apply()"
        )

    def apply(self):
        """The PyMC model rebuilt with the edited priors."""
        if self.model_priors is None:
            raise PriorError("apply", "a single prior has no model; use priors or code()")
        return self.model_priors.apply()

    def fit(self, **fit_kwargs):
        """Fits the edited model with a live :class:`FitMonitor` (returned, already running)."""
        from bayes_widgets.widgets.fit_monitor import FitMonitor

        return FitMonitor(self.apply(), **fit_kwargs)

    def set_prior(self, name: str, prior: PriorDist) -> None:
        """Replaces a prior from Python (same checks as the page)."""
        self._commit(name, prior)
        self._show_current()
        self._refresh(predictive=True)

    # -- messages from the page -------------------------------------------------------------
    def _reject(self, exc: InputError, msg) -> None:
        self.error = str(exc)  # the last valid state stays as it was
        self.send_message("rejected", field=exc.field, message=str(exc), seq=msg.get("seq"))

    def _on_select(self, msg) -> None:
        with self._reply(msg):
            name = msg.get("variable", self.variable)
            if name not in self.prior_dists:
                self._reject(PriorError("variable", f"{name!r} is not editable here"), msg)
                return
            self.variable = name
            self.element = int(msg.get("element", 0) or 0)
            self.parameterization = "canonical"
            self._show_current()
            self.error = ""
            channel = self._channel_of_element()
            if channel is not None and channel != self.channel:
                self.show_channel(channel, self.geo)

    def _on_channel(self, msg) -> None:
        """The page chose a channel (and geo) for the transform curves."""
        with self._reply(msg):
            try:
                self.show_channel(str(msg.get("channel", self.channel)), msg.get("geo", self.geo))
            except MMMDataError as exc:
                self._reject(exc, msg)

    def _on_edit(self, msg) -> None:
        """A parameter, family or parameterization change for the shown variable/element."""
        with self._reply(msg):
            try:
                current = self.prior_dists[self.variable]
                family = msg.get("family", current.family)
                parameterization = message_parameterization(msg, self.parameterization)
                values = dict(msg.get("values") or {})
                if family != current.family:
                    new = self._new_family(current, family)
                    parameterization = "canonical"
                else:
                    new = current.with_element(
                        self.element,
                        parameterization=parameterization_arg(parameterization),
                        **values,
                    )
                self._commit(self.variable, new)
            except PriorError as exc:
                self._reject(exc, msg)
                return
            self.parameterization = parameterization
            self.error = ""
            self._show_current()
            self._refresh(predictive=True)

    def _on_elicit(self, msg) -> None:
        with self._reply(msg):
            try:
                current = self.prior_dists[self.variable]
                family = msg.get("family", current.family)
                if msg.get("method") == "maxent":
                    lower, upper = number(msg, "lower"), number(msg, "upper")
                    d = maxent(family, lower, upper, number(msg, "mass", 0.9))
                else:
                    q1, q2, q3 = (number(msg, k) for k in ("q1", "q2", "q3"))
                    d = from_quartiles(family, q1, q2, q3)
                new = (
                    d
                    if current.size is None
                    else self._new_family(current, family).with_element(self.element, **d.params)
                )
                self._commit(self.variable, new)
            except PriorError as exc:
                self._reject(exc, msg)
                return
            except (TypeError, ValueError) as exc:
                self.error = str(exc)
                return
            self.error = ""
            self.parameterization = "canonical"
            self._show_current()
            self._refresh(predictive=True)

    def _on_quantiles(self, msg) -> None:
        with self._reply(msg):
            try:
                self.quantiles = check_quantiles(msg.get("values"))
            except PriorError as exc:
                self._reject(exc, msg)
                return
            self.error = ""
            self._show_current()

    def _on_range(self, msg) -> None:
        with self._reply(msg):
            try:
                lower, upper = (
                    None if msg.get(k) is None else number(msg, k) for k in ("lower", "upper")
                )
            except PriorError as exc:
                self._reject(exc, msg)
                return
            if lower is not None and upper is not None and lower >= upper:
                self._reject(
                    PriorError("lower", f"must be < upper (lower={lower:g}, upper={upper:g})"), msg
                )
                return
            self.error = ""
            self.plausible = {"lower": lower, "upper": upper}
            self._refresh(predictive=True)

    # -- internals --------------------------------------------------------------------------
    def _new_family(self, current: PriorDist, family: str) -> PriorDist:
        """The family's default prior, with the shape of ``current``."""
        if current.size is None:
            return PriorDist.create(family)
        return PriorDist.create(family, dims=current.dims, size=current.size)

    def _commit(self, name: str, prior: PriorDist) -> None:
        self._put(name, prior)
        self.updates += 1

    def _put(self, name: str, prior: PriorDist) -> None:
        if self.model_priors is not None:
            self.model_priors.set(name, prior)
        elif self._config is not None:
            self._config_priors[name] = prior
        else:
            self._single = prior

    def _show_current(self) -> None:
        if not self.variable:
            return
        d = self.prior_dists[self.variable]
        view = self._element_view(d)
        with self.hold_sync():
            self.family = d.family
            self.values = view["values"]
            self.summary = view["summary"]
            self.curves = view["curves"]
            self.dist_figure = self.dist_figure or with_fresh_ids(
                prior_figures.distribution_figure()
            )
            self._update_context()

    def _element_view(self, d: PriorDist) -> dict[str, Any]:
        """The parameters, summary and density of the shown element of prior ``d``."""
        element = d.element(min(self.element, (d.size or 1) - 1))
        return {
            "values": {
                k: float(v)
                for k, v in element.in_terms(parameterization_arg(self.parameterization)).items()
            },
            "summary": element.summary(tuple(self.quantiles)),
            "curves": {
                **element.curves(),
                "variable": self.variable,
                "element": self.element,
                "family": d.family,
            },
        }

    def _channel_of_element(self) -> str | None:
        """The channel of the shown element when the variable is per channel."""
        return self.transform_panel and channel_of(self.variables, self.variable, self.element)

    def show_channel(self, channel: str, geo: str | None = None) -> None:
        """Shows the transform curves of ``channel`` (in ``geo``; None pools the geos)."""
        if self.transform_panel is None:
            raise PriorError("channel", "only an editor bound to an MMM shows transforms")
        self.transform_panel.select(channel, geo or None)
        self.channel, self.geo = channel, geo or ""
        if self._channel_of_element() not in (None, channel):  # edit that channel's prior
            self.element = self.channels.index(channel)
            self._show_current()
        self.refresh_transforms()

    def refresh_transforms(self) -> None:
        """Redraws the transform curves from the current priors (and the posterior, when
        the model has been fitted since the last redraw)."""
        if self.transform_panel is None or self.model_priors is None:
            return
        try:
            self.transforms = self.transform_panel.view(self.model_priors.priors)
        except MMMDataError as exc:  # the last curves stay, with the reason
            self.transforms = {
                **self.transforms,
                "note": f"{exc}; the curves are the last valid ones",
            }

    def _refresh(self, predictive: bool) -> None:
        if not predictive or self.model_priors is None:
            return
        self.refresh_transforms()
        view, failure = self._predictive_now()
        self.predictive = view if failure is None else {**self.predictive, "note": failure}
        self._update_context()

    def _predictive_now(self) -> tuple[dict[str, Any], str | None]:
        """The prior-predictive view of the current priors, or ``({}, why)`` when the
        draws cannot be made."""
        mp = self.model_priors
        assert mp is not None
        name = mp.observed[0]
        lo, hi = self.plausible.get("lower"), self.plausible.get("upper")
        changed = mp.data_changes()
        prefix = ""
        if changed:
            what = ", ".join(f"{k}: {v}" for k, v in changed.items())
            prefix = f"The model's data changed since this editor was opened ({what}): the prior predictive is drawn for the new data"
        try:
            draws = mp.prior_predictive()[name]
        except Exception as exc:
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            return {}, (
                f"{prefix or 'The prior predictive'} could not be drawn ({reason}); "
                "the figure shows the last draws. Build a new editor for the changed model."
            )
        view = predictive_view(
            draws, mp.observed_values(name), series=self._series_dim is not None, lower=lo, upper=hi
        )
        notes = [n for n in (prefix, view["note"]) if n]
        view["note"] = ("; ".join(notes) + ".") if notes else ""
        if notes and not prefix:
            view["note"] = view["note"][0].upper() + view["note"][1:]
        view["variable"] = name
        view["dim"] = self._series_dim
        return view, None
