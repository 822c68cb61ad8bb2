import numpy as np
import pytest
from matplotlib.figure import Figure

import gmm_theory as gt
from gmm_theory.figures.drawing import Curve, color_for, draw_curves
from gmm_theory.figures.twoclass import theory_curves

import oracles

PAPER = ((-1.0, 1.0), (0.5, 1.5), (0.5, 0.5))


def test_theory_curves_are_accuracies_of_the_population_limits():
    curves = theory_curves(gt.TwoClassMixture(), [0.3, 0.6, 1.0])
    assert [c.label for c in curves["worst"]] == ["Random (theory)", "Random+DRoP (theory)",
                                                  "Random+iterated-DRoP (theory)", "Random+optimal (theory)"]
    full = oracles.trained_class_risks(*PAPER)
    np.testing.assert_allclose(curves["worst"][0].mean, 1 - full.max(), atol=1e-9)
    np.testing.assert_allclose(curves["average"][0].mean, 1 - full @ np.array(PAPER[2]), atol=1e-9)
    # Optimal quotas reach the minimax error Phi(-1) while density allows the std-proportional prior.
    assert curves["worst"][3].mean[0] == pytest.approx(1 - 0.15865525393, abs=1e-9)


def test_draw_curves_draws_lines_and_bands():
    ax = Figure().add_subplot()
    x = np.array([0.3, 0.5, 1.0])
    draw_curves(ax, [Curve("Random", x, x, x - 0.1, x + 0.1), Curve("mine", x, 1 - x, linestyle="--")])
    assert [line.get_label() for line in ax.get_lines()] == ["Random", "mine"]
    assert len(ax.collections) == 1  # one band
    assert ax.get_lines()[0].get_color() == color_for("Random") and color_for("mine", 3) == "C3"


@pytest.mark.slow
def test_monte_carlo_curves_are_accuracies_of_the_summaries():
    import jax

    from gmm_theory.twoclass.montecarlo.comparison import compare_methods
    from gmm_theory.figures.twoclass import monte_carlo_curves

    mixture = gt.TwoClassMixture()
    curves = monte_carlo_curves(mixture, jax.random.key(0), 300, [0.5, 1.0], 4, methods=("Random", "Random+DRoP"))
    summary = compare_methods(mixture, jax.random.key(0), 300, [0.5, 1.0], 4, methods=("Random+DRoP",))
    drop = curves["worst"][1]
    assert drop.label == "Random+DRoP (n = 300)"
    np.testing.assert_allclose(drop.mean, 1 - summary["Random+DRoP"].worst_class_risk_mean)
    np.testing.assert_allclose(drop.high - drop.mean, summary["Random+DRoP"].worst_class_risk_se)
