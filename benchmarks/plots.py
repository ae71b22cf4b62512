"""PNG plots for the benchmarks; optional: without matplotlib every function returns None."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks._common import RESULTS

# A copy for docs/benchmarks.md (results/*.png are not committed; these are).
DOCS_IMG = Path(__file__).parent.parent / "docs" / "img" / "benchmarks"


def _pyplot() -> Any | None:
    """matplotlib.pyplot on a file-only backend, or None when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def _save(plt: Any, fig: Any, name: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.png"
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    fig.savefig(DOCS_IMG / path.name, dpi=80)
    plt.close(fig)
    return path


def quota_timeline(
    name: str,
    runs: Mapping[str, Sequence[tuple[float, int]]],
    *,
    quota: int,
    window: float,
    title: str,
) -> Path | None:
    """Cumulative requests started over time per run, 429s marked, against the quota staircase."""
    plt = _pyplot()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(9, 5))
    end = 0.0
    for label, events in runs.items():
        if not events:
            continue
        ordered = sorted(events)
        t0 = ordered[0][0]
        xs = [t - t0 for t, _ in ordered]
        ax.step(xs, range(1, len(xs) + 1), where="post", label=f"{label}: requests started")
        pairs = enumerate(zip(xs, ordered, strict=True), start=1)
        refused = [(x, n) for n, (x, (_, status)) in pairs if status == 429]
        if refused:
            ax.scatter(*zip(*refused, strict=True), s=6, color="red", label=f"{label}: 429")
        end = max(end, xs[-1])
    steps = int(end // window) + 2
    ax.step(
        [i * window for i in range(steps)],
        [quota * (i + 1) for i in range(steps)],
        where="post",
        linestyle="--",
        color="grey",
        label=f"quota: {quota} per {window:g} s (from the first request)",
    )
    ax.set_xlabel("seconds since the first request")
    ax.set_ylabel("requests started (cumulative)")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    return _save(plt, fig, name)


def lines(
    name: str,
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    xlabel: str,
    ylabel: str,
    title: str,
) -> Path | None:
    """One line per series of (xs, ys)."""
    plt = _pyplot()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label, (xs, ys) in series.items():
        ax.plot(xs, ys, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return _save(plt, fig, name)


def bars(
    name: str,
    values: Mapping[str, float],
    *,
    ylabel: str,
    title: str,
    goal: float | None = None,
    goal_label: str = "goal",
) -> Path | None:
    """A bar per label, with an optional horizontal goal line."""
    plt = _pyplot()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.5))
    labels = list(values)
    ax.bar(labels, [values[k] for k in labels], color="tab:blue")
    if goal is not None:
        ax.axhline(goal, linestyle="--", color="grey", label=goal_label)
        ax.legend(fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return _save(plt, fig, name)


def relative(path: Path | None) -> str | None:
    """A plot path relative to benchmarks/results, for the JSON (None when not drawn)."""
    return None if path is None else path.name
