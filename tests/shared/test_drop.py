"""The DRoP drivers: the iterated-DRoP update and its loop, realised priors, class errors."""

import warnings

import numpy as np
import pytest
from scipy.optimize import brentq

from gmm_theory.drop import (
    POLICIES,
    IteratedDrop,
    class_errors,
    iterated_drop,
    iterated_drop_trajectory,
    iterated_drop_update,
)

# --- iterated DRoP ---------------------------------------------------------------------------

A = np.array([0.5, 0.6, 0.7])


def toy_errors(priors, steepness):
    """Class error falling with its training prior: e_k = a_k exp(-b_k pi_k)."""
    return A * np.exp(-steepness * priors)


def equal_error_point(steepness):
    """Priors with a_k exp(-b_k pi_k) = E for all k and sum pi = 1, by brentq on E."""
    level = brentq(lambda e: np.sum(np.log(A / e) / steepness) - 1.0, 1e-12, A.min(), xtol=1e-15)
    return np.log(A / level) / steepness


def iterate(steepness, step, iterations=300):
    priors = np.full(3, 1 / 3)
    for _ in range(iterations):
        priors = iterated_drop_update(priors, toy_errors(priors, steepness), step)
    return priors


@pytest.mark.parametrize("step", [1.0, 0.5, 0.2])
def test_iterated_drop_converges_to_equal_errors(step):
    steepness = np.array([1.0, 2.0, 3.0])
    target = equal_error_point(steepness)
    priors = iterate(steepness, step)
    np.testing.assert_allclose(priors, target, atol=1e-10)
    assert np.ptp(toy_errors(priors, steepness)) < 1e-10


def test_damping_keeps_the_fixed_point_and_fixes_oscillation():
    steepness = np.array([6.0, 8.0, 10.0])
    target = equal_error_point(steepness)
    for step in (0.1, 0.5, 1.0, 2.0):
        np.testing.assert_allclose(
            iterated_drop_update(target, toy_errors(target, steepness), step), target, atol=1e-12
        )
    # Steep errors make the plain iteration overshoot (b_k pi_k > 2); damping converges.
    assert np.abs(iterate(steepness, 1.0) - target).max() > 1e-2
    np.testing.assert_allclose(iterate(steepness, 0.5), target, atol=1e-10)


def test_iterated_drop_single_steps():
    np.testing.assert_allclose(iterated_drop_update([0.5, 0.5], [0.2, 0.6]), [0.25, 0.75])
    root3 = np.sqrt(3.0)
    np.testing.assert_allclose(iterated_drop_update([0.5, 0.5], [0.2, 0.6], step=0.5),
                               [1 / (1 + root3), root3 / (1 + root3)])
    assert iterated_drop_update([0.5, 0.5], [0.0, 0.3]).tolist() == [0.0, 1.0]


def test_iterated_drop_all_zero_errors_is_a_fixed_point():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        priors = iterated_drop_update([0.4, 0.6, 0.0], [0.0, 0.0, 0.7])
    assert priors.tolist() == [0.4, 0.6, 0.0]


@pytest.mark.parametrize(
    ("priors", "errors", "step", "match"),
    [
        ([0.5, 0.6], [0.1, 0.1], 1.0, r"priors must sum to 1"),
        ([1.5, -0.5], [0.1, 0.1], 1.0, r"priors\[0\] must lie in \[0, 1\]"),
        ([0.5, 0.5], [0.1], 1.0, r"errors must have 2 entries"),
        ([0.5, 0.5], [0.1, 1.1], 1.0, r"errors\[1\] must lie in \[0, 1\]"),
        ([0.5, 0.5], [0.1, 0.2], 0.0, r"step must be a positive finite number"),
        ([0.5, 0.5], [0.1, 0.2], float("nan"), r"step must be a positive finite number"),
    ],
)
def test_iterated_drop_rejects_bad_input(priors, errors, step, match):
    with pytest.raises(ValueError, match=match):
        iterated_drop_update(priors, errors, step)


# --- the shared loop ---------------------------------------------------------------------------


def test_the_loop_on_a_batch_equals_one_hand_written_loop_per_row():
    rng = np.random.default_rng(0)
    start = rng.dirichlet(np.ones(3), size=(2, 4))
    steepness = rng.uniform(1, 4, size=(2, 4, 3))
    config = IteratedDrop(rounds=7, step=0.7)
    states = iterated_drop(lambda priors, _: toy_errors(priors, steepness), lambda priors, *_: priors, start, start,
                           config)
    assert len(states) == config.rounds + 1
    for index in np.ndindex(2, 4):
        priors = start[index]
        for _ in range(config.rounds):
            priors = (A * np.exp(-steepness[index] * priors)) ** 0.7 * priors
            priors = priors / priors.sum()
        np.testing.assert_allclose(states[-1][index], priors, rtol=1e-12)


def test_realise_sees_the_previous_state_and_the_round():
    seen = []

    def realise(priors, state, round_):
        seen.append((state, round_))
        return state + 1

    iterated_drop(lambda state, round_: [0.5, 0.5], realise, [0.5, 0.5], 0, IteratedDrop(rounds=3))
    assert seen == [(0, 1), (1, 2), (2, 3)]


def test_the_population_trajectory_reaches_equal_errors_where_no_class_is_capped():
    steepness = np.array([1.0, 2.0, 3.0])
    trajectory = iterated_drop_trajectory(lambda priors: toy_errors(priors, steepness), [1 / 3] * 3, 0.5,
                                          IteratedDrop(rounds=200, step=0.5))
    np.testing.assert_allclose(trajectory[-1], equal_error_point(steepness), atol=1e-9)
    np.testing.assert_allclose(trajectory[0], [1 / 3] * 3)


@pytest.mark.parametrize(("options", "match"), [({"rounds": 0}, "rounds"), ({"rounds": 2.5}, "rounds"),
                                                ({"step": 0.0}, "step"), ({"step": float("inf")}, "step")])
def test_a_bad_config_is_named(options, match):
    with pytest.raises(ValueError, match=match):
        IteratedDrop(**options)


def test_class_errors_count_the_wrong_predictions_of_each_class():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, 500)
    predictions = rng.integers(0, 4, (3, 500))
    errors = np.asarray(class_errors(predictions, labels, 5))
    for row in range(3):
        for k in range(4):
            assert errors[row, k] == pytest.approx(np.mean(predictions[row][labels == k] != k))
    assert np.all(np.isnan(errors[:, 4]))


def test_every_world_names_its_policies_from_the_one_vocabulary():
    from gmm_theory.multiclass.allocators import ALLOCATORS
    from gmm_theory.twoclass.limits import SUPPORTED_POLICIES as LIMITS
    from gmm_theory.twoclass.montecarlo.policies import SUPPORTED_POLICIES as MONTE_CARLO

    for supported in (ALLOCATORS, LIMITS, MONTE_CARLO):
        assert set(supported) <= set(POLICIES)
