"""The figures a benchmark reports, gathered by bench/run_all.py into bench/RESULTS.md.

A benchmark prints its figures for a reader and also calls `record` for the
ones its issue sets a target for: the figure, the floor it is measured
against in the same run (when it has one) and the target, as a ratio to the
floor or as an absolute figure. `record` writes nothing unless bench/run_all.py
(or `make bench`) asked for the figures through the environment, so every
benchmark still runs alone by hand.

Figures are reported, never asserted: the machine is shared, so a target
missed is a row of the table, not a failure. A benchmark that breaks (an
exception, a wrong count) exits non-zero, and that fails the run and CI.
"""

import json
import os
from dataclasses import asdict, dataclass

RESULTS_ENV = "BENCH_RESULTS"


@dataclass(frozen=True)
class Figure:
    bench: str
    measure: str
    value: float
    unit: str = "s"
    floor: str = ""
    floor_value: float | None = None
    target_ratio: float | None = None
    target_value: float | None = None
    higher_is_better: bool = False

    @property
    def ratio(self) -> float | None:
        if self.floor_value in (None, 0):
            return None
        return self.value / self.floor_value

    @property
    def met(self) -> bool | None:
        """Whether every target stated for the figure holds; None when it has none."""
        checks = []
        if self.target_ratio is not None and self.ratio is not None:
            checks.append(
                self.ratio >= self.target_ratio
                if self.higher_is_better
                else self.ratio <= self.target_ratio
            )
        if self.target_value is not None:
            checks.append(
                self.value >= self.target_value
                if self.higher_is_better
                else self.value <= self.target_value
            )
        return all(checks) if checks else None

    @property
    def target(self) -> str:
        sign = "≥" if self.higher_is_better else "≤"
        parts = []
        if self.target_ratio is not None:
            parts.append(f"{sign} {self.target_ratio:g}x the floor")
        if self.target_value is not None:
            parts.append(f"{sign} {self.target_value:g} {self.unit}")
        return ", ".join(parts)


def record(bench: str, measure: str, value: float, **kwargs) -> Figure:
    """Note one figure (see Figure's fields); appended to $BENCH_RESULTS when it is set."""
    figure = Figure(bench=bench, measure=measure, value=float(value), **kwargs)
    path = os.environ.get(RESULTS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(figure), ensure_ascii=False) + "\n")
    return figure


def read(path) -> list[Figure]:
    with open(path, encoding="utf-8") as lines:
        return [Figure(**json.loads(line)) for line in lines if line.strip()]
