import math

import jax.numpy as jnp
import pytest

from gmm_theory import TwoClassMixture


def test_defaults_are_the_paper_example():
    mixture = TwoClassMixture()
    assert mixture.means.tolist() == [-1.0, 1.0]
    assert mixture.stds.tolist() == [0.5, 1.5]
    assert mixture.priors.tolist() == [0.5, 0.5]


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        (dict(stds=(-0.5, 1.5)), r"stds\[0\] must be positive"),
        (dict(stds=(0.5, 0.0)), r"stds\[1\] must be positive"),
        (dict(priors=(1.2, -0.2)), r"priors\[0\] must lie in \[0, 1\]"),
        (dict(priors=(0.5, 0.6)), r"priors must sum to 1"),
        (dict(means=(1.0, -1.0)), r"means must be strictly increasing"),
        (dict(means=(1.0, 1.0)), r"means must be strictly increasing"),
        (dict(means=(math.nan, 1.0)), r"means\[0\] must be finite"),
        (dict(stds=(0.5, math.inf)), r"stds\[1\] must be finite"),
        (dict(priors=(0.5, math.nan)), r"priors\[1\] must be finite"),
        (dict(means=(0.0, 1.0, 2.0)), r"means must have 2 entries"),
        (dict(stds="wide"), r"stds must be a sequence of numbers"),
        (dict(means=(-1.0, 1e300)), r"max\(\|mean\|, 1\) / std below .* got 2e\+300"),
        (dict(stds=(1e-200, 1.0)), r"max\(\|mean\|, 1\) / std below .* got 1e\+200"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        TwoClassMixture(**kwargs)


def test_priors_may_be_degenerate():
    mixture = TwoClassMixture(priors=(0.0, 1.0))
    assert mixture.priors.tolist() == [0.0, 1.0]


def test_with_priors_validates_and_keeps_the_class_laws():
    mixture = TwoClassMixture().with_priors((0.25, 0.75))
    assert jnp.allclose(mixture.stds, jnp.array([0.5, 1.5]))
    with pytest.raises(ValueError, match="priors"):
        TwoClassMixture().with_priors((0.25, 0.5))


def test_the_closed_forms_stay_finite_up_to_the_scale_limit():
    from gmm_theory import risk_minimising_threshold, worst_class_threshold

    mixture = TwoClassMixture((-1.0, 1e150), (0.5, 1.5), (0.5, 0.5))
    for threshold in (risk_minimising_threshold(mixture), worst_class_threshold(mixture)):
        assert -1.0 < float(threshold) < 1e150
