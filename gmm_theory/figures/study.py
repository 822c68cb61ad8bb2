"""The real-data study's report: the DRoP paper's Table 2 with intervals, the effect of DRoP
paired by seed, the Gaussian model's prediction beside every cell, and verdicts on the seed
summary's claims.  Needs the ``bridge`` extra.

- **Cells.** Each (method, density) cell gives the mean over seeds of the average and the
  worst-class test accuracy with a 95 % Student-t interval (:func:`gmm_theory._stats.t_interval`).
- **Paired effects.** A method ``X+DRoP`` is compared with ``X`` on the same seeds: the
  interval is that of the per-seed differences.
- **Prediction.** Per seed, a K-class Gaussian mixture is fitted to the held-out embeddings
  of the seed's full-data query model (:func:`gmm_theory.bridge.embeddings.embedding_mixture`);
  every run's kept class proportions are the training priors of an LDA rule whose class risks
  the mixture gives in closed form (:func:`gmm_theory.multiclass.allocators.trained_class_risks`).
  The model sees class proportions only: it predicts how quotas move the worst class, not
  which samples a score keeps inside a class, nor the cost of keeping fewer samples.
- **Verdicts** on the seed summary's claims (``shared/seed``): a worst-class gain of about
  +3.2 points at high pruning ratios, an average cost under 0.5 points, gains growing
  monotonically with the pruning ratio.  Each is *holds*, *does not hold* or *cannot tell*,
  by whether the paired 95 % interval clears the claim's threshold.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax
import numpy as np
from scipy.stats import spearmanr

from gmm_theory._stats import Interval, t_interval
from gmm_theory.bridge.embeddings import embedding_mixture
from gmm_theory.bridge.pipeline import BridgeConfig
from gmm_theory.bridge.store import Store, write_arrays
from gmm_theory.figures.empirical import load_records
from gmm_theory.multiclass.allocators import Quadrature, trained_class_risks
from gmm_theory.multiclass.mixture import KClassMixture

DROP = "+DRoP"
METRICS = ("average_accuracy", "worst_class_accuracy")
CLAIMED_WORST_GAIN = 3.2
CLAIMED_AVERAGE_COST = 0.5


def _values(records, method: str, density: float, key: str) -> dict[int, float]:
    return {r["seed"]: r[key] for r in records if r["method"] == method and r["density"] == density}


def cell(records, method: str, density: float, key: str) -> Interval:
    """Mean and 95 % interval over seeds of ``key`` (in points when an accuracy)."""
    return t_interval([100 * v for v in _values(records, method, density, key).values()])


def paired(records, treated: str, control: str, density: float, key: str) -> Interval:
    """Mean and 95 % interval of ``key`` of ``treated`` minus ``control`` over their common
    seeds, in points."""
    a, b = _values(records, treated, density, key), _values(records, control, density, key)
    common = sorted(set(a) & set(b))
    if not common:
        raise ValueError(f"no seed has both {treated!r} and {control!r} at density {density:g}")
    return t_interval([100 * (a[s] - b[s]) for s in common])


def drop_pairs(records) -> list[tuple[str, str]]:
    """(method, method+DRoP) for every method that has a DRoP twin in ``records``."""
    methods = list(dict.fromkeys(r["method"] for r in records))
    return [(m, m + DROP) for m in methods if m + DROP in methods]


def _format(interval: Interval) -> str:
    if np.isnan(interval.low):
        return f"{interval.mean:.1f}"
    return f"{interval.mean:.1f} [{interval.low:.1f}, {interval.high:.1f}]"


def _signed(interval: Interval) -> str:
    if np.isnan(interval.low):
        return f"{interval.mean:+.1f}"
    return f"{interval.mean:+.1f} [{interval.low:+.1f}, {interval.high:+.1f}]"


def table2(records, densities, predictions: dict | None = None) -> str:
    """The paper's Table 2 as markdown: per method pair and density, each method's average and
    worst-class accuracy (mean [95 % interval], points), the paired DRoP effect, and, with
    ``predictions`` (:func:`predicted_worst`), the Gaussian model's worst-class change."""
    head = "| method | d | average | worst-class | +DRoP average | +DRoP worst-class | Δ average | Δ worst-class |"
    rule = "| --- | --- | --- | --- | --- | --- | --- | --- |"
    if predictions is not None:
        head, rule = head + " predicted Δ worst-class |", rule + " --- |"
    lines = [head, rule]
    for alone, with_drop in drop_pairs(records):
        for d in densities:
            if not _values(records, alone, d, "seed") or not _values(records, with_drop, d, "seed"):
                continue
            cells = [_format(cell(records, m, d, key)) for m in (alone, with_drop) for key in METRICS]
            effects = [_signed(paired(records, with_drop, alone, d, key)) for key in METRICS]
            row = f"| {alone} | {d:g} | " + " | ".join(cells + effects) + " |"
            if predictions is not None:
                row += f" {_signed(predicted_effect(predictions, with_drop, alone, d))} |"
            lines.append(row)
    return "\n".join(lines)


