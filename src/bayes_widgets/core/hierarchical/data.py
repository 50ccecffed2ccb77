"""Panel data of a hierarchical GLM: groups × times × features, a target with gaps.

    data = PanelData.from_frame(frame, group="store", time="date", target="sales",
                                features=["promo", "holiday"])
    data.X, data.y              # (groups, times, features) and (groups, times), NaN = unknown

Cells the table does not have get a NaN target (masked in the likelihood, still
predicted) and zero features.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bayes_widgets.core.hierarchical.errors import HierarchicalInputError

__all__ = ["PanelData", "check_frame"]


@dataclass(frozen=True, eq=False)
class PanelData:
    """Groups × times × features, and a target with NaN where it is not observed."""

    X: np.ndarray
    """Features, float32, shape (groups, times, features)."""
    y: np.ndarray
    """Target, float32, shape (groups, times); NaN = not observed (masked in the likelihood)."""
    groups: np.ndarray
    """Group labels, shape (groups,)."""
    times: np.ndarray
    """Time labels, shape (times,)."""
    features: tuple[str, ...]
    target: str = "y"

    @property
    def n_groups(self) -> int:
        return self.X.shape[0]

    @property
    def n_times(self) -> int:
        return self.X.shape[1]

    @property
    def n_features(self) -> int:
        return self.X.shape[2]

    @property
    def observed(self) -> np.ndarray:
        """Boolean mask (groups, times) of observed targets."""
        return ~np.isnan(self.y)

    def __repr__(self) -> str:
        return (
            f"PanelData({self.n_groups} groups × {self.n_times} times × {self.n_features} features, "
            f"target {self.target!r}, {int(self.observed.sum())} observed)"
        )

    # ------------------------------------------------------------ construction

    @classmethod
    def from_arrays(
        cls,
        X,
        y,
        *,
        groups: Sequence | np.ndarray | None = None,
        times: Sequence | np.ndarray | None = None,
        features: Sequence[str] | None = None,
        target: str = "y",
    ) -> PanelData:
        """From arrays ``X`` (groups, times, features) and ``y`` (groups, times)."""
        try:
            X = np.asarray(X, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise HierarchicalInputError("X", f"must be numeric: {exc}") from None
        try:
            y = np.asarray(y, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise HierarchicalInputError("y", f"must be numeric: {exc}") from None
        if X.ndim != 3:
            raise HierarchicalInputError(
                "X", f"must have shape (groups, times, features), got {X.shape}"
            )
        if y.ndim != 2:
            raise HierarchicalInputError("y", f"must have shape (groups, times), got {y.shape}")
        if y.shape != X.shape[:2]:
            raise HierarchicalInputError(
                "y", f"shape {y.shape} does not match X's (groups, times) = {X.shape[:2]}"
            )
        if not np.all(np.isfinite(X)):
            bad = int((~np.isfinite(X)).sum())
            raise HierarchicalInputError("X", f"contains {bad} NaN or infinite values; fill them")
        if np.isinf(y).any():
            raise HierarchicalInputError("y", "contains infinite values")
        G, T, F = X.shape
        group_labels = np.arange(G) if groups is None else np.asarray(groups)
        time_labels = np.arange(T) if times is None else np.asarray(times)
        names = (
            tuple(f"x{j}" for j in range(F))
            if features is None
            else tuple(str(f) for f in features)
        )
        if group_labels.shape != (G,):
            raise HierarchicalInputError(
                "groups", f"needs {G} labels (one per group), got shape {group_labels.shape}"
            )
        if time_labels.shape != (T,):
            raise HierarchicalInputError(
                "times", f"needs {T} labels (one per time), got shape {time_labels.shape}"
            )
        if len(names) != F:
            raise HierarchicalInputError(
                "features", f"needs {F} names (one per feature), got {len(names)}"
            )
        if len(set(names)) != F:
            dup = next(f for f in names if names.count(f) > 1)
            raise HierarchicalInputError("features", f"name {dup!r} appears twice")
        data = cls(
            X=X, y=y, groups=group_labels, times=time_labels, features=names, target=str(target)
        )
        data.validate()
        return data

    @classmethod
    def from_frame(
        cls,
        frame,
        *,
        group: str,
        target: str,
        features: Sequence[str],
        time: str | None = None,
    ) -> PanelData:
        """From a long-form ``pandas.DataFrame``, one row per (group, time).

        ``time=None`` numbers the rows of each group in order (data without a time axis,
        e.g. houses within counties). Missing (group, time) cells get a NaN target and zero
        features; NaN targets in the table are kept as unobserved.
        """
        import pandas as pd

        features = [features] if isinstance(features, str) else list(features)
        check_frame(frame, group=group, target=target, features=features, time=time)
        group_codes, group_labels = pd.factorize(frame[group], sort=True)
        time_codes, time_labels = _time_codes(frame, group_codes, group=group, time=time)
        G, T, F = len(group_labels), len(time_labels), len(features)
        X = np.zeros((G, T, F), dtype=np.float32)
        y = np.full((G, T), np.nan, dtype=np.float32)
        X[group_codes, time_codes, :] = frame[features].to_numpy(dtype=np.float32)
        y[group_codes, time_codes] = frame[target].to_numpy(dtype=np.float32)
        return cls.from_arrays(
            X,
            y,
            groups=np.asarray(group_labels),
            times=np.asarray(time_labels),
            features=features,
            target=target,
        )

    # -------------------------------------------------------------- checking

    def validate(self) -> None:
        """Data-level checks that hold for every likelihood."""
        if self.n_groups < 2:
            only = f" ({np.asarray(self.groups).tolist()[0]!r})" if self.n_groups == 1 else ""
            raise HierarchicalInputError(
                "group", f"a hierarchical model needs at least 2 groups, got {self.n_groups}{only}"
            )
        if self.n_times < 1:
            raise HierarchicalInputError("time", "needs at least one time per group")
        if not self.observed.any():
            raise HierarchicalInputError("target", f"all values of {self.target!r} are missing")

    def check_counts(self, likelihood: str) -> None:
        """A count likelihood needs non-negative integers where the target is observed."""
        y = self.y[self.observed]
        frac = y != np.round(y)
        if frac.any():
            raise HierarchicalInputError(
                "target",
                f"the {likelihood} likelihood needs non-negative integer counts; {self.target!r} has "
                f"{int(frac.sum())} non-integer values (e.g. {float(y[frac][0]):g})",
            )
        if (y < 0).any():
            raise HierarchicalInputError(
                "target",
                f"the {likelihood} likelihood needs non-negative integer counts; {self.target!r} has "
                f"{int((y < 0).sum())} negative values (e.g. {float(y[y < 0][0]):g})",
            )

    # ------------------------------------------------------------- selections

    def select(self, groups=None, times=None) -> PanelData:
        """A sub-panel: ``groups`` and ``times`` are positional indices, slices or boolean masks."""
        gi = slice(None) if groups is None else groups
        ti = slice(None) if times is None else times
        X = self.X[gi][:, ti]
        y = self.y[gi][:, ti]
        return PanelData(
            X=np.ascontiguousarray(X),
            y=np.ascontiguousarray(y),
            groups=np.asarray(self.groups[gi]),
            times=np.asarray(self.times[ti]),
            features=self.features,
            target=self.target,
        )

    def with_target(self, y) -> PanelData:
        """The same features with another target (e.g. some days hidden as NaN)."""
        y = np.asarray(y, dtype=np.float32)
        if y.shape != self.y.shape:
            raise HierarchicalInputError("y", f"shape {y.shape} does not match {self.y.shape}")
        return PanelData(self.X, y, self.groups, self.times, self.features, self.target)

    def to_frame(self, *, observed_only: bool = False):
        """Long form: one row per (group, time) with the features and the target."""
        import pandas as pd

        G, T, F = self.X.shape
        frame = pd.DataFrame(self.X.reshape(G * T, F), columns=list(self.features))
        frame.insert(0, "time", np.tile(self.times, G))
        frame.insert(0, "group", np.repeat(self.groups, T))
        frame[self.target] = self.y.reshape(-1)
        if observed_only:
            frame = frame[self.observed.reshape(-1)].reset_index(drop=True)
        return frame


def check_frame(frame, *, group: str, target: str, features: list[str], time: str | None) -> None:
    """Checks that ``frame`` is a data frame with the named columns, numeric features
    without gaps, a numeric target and complete group labels."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise HierarchicalInputError(
            "frame", f"expected a pandas DataFrame, got {type(frame).__name__}"
        )
    columns = list(frame.columns)
    named = [("group", group), ("target", target)] + ([] if time is None else [("time", time)])
    for field, name in named:
        if name not in frame.columns:
            raise HierarchicalInputError(
                field, f"column {name!r} not in the data frame (columns: {columns})"
            )
    for name in features:
        _check_feature(frame, name, columns, (group, target, time))
    if not pd.api.types.is_numeric_dtype(frame[target]):
        raise HierarchicalInputError(
            "target", f"column {target!r} must be numeric (got {frame[target].dtype})"
        )
    missing = int(np.asarray(frame[group].isna()).sum())
    if missing:
        raise HierarchicalInputError("group", f"column {group!r} has {missing} missing labels")
    if frame.empty:
        raise HierarchicalInputError("frame", "has no rows")


