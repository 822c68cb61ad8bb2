"""Figures of real-data runs: a sweep's records in the DRoP paper's formats, and the
allocators on a Gaussian mixture fitted to a CNN's embeddings.  Needs the ``bridge`` extra.

- ``accuracy_vs_density``: average and worst-class test accuracy against dataset density per
  method, the mean over seeds with a min/max band (the paper's main curves);
- ``class_densities``: the class densities each method keeps, sorted, at each density below 1;
- ``density_vs_accuracy``: class density kept against the full-data class accuracy (the query
  models' validation recall), with their correlation, at each density below 1;
- ``embedding_allocators`` (a registered figure): the K-class allocators on the mixture fitted
  to the held-out embeddings of the bridge's full-data query model.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import jax
import numpy as np
from matplotlib.colors import TABLEAU_COLORS
from matplotlib.figure import Figure

from gmm_theory.bridge.embeddings import embedding_mixture
from gmm_theory.bridge.pipeline import BridgeConfig
from gmm_theory.bridge.store import RECORDS, Store
from gmm_theory.figures.drawing import METHOD_COLORS, Curve, Drawn, draw_curves, save
from gmm_theory.figures.multiclass import allocators_vs_density

REPORT_FIGURES = ("accuracy_vs_density", "class_densities", "density_vs_accuracy")


def load_records(directory) -> list[dict]:
    """The intact records of the store in ``directory``, in file order."""
    path = Path(directory) / RECORDS
    records = Store(directory).records if path.exists() else {}
    if not records:
        raise FileNotFoundError(f"no finished runs in {directory} (expected records in {path})")
    return list(records.values())


def _methods(records) -> list[str]:
    return list(dict.fromkeys(record["method"] for record in records))


def method_colors(methods) -> dict[str, str]:
    """A colour per method: its fixed one (:data:`gmm_theory.figures.drawing.METHOD_COLORS`) where it has
    one, otherwise the next Tableau colour that none of the other ``methods`` has."""
    taken = {METHOD_COLORS[method] for method in methods if method in METHOD_COLORS}
    free = itertools.cycle([color for color in TABLEAU_COLORS if color not in taken] or TABLEAU_COLORS)
    return {method: METHOD_COLORS.get(method) or next(free) for method in methods}


def _densities(records) -> list[float]:
    return sorted({record["density"] for record in records})


def _select(records, method: str, density: float) -> list[dict]:
    return [r for r in records if r["method"] == method and r["density"] == density]


def summary(records) -> list[dict]:
    """One row per (method, density): seeds, and the mean, min and max over seeds of the
    average and the worst-class accuracy."""
    rows = []
    for method in _methods(records):
        for density in _densities(records):
            runs = _select(records, method, density)
            if not runs:
                continue
            row = {"method": method, "density": density, "seeds": len(runs)}
            for metric in ("average_accuracy", "worst_class_accuracy"):
                values = np.array([run[metric] for run in runs])
                row |= {f"{metric}_mean": values.mean(), f"{metric}_min": values.min(), f"{metric}_max": values.max()}
            rows.append(row)
    return rows


def format_table(rows) -> str:
    """The summary as a fixed-width text table (accuracies in %, mean [min, max])."""
    header = f"{'method':<22} {'density':>7} {'seeds':>5}  {'average accuracy':<22} {'worst-class accuracy':<22}"
    lines = [header, "-" * len(header)]
    for row in rows:
        cells = [f"{100 * row[f'{m}_mean']:5.1f} [{100 * row[f'{m}_min']:5.1f}, {100 * row[f'{m}_max']:5.1f}]"
                 for m in ("average_accuracy", "worst_class_accuracy")]
        lines.append(f"{row['method']:<22} {row['density']:>7.2f} {row['seeds']:>5}  {cells[0]:<22} {cells[1]:<22}")
    return "\n".join(lines)


def empirical_curves(records, metric: str) -> list[Curve]:
    """Mean and min/max over seeds of ``metric`` against density, one curve per method."""
    curves = []
    for method, color in method_colors(_methods(records)).items():
        densities = [d for d in _densities(records) if _select(records, method, d)]
        values = [np.array([run[metric] for run in _select(records, method, d)]) for d in densities]
        curves.append(Curve(method, np.array(densities), np.array([v.mean() for v in values]),
                            np.array([v.min() for v in values]), np.array([v.max() for v in values]),
                            color=color))
    return curves


def _title(records) -> str:
    first = records[0]
    return f"{first['dataset']}, {first['model']}, {len({r['seed'] for r in records})} seeds"


def accuracy_vs_density(records, extra_curves=None) -> Figure:
    """Average and worst-class accuracy against density; ``extra_curves`` (a dict with keys
    "average" and "worst", e.g. :func:`gmm_theory.figures.twoclass.theory_curves`) are drawn alongside."""
    figure = Figure(figsize=(12, 4.5), layout="constrained")
    axes = figure.subplots(1, 2, sharex=True)
    for ax, (key, metric, label) in zip(axes, (("average", "average_accuracy", "average accuracy"),
                                               ("worst", "worst_class_accuracy", "worst-class accuracy"))):
        draw_curves(ax, empirical_curves(records, metric) + list((extra_curves or {}).get(key, [])))
        ax.set(xlabel="dataset density d", ylabel=label, title=f"{label.capitalize()} (band: min-max over seeds)")
    handles, labels = axes[1].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 7), fontsize=8)
    figure.suptitle(f"Accuracy vs density: {_title(records)}", fontsize=10)
    return figure


def _density_panels(records, height: float):
    """A figure with one panel per density below 1, each with the (method, colour, runs) to
    draw; every panel's y axis is the class density kept."""
    densities = [d for d in _densities(records) if d < 1] or _densities(records)
    figure = Figure(figsize=(4.2 * len(densities), height), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(densities), sharey=True))
    axes[0].set_ylabel("class density kept")
    colors = method_colors(_methods(records))
    return figure, [(ax, d, [(m, c, _select(records, m, d)) for m, c in colors.items() if _select(records, m, d)])
                    for ax, d in zip(axes, densities)]