def _mean_gain_per_seed(records, density: float, key: str) -> dict[int, float]:
    """Per seed, the mean over method pairs of method+DRoP minus method, in points."""
    gains: dict[int, list[float]] = {}
    for alone, with_drop in drop_pairs(records):
        a, b = _values(records, with_drop, density, key), _values(records, alone, density, key)
        for seed in set(a) & set(b):
            gains.setdefault(seed, []).append(100 * (a[seed] - b[seed]))
    return {seed: float(np.mean(values)) for seed, values in gains.items()}


def _above(interval: Interval, threshold: float) -> str:
    if np.isnan(interval.low):
        return "cannot tell"
    if interval.low > threshold:
        return "holds"
    return "does not hold" if interval.high < threshold else "cannot tell"


def verdicts(records, densities) -> list[dict]:
    """The seed summary's three claims on the DRoP pairs of ``records``, at the lowest of
    ``densities`` for the first two (the highest pruning ratio), over all of them for the third."""
    low = min(densities)
    worst = t_interval(list(_mean_gain_per_seed(records, low, "worst_class_accuracy").values()))
    cost = t_interval([-g for g in _mean_gain_per_seed(records, low, "average_accuracy").values()])
    found = [
        {"claim": f"worst-class gain of about +{CLAIMED_WORST_GAIN} points at high pruning ratios (d = {low:g})",
         "measured": _signed(worst), "verdict": _above(worst, 0.0),
         "note": "no interval: fewer than 2 seeds" if np.isnan(worst.low) else
                 f"+{CLAIMED_WORST_GAIN} {'inside' if not worst.excludes(CLAIMED_WORST_GAIN) else 'outside'} "
                 "the interval"},
    ]
    cost_verdict = _above(Interval(-cost.mean, -cost.high, -cost.low, cost.count), -CLAIMED_AVERAGE_COST)
    found.append({"claim": f"average accuracy cost under {CLAIMED_AVERAGE_COST} points (d = {low:g})",
                  "measured": _signed(cost), "verdict": cost_verdict, "note": "cost = method minus method+DRoP"})
    ordered = sorted(densities, reverse=True)  # increasing pruning ratio
    steps, gains = [], {d: _mean_gain_per_seed(records, d, "worst_class_accuracy") for d in ordered}
    for high, lower in zip(ordered, ordered[1:]):
        common = sorted(set(gains[high]) & set(gains[lower]))
        steps.append(t_interval([gains[lower][s] - gains[high][s] for s in common]))
    monotone = ("holds" if all(_above(step, 0.0) == "holds" for step in steps)
                else "does not hold" if any(_above(step, 0.0) == "does not hold" for step in steps)
                else "cannot tell")
    means = ", ".join(f"d = {d:g}: {np.mean(list(gains[d].values())):+.1f}" for d in ordered)
    found.append({"claim": "worst-class gains grow monotonically with the pruning ratio",
                  "measured": means, "verdict": monotone,
                  "note": "steps " + ", ".join(_signed(step) for step in steps)})
    return found


def format_verdicts(found) -> str:
    lines = ["| claim | measured (points, 95 % interval) | verdict | note |", "| --- | --- | --- | --- |"]
    return "\n".join(lines + [f"| {v['claim']} | {v['measured']} | {v['verdict']} | {v['note']} |" for v in found])


# --------------------------------------------------------------------------- the Gaussian model


def _mixture_arrays(mixture: KClassMixture) -> dict:
    return {"means": np.asarray(mixture.means), "covariances": np.asarray(mixture.covariances),
            "priors": np.asarray(mixture.priors)}