def _check_feature(frame, name: str, columns: list, others: tuple) -> None:
    import pandas as pd

    field = f"features.{name}"
    if name not in frame.columns:
        raise HierarchicalInputError(
            field, f"column {name!r} not in the data frame (columns: {columns})"
        )
    if name in others:
        raise HierarchicalInputError(field, "is also the group, time or target column")
    column = frame[name]
    if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
        raise HierarchicalInputError(
            field, f"must be numeric (got {column.dtype}); one-hot encode it"
        )
    if column.isna().any():
        raise HierarchicalInputError(
            field, f"has {int(column.isna().sum())} missing values; fill them"
        )


def _time_codes(frame, group_codes, *, group: str, time: str | None):
    """Each row's time position and the time labels; ``time=None``: rows numbered within
    each group. A (group, time) pair twice is an error naming ``time``."""
    import pandas as pd

    if time is None:
        time_codes = frame.groupby(group_codes, sort=False).cumcount().to_numpy()
        return time_codes, np.arange(int(time_codes.max()) + 1)
    if frame[time].isna().any():
        raise HierarchicalInputError("time", f"column {time!r} has missing values")
    time_codes, time_labels = pd.factorize(frame[time], sort=True)
    pairs = pd.Series(group_codes.astype(np.int64) * (len(time_labels) + 1) + time_codes)
    if pairs.duplicated().any():
        i = int(np.flatnonzero(pairs.duplicated().to_numpy())[0])
        raise HierarchicalInputError(
            "time",
            f"({group}={frame[group].iloc[i]!r}, {time}={frame[time].iloc[i]!r}) "
            "appears more than once",
        )
    return time_codes, time_labels
