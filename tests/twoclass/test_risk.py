import numpy as np
import pytest

import oracles
from gmm_theory import TwoClassMixture, average_risk, class_risks, worst_class_risk


@pytest.mark.slow
def test_class_risks_match_quadrature_on_random_models():
    rng = np.random.default_rng(0)
    for _ in range(200):
        means, stds, priors = oracles.random_parameters(rng)
        mixture = TwoClassMixture(means, stds, priors)
        t = rng.uniform(means[0] - 3 * stds[0], means[1] + 3 * stds[1])
        expected = oracles.class_risks_by_quadrature(means, stds, t)
        np.testing.assert_allclose(class_risks(mixture, t), expected, rtol=1e-8, atol=1e-12)
        assert float(average_risk(mixture, t)) == pytest.approx(
            priors[0] * expected[0] + priors[1] * expected[1], rel=1e-8, abs=1e-12)
        assert float(worst_class_risk(mixture, t)) == pytest.approx(max(expected), rel=1e-8, abs=1e-12)


def test_infinite_thresholds_are_the_trivial_rules():
    mixture = TwoClassMixture(priors=(0.3, 0.7))
    np.testing.assert_array_equal(class_risks(mixture, -np.inf), [1.0, 0.0])
    np.testing.assert_array_equal(class_risks(mixture, np.inf), [0.0, 1.0])
    assert float(average_risk(mixture, -np.inf)) == pytest.approx(0.3)
    assert float(average_risk(mixture, np.inf)) == pytest.approx(0.7)


def test_far_tail_risks_keep_relative_accuracy():
    # 1 - Phi(z) would round to 0 here; the risk must not.
    mixture = TwoClassMixture()
    risk_0 = float(class_risks(mixture, 9.0)[0])
    expected = oracles.class_risks(mixture.means.tolist(), mixture.stds.tolist(), 9.0)[0]
    assert risk_0 > 0
    assert risk_0 == pytest.approx(expected, rel=1e-10)