def class_densities(records) -> Figure:
    """Class densities kept by each method, sorted in decreasing order, mean over seeds."""
    figure, panels = _density_panels(records, 3.8)
    for ax, density, entries in panels:
        for method, color, runs in entries:
            kept = np.mean([np.sort(run["class_densities"])[::-1] for run in runs], axis=0)
            ax.plot(np.arange(1, kept.size + 1), kept, "-o", markersize=3, color=color, label=method)
        ax.axhline(density, color="black", linewidth=0.8, linestyle=":")
        ax.set(xlabel="class, by density kept", title=f"d = {density:g}", ylim=(0, 1.05))
    panels[-1][0].legend(fontsize=7)
    figure.suptitle(f"Sorted class densities: {_title(records)}", fontsize=10)
    return figure


def density_vs_accuracy(records) -> Figure:
    """Class density kept against full-data class accuracy, each method's correlation in the legend."""
    figure, panels = _density_panels(records, 4.0)
    for ax, density, entries in panels:
        for method, color, runs in entries:
            accuracy = np.concatenate([run["full_data_class_recalls"] for run in runs])
            kept = np.concatenate([run["class_densities"] for run in runs])
            # Stratified quotas differ between classes by rounding only: no correlation to speak of.
            spread = np.ptp(accuracy) > 0 and np.ptp(kept) > 0.01
            correlation = f"r = {np.corrcoef(accuracy, kept)[0, 1]:+.2f}" if spread else "equal densities"
            ax.scatter(accuracy, kept, s=12, color=color, label=f"{method} ({correlation})")
        ax.set(xlabel="full-data class accuracy", title=f"d = {density:g}", ylim=(0, 1.05))
        ax.legend(fontsize=6)
    figure.suptitle(f"Class density vs full-data class accuracy: {_title(records)}", fontsize=10)
    return figure


def write_report(directory, out=None) -> tuple[str, list[Path]]:
    """The summary table of the store in ``directory`` and the paths of its figures (PNG and
    PDF), written to ``out`` (default: ``directory``/figures)."""
    records = load_records(directory)
    out = Path(out) if out is not None else Path(directory) / "figures"
    drawers = {"accuracy_vs_density": accuracy_vs_density, "class_densities": class_densities,
               "density_vs_accuracy": density_vs_accuracy}
    written = []
    for name in REPORT_FIGURES:
        written += save(drawers[name](records), out, name)
    return format_table(summary(records)), written


def embedding_allocators(*, dataset: str = "mnist1d", components: int = 8, epochs: int | None = None,
                         densities=tuple(np.linspace(0.1, 0.9, 9)), points: int = 512) -> Drawn:
    """:func:`allocators_vs_density` on a mixture fitted to the held-out embeddings of the
    bridge's full-data query model on ``dataset`` (:mod:`gmm_theory.bridge.embeddings`)."""
    with jax.enable_x64(False):  # the CNN trains in float32
        fitted = embedding_mixture(BridgeConfig(dataset=dataset, epochs=epochs, progress=False),
                                   components=components)
    drawn = allocators_vs_density(fitted.mixture, densities=densities, points=points,
                                  title=f"mixture fitted to {dataset} query-model embeddings "
                                        f"({components} principal components)")
    return Drawn(drawn.figure, {**drawn.data, "cnn_recalls": fitted.cnn_recalls, "mixture": fitted.mixture})
