"""Panel data of a hierarchical GLM: groups × times × features, a target with gaps.

:class:`PanelData` holds dense arrays: features ``X`` of shape (groups, times, features)
and the target ``y`` of shape (groups, times), with NaN where the target is unknown (a
closed store, a day not yet seen, a padding cell). A long-form table is turned into one
by :meth:`PanelData.from_frame`; cells that the table does not have get a NaN target and
zero features.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bayes_widgets.core.hierarchical.errors import HierarchicalInputError

__all__ = ["PanelData"]


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
        groups: Sequence | None = None,
        times: Sequence | None = None,
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
        groups = np.arange(G) if groups is None else np.asarray(groups)
        times = np.arange(T) if times is None else np.asarray(times)
        features = (
            tuple(f"x{j}" for j in range(F))
            if features is None
            else tuple(str(f) for f in features)
        )
        if groups.shape != (G,):
            raise HierarchicalInputError(
                "groups", f"needs {G} labels (one per group), got shape {groups.shape}"
            )
        if times.shape != (T,):
            raise HierarchicalInputError(
                "times", f"needs {T} labels (one per time), got shape {times.shape}"
            )
        if len(features) != F:
            raise HierarchicalInputError(
                "features", f"needs {F} names (one per feature), got {len(features)}"
            )
        if len(set(features)) != F:
            dup = next(f for f in features if features.count(f) > 1)
            raise HierarchicalInputError("features", f"name {dup!r} appears twice")
        data = cls(X=X, y=y, groups=groups, times=times, features=features, target=str(target))
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

        if not isinstance(frame, pd.DataFrame):
            raise HierarchicalInputError(
                "frame", f"expected a pandas DataFrame, got {type(frame).__name__}"
            )
        if isinstance(features, str):
            features = [features]
        features = list(features)
        columns = list(frame.columns)
        for field, names in (
            ("group", [group]),
            ("target", [target]),
            ("time", [] if time is None else [time]),
        ):
            for name in names:
                if name not in frame.columns:
                    raise HierarchicalInputError(
                        field, f"column {name!r} not in the data frame (columns: {columns})"
                    )
        for name in features:
            if name not in frame.columns:
                raise HierarchicalInputError(
                    f"features.{name}",
                    f"column {name!r} not in the data frame (columns: {columns})",
                )
            if name in (group, target, time):
                raise HierarchicalInputError(
                    f"features.{name}", "is also the group, time or target column"
                )
            if not (
                pd.api.types.is_numeric_dtype(frame[name])
                or pd.api.types.is_bool_dtype(frame[name])
            ):
                raise HierarchicalInputError(
                    f"features.{name}",
                    f"must be numeric (got {frame[name].dtype}); one-hot encode it",
                )
            if frame[name].isna().any():
                raise HierarchicalInputError(
                    f"features.{name}",
                    f"has {int(frame[name].isna().sum())} missing values; fill them",
                )
        if not pd.api.types.is_numeric_dtype(frame[target]):
            raise HierarchicalInputError(
                "target", f"column {target!r} must be numeric (got {frame[target].dtype})"
            )
        if frame[group].isna().any():
            raise HierarchicalInputError(
                "group", f"column {group!r} has {int(frame[group].isna().sum())} missing labels"
            )
        if frame.empty:
            raise HierarchicalInputError("frame", "has no rows")

        group_codes, group_labels = pd.factorize(frame[group], sort=True)
        if time is None:
            time_codes = frame.groupby(group_codes, sort=False).cumcount().to_numpy()
            time_labels = np.arange(int(time_codes.max()) + 1)
        else:
            if frame[time].isna().any():
                raise HierarchicalInputError("time", f"column {time!r} has missing values")
            time_codes, time_labels = pd.factorize(frame[time], sort=True)
            pairs = pd.Series(group_codes.astype(np.int64) * (len(time_labels) + 1) + time_codes)
            if pairs.duplicated().any():
                i = int(np.flatnonzero(pairs.duplicated().to_numpy())[0])
                raise HierarchicalInputError(
                    "time",
                    f"({group}={frame[group].iloc[i]!r}, {time}={frame[time].iloc[i]!r}) appears more than once",
                )
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
