import numpy as np
import pytest
from scipy import stats

from gmm_theory.figures import study


def _records(gain_by_density, cost=0.2, seeds=5, noise=0.5, rng_seed=0):
    """Synthetic runs of Random/EL2N with and without DRoP: DRoP adds ``gain_by_density[d]``
    points of worst-class accuracy and costs ``cost`` points of average accuracy, plus noise."""
    rng = np.random.default_rng(rng_seed)
    records = []
    for seed in range(seeds):
        for method in ("Random", "EL2N"):
            for d, gain in gain_by_density.items():
                base_worst, base_average = 60 + 10 * d + rng.normal(0, 2), 85 + 5 * d + rng.normal(0, 1)
                for name, worst, average in ((method, base_worst, base_average),
                                             (method + "+DRoP", base_worst + gain + rng.normal(0, noise),
                                              base_average - cost + rng.normal(0, noise / 5))):
                    records.append({"run_id": f"{name}/d={d:g}/seed={seed}", "method": name, "density": d,
                                    "seed": seed, "worst_class_accuracy": worst / 100,
                                    "average_accuracy": average / 100, "kept_per_class": [1, 1]})
    return records


def test_paired_effect_is_scipys_paired_t_interval():
    records = _records({0.3: 4.0})
    interval = study.paired(records, "EL2N+DRoP", "EL2N", 0.3, "worst_class_accuracy")
    a = [100 * r["worst_class_accuracy"] for r in records if r["method"] == "EL2N+DRoP"]
    b = [100 * r["worst_class_accuracy"] for r in records if r["method"] == "EL2N"]
    expected = stats.ttest_rel(a, b).confidence_interval(0.95)
    np.testing.assert_allclose([interval.low, interval.high], [expected.low, expected.high], rtol=1e-10)
    with pytest.raises(ValueError, match="no seed has both"):
        study.paired(records, "EL2N+DRoP", "SSP", 0.3, "worst_class_accuracy")


def test_verdicts_hold_when_the_effects_are_clear():
    found = study.verdicts(_records({0.3: 6.0, 0.5: 3.0, 0.8: 0.5}, cost=0.1), (0.3, 0.5, 0.8))
    assert [v["verdict"] for v in found] == ["holds", "holds", "holds"]


def test_verdicts_fail_or_cannot_tell_when_they_should():
    found = study.verdicts(_records({0.3: -4.0, 0.5: 0.0, 0.8: 2.0}, cost=2.0), (0.3, 0.5, 0.8))
    assert [v["verdict"] for v in found] == ["does not hold", "does not hold", "does not hold"]
    found = study.verdicts(_records({0.3: 0.0, 0.5: 0.0, 0.8: 0.0}, cost=0.5, noise=3.0), (0.3, 0.5, 0.8))
    assert found[0]["verdict"] == "cannot tell" and found[2]["verdict"] == "cannot tell"


def test_table2_has_a_row_per_pair_and_density_with_predictions():
    records = _records({0.3: 4.0, 0.8: 1.0})
    predictions = {r["run_id"]: r["worst_class_accuracy"] + (0.01 if "DRoP" in r["method"] else 0) for r in records}
    text = study.table2(records, (0.3, 0.8), predictions)
    rows = [line for line in text.splitlines()[2:]]
    assert len(rows) == 4 and rows[0].startswith("| Random | 0.3 |") and rows[0].count("|") == 10
    found = study.agreement(records, predictions, (0.3, 0.8))
    assert found["sign_agreement"] == 1.0 and found["sign_cells"] == 4
    assert found["rank_correlation"][0.3] > 0.5
