"""Leaderboard figures: confusion matrices (PNG, since every seed text shows one) and the site's SVG charts."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from avbench.storage.atomic import atomic_path


def confusion_figure(counts: Sequence[Sequence[int]], classes: Sequence[str], path: Path, title: str) -> None:
    """Row-normalised confusion matrix (true rows, predicted columns) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrix = np.asarray(counts, dtype=float)
    rows = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, rows, out=np.zeros_like(matrix), where=rows > 0)
    size = 1.2 + 0.55 * len(classes)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(j, i, f"{int(matrix[i, j])}", ha="center", va="center", fontsize=7,
                    color="white" if share[i, j] > 0.5 else "black")
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------- the site's SVG figures
# Same inputs, same bytes: a fixed hash salt for element ids, no date in the metadata, text kept as text.
SVG_RC = {"svg.hashsalt": "avbench", "svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": 8}
SVG_METADATA = {"Date": None, "Creator": None}


def _save_svg(fig: Any, path: Path, tight: bool = False) -> None:
    """``tight``: the saved box takes in what lies outside the axes (a legend below them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="svg", metadata=SVG_METADATA, **({"bbox_inches": "tight", "pad_inches": 0.08}
                                                                  if tight else {}))


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def scores_figure(labels: Sequence[str], metrics: dict[str, Sequence[tuple[float, float | None, float | None]]],
                  path: Path, title: str) -> None:
    """Dot-and-whisker chart: per row (top to bottom) each metric's value and 95% interval, in %.

    ``metrics`` maps a metric label to one ``(value, low, high)`` per label (``low``/``high`` may be None).
    """
    plt = _pyplot()
    with plt.rc_context(SVG_RC):
        fig, ax = plt.subplots(figsize=(6.4, 1.3 + 0.32 * len(labels)))
        n = len(metrics)
        for k, (name, points) in enumerate(metrics.items()):
            offset = (k - (n - 1) / 2) * 0.22
            ys = [i + offset for i in range(len(labels))]
            xs = [100 * p[0] for p in points]
            # a pooled UAR or F1 can lie outside the range over speakers (shown below 6 speakers): the whisker
            # then starts at the value instead of crossing it
            low = [max(0.0, 100 * (p[0] - p[1])) if p[1] is not None else 0.0 for p in points]
            high = [max(0.0, 100 * (p[2] - p[0])) if p[2] is not None else 0.0 for p in points]
            ax.errorbar(xs, ys, xerr=[low, high], fmt="o", markersize=4, capsize=2, linewidth=1, label=name)
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
        ax.set_xlabel("% (95% speaker-bootstrap interval)")
        ax.set_title(title, fontsize=8, pad=18)
        ax.grid(axis="x", linewidth=0.4, alpha=0.5)
        # in one line between the title and the plot: a legend inside covers the bars of a one-row chart
        ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=max(1, n), frameon=False,
                  borderaxespad=0.2, handletextpad=0.3, columnspacing=1.2)
        fig.tight_layout()
        _save_svg(fig, path, tight=True)
        plt.close(fig)


def latency_figure(labels: Sequence[str], scores: Sequence[float], latencies_ms: Sequence[float], path: Path,
                   title: str, metric: str) -> None:
    """Score (in %) against median per-clip latency (ms, log scale), one labelled point per row."""
    plt = _pyplot()
    with plt.rc_context(SVG_RC):
        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        xs, ys = list(latencies_ms), [100 * s for s in scores]
        ax.scatter(xs, ys, s=18)
        for label, x, y in zip(labels, xs, ys):
            ax.annotate(label, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=6)
        from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

        if xs and min(xs) > 0 and max(xs) / min(xs) >= 10:  # a log axis only where it spans a decade or more
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
        else:  # a narrow range: a linear axis with several readable ticks
            ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
        ax.margins(x=0.18, y=0.12)  # room for the labels of the points at the edges
        ax.set_xlabel("latency p50 per clip (ms)")
        ax.set_ylabel(f"{metric} (%)")
        ax.set_title(title, fontsize=8)
        ax.grid(linewidth=0.4, alpha=0.5)
        fig.tight_layout()
        _save_svg(fig, path)
        plt.close(fig)


def recall_heatmap(labels: Sequence[str], classes: Sequence[str], recalls: Sequence[Sequence[float]], path: Path,
                   title: str) -> None:
    """Per-class recall of each row (rows) per class (columns), in %."""
    plt = _pyplot()
    matrix = np.asarray(recalls, dtype=float)
    with plt.rc_context(SVG_RC):
        fig, ax = plt.subplots(figsize=(2.6 + 0.55 * len(classes), 1.0 + 0.32 * len(labels)))
        image = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
        ax.set_yticks(range(len(labels)), labels)
        for i in range(matrix.shape[0]):
            for j in range(matrix.shape[1]):
                ax.text(j, i, f"{100 * matrix[i, j]:.0f}", ha="center", va="center", fontsize=6,
                        color="white" if matrix[i, j] > 0.5 else "black")
        ax.set_title(title, fontsize=8)
        fig.colorbar(image, ax=ax, fraction=0.046, label="recall")
        fig.tight_layout()
        _save_svg(fig, path)
        plt.close(fig)