def seed_mixtures(directory, settings: dict, seeds, *, components: int = 8) -> dict[int, KClassMixture]:
    """Per seed, the mixture fitted to its full-data query model's held-out embeddings; fitted
    once and kept in the store as ``mixture_seed{s}.npz``."""
    store, mixtures = Store(directory), {}
    for seed in seeds:
        arrays = store.load_arrays(f"mixture_seed{seed}")
        if arrays is None:
            with jax.enable_x64(False):  # the CNN trains in float32
                fitted = embedding_mixture(BridgeConfig(**settings, seed=seed, progress=False), components=components)
            arrays = _mixture_arrays(fitted.mixture)
            write_arrays(Path(directory) / f"mixture_seed{seed}.npz", **arrays)
        mixtures[seed] = KClassMixture(arrays["means"], arrays["covariances"], arrays["priors"])
    return mixtures


def predicted_worst(records, mixtures: dict[int, KClassMixture], *, points: int = 1024) -> dict[str, float]:
    """Per run id, the worst-class accuracy the seed's mixture predicts for an LDA rule trained
    at the run's kept class proportions."""
    quadrature = Quadrature(jax.random.key(0), points)
    predicted = {}
    with jax.enable_x64(True):
        for record in records:
            kept = np.asarray(record["kept_per_class"], dtype=np.float64)
            risks, _ = trained_class_risks(mixtures[record["seed"]], kept / kept.sum(), quadrature)
            predicted[record["run_id"]] = float(1 - risks.max())
    return predicted


def _predicted(predictions: dict, method: str, density: float) -> dict[int, float]:
    prefix = f"{method}/d={density:g}/seed="
    return {int(run_id[len(prefix):]): value for run_id, value in predictions.items() if run_id.startswith(prefix)}


def predicted_effect(predictions: dict, treated: str, control: str, density: float) -> Interval:
    a, b = _predicted(predictions, treated, density), _predicted(predictions, control, density)
    return t_interval([100 * (a[s] - b[s]) for s in sorted(set(a) & set(b))])


def agreement(records, predictions: dict, densities) -> dict:
    """How the Gaussian model and the CNN agree: per density, the Spearman rank correlation
    over methods of predicted and measured mean worst-class accuracy, and the share of method
    pairs and densities where the predicted and measured DRoP effects on the worst class have
    the same sign."""
    methods = list(dict.fromkeys(r["method"] for r in records))
    correlations = {}
    for d in densities:
        present = [m for m in methods if _values(records, m, d, "seed")]
        measured = [np.mean(list(_values(records, m, d, "worst_class_accuracy").values())) for m in present]
        model = [np.mean(list(_predicted(predictions, m, d).values())) for m in present]
        correlations[d] = float(spearmanr(model, measured).statistic) if len(present) > 2 else None
    signs = [np.sign(predicted_effect(predictions, b, a, d).mean) == np.sign(paired(records, b, a, d,
                                                                                   "worst_class_accuracy").mean)
             for a, b in drop_pairs(records) for d in densities
             if _values(records, a, d, "seed") and _values(records, b, d, "seed")]
    return {"rank_correlation": correlations, "sign_agreement": float(np.mean(signs)) if signs else None,
            "sign_cells": len(signs)}


def study_report(directory, densities=(0.3, 0.5, 0.8), *, predict: bool = True) -> str:
    """The markdown report of the study in ``directory``: Table 2 with intervals and the
    model's predictions, the agreement of model and CNN, and the verdicts."""
    records = load_records(directory)
    settings = json.loads((Path(directory) / "settings.json").read_text())
    seeds = sorted({r["seed"] for r in records})
    predictions = predicted_worst(records, seed_mixtures(directory, settings, seeds)) if predict else None
    parts = [f"Seeds: {len(seeds)}; cells: mean [95 % t-interval] in points; Δ: method+DRoP minus method, "
             "paired by seed.", "", table2(records, densities, predictions), ""]
    if predictions is not None:
        found = agreement(records, predictions, densities)
        correlations = ", ".join(f"d = {d:g}: {'n/a' if c is None else f'{c:+.2f}'}"
                                 for d, c in found["rank_correlation"].items())
        parts += [f"Model and CNN: Spearman correlation of worst-class accuracy over methods {correlations}; "
                  f"the predicted DRoP effect has the measured sign in {100 * found['sign_agreement']:.0f} % of "
                  f"{found['sign_cells']} cells.", ""]
    parts += [format_verdicts(verdicts(records, densities))]
    return "\n".join(parts)
