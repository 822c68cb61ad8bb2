import numpy as np
import pytest
from scipy import stats

from gmm_theory import figures
from gmm_theory.cli import main
from gmm_theory.twoclass.montecarlo.comparison import METHODS

import oracles

PAPER = ((-1.0, 1.0), (0.5, 1.5), (0.5, 0.5))
T_STAR = oracles.risk_minimiser(*PAPER)[0]


class _Drawings(dict):
    """Figures in quick mode, each drawn when a test first asks for it."""

    def __missing__(self, name):
        self[name] = figures.figure_function(name)(**figures.QUICK_OPTIONS[name])
        return self[name]


@pytest.fixture(scope="module")
def drawn():
    return _Drawings()


@pytest.mark.parametrize("name", list(figures.FIGURES))
@pytest.mark.slow
def test_each_figure_saves_a_png_and_a_pdf(drawn, name, tmp_path):
    png, pdf = figures.save(drawn[name].figure, tmp_path, name)
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 10_000
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5_000
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{name}.pdf", f"{name}.png"]


def test_saving_is_byte_for_byte_reproducible(drawn, tmp_path):
    figures.save(drawn["drop_regret"].figure, tmp_path / "a", "x")
    again = figures.drop_regret(**figures.QUICK_OPTIONS["drop_regret"])
    figures.save(again.figure, tmp_path / "b", "x")
    for suffix in ("png", "pdf"):
        assert (tmp_path / "a" / f"x.{suffix}").read_bytes() == (tmp_path / "b" / f"x.{suffix}").read_bytes()


@pytest.mark.slow
def test_prior_curve_worst_class_minimum_is_at_the_std_proportional_prior(drawn):
    data = drawn["risk_vs_training_prior"].data
    priors, risks = data["priors"], data["class_risks"]
    step = priors[1] - priors[0]
    assert priors[np.argmin(risks.max(-1))] == pytest.approx(0.25, abs=step)
    marks = data["marks"]
    assert marks["std-proportional"] == pytest.approx(0.25, abs=1e-12)
    assert marks["iterated-DRoP limit"] == pytest.approx(0.25, abs=1e-6)
    drop = oracles.drop_step(PAPER[2], oracles.trained_class_risks(*PAPER))
    assert marks["one-step DRoP"] == pytest.approx(drop[0], abs=1e-9)
    assert "worst-class optimal" not in marks  # it equals the std-proportional prior here
    i = len(priors) // 3
    np.testing.assert_allclose(risks[i], oracles.trained_class_risks(PAPER[0], PAPER[1], (priors[i], 1 - priors[i])),
                               atol=1e-9)
    assert np.all(np.isfinite(data["mc_worst_mean"]))


@pytest.mark.slow
def test_ssp_kept_fractions_and_threshold_against_brute_force(drawn):
    data = drawn["ssp_vs_random"].data
    margins, thresholds = data["margins"], data["thresholds"]
    np.testing.assert_allclose(data["kept_fractions"], 2 * stats.norm.sf(margins[:, None] / np.array(PAPER[1])),
                               atol=1e-12)
    assert data["t_star"] == pytest.approx(T_STAR, abs=1e-9)
    grid = np.concatenate([[-np.inf, np.inf], np.linspace(-6, 6, 12001)])
    for margin, threshold in zip(margins, thresholds):
        outside = all(abs(T_STAR - m) > margin + 0.02 for m in PAPER[0])
        risk = lambda t: oracles.ssp_pruned_risk(*PAPER, margin, t)
        brute = risk(grid).min()
        assert risk(threshold) <= brute + 1e-4
        if outside:
            # While t* is outside both margins the pruned law's derivative is unchanged near
            # t*, so t* stays a local minimum ...
            assert risk(T_STAR) <= min(risk(T_STAR - 0.01), risk(T_STAR + 0.01))
            # ... and the learned threshold stays there unless another candidate is better.
            if threshold != pytest.approx(T_STAR, abs=1e-9):
                assert risk(threshold) < risk(T_STAR)
    small = margins <= 0.3
    np.testing.assert_allclose(thresholds[small], T_STAR, atol=1e-9)


@pytest.mark.slow
def test_density_figure_limits_and_common_seeds(drawn):
    data = drawn["risk_vs_density"].data
    full_worst = oracles.trained_class_risks(*PAPER).max()
    np.testing.assert_allclose(data["limits"]["Random"].worst_class_risk_mean, full_worst, atol=1e-9)
    assert set(data["worst_mean"]) == set(METHODS)
    assert data["densities"][-1] == 1.0
    at_full = [data["worst_mean"][name][-1] for name in ("Random", "Random+DRoP", "Random+optimal")]
    assert at_full[0] == at_full[1] == at_full[2]


@pytest.mark.slow
def test_landscape_population_map_depends_only_on_the_training_prior(drawn):
    data = drawn["ratio_landscape"].data
    worst = data["maps"]["population"]["worst"]
    # d_0 = d_1 keeps the data's priors: the full-data risk all along the diagonal.
    np.testing.assert_allclose(np.diag(worst), oracles.trained_class_risks(*PAPER).max(), atol=1e-9)
    path = data["paths"]["population"]["worst"]["allocations"]
    for density, allocation in zip(data["path_densities"], path):
        assert allocation @ np.array(PAPER[2]) == pytest.approx(density, abs=1e-12)
    assert len(data["maps"]) == 2 and all(m["worst"].shape == worst.shape for m in data["maps"].values())


def test_regret_figure_regrets_are_nonnegative(drawn):
    data = drawn["drop_regret"].data
    for regret in data["regrets"].values():
        assert regret.shape == (3, 3) and np.all(regret >= -1e-12)
    assert data["star"] == pytest.approx((3.0, 4.0))


def test_unknown_figure_names_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="figure must be one of"):
        figures.render_all(tmp_path, names=["pareto"])
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
def test_cli_writes_the_full_set_of_figures(tmp_path, capsys):
    assert main(["figures", "--all", "--quick", "--out", str(tmp_path), "--json"]) == 0
    expected = sorted(f"{name}.{suffix}" for name in figures.FIGURES for suffix in ("png", "pdf"))
    assert sorted(p.name for p in tmp_path.iterdir()) == expected
    assert '"written"' in capsys.readouterr().out


def test_cli_writes_the_named_figures_where_out_says(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["figures", "--only", "drop_regret", "--quick", "--out", "drawn"]) == 0
    assert sorted(p.name for p in (tmp_path / "drawn").iterdir()) == ["drop_regret.pdf", "drop_regret.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["drawn"]
    assert capsys.readouterr().err.startswith("gmm-theory figures: done in ")


@pytest.mark.slow
def test_ternary_optimum_is_not_beaten_by_any_realisable_grid_point(drawn):
    for panel in drawn["multiclass_ternary"].data.values():
        grid_best = panel["worst"][panel["realisable"]].min()
        # The grid is integrated separately (float32 lattice rules): compare within its bound.
        assert panel["allocator_worst"]["optimal"] <= grid_best + panel["grid_bound"] + 1e-6
        assert all(panel["allocator_worst"]["optimal"] <= worst + 1e-9 for worst in panel["allocator_worst"].values())
        np.testing.assert_allclose(panel["grid"].sum(axis=1), 1.0)


@pytest.mark.slow
def test_multiclass_regrets_are_nonnegative(drawn):
    data = drawn["multiclass_regret"].data
    for regrets in (data["regrets_by_k"], data["regrets_by_h"]):
        for regret in regrets.values():
            assert regret.shape == (2, 2) and np.all(regret >= -1e-6)


@pytest.mark.slow
def test_allocators_vs_density_realise_the_density(drawn):
    data = drawn["allocators_vs_density"].data
    for name in ("stratified", "drop", "optimal"):
        priors = data[name]["priors"]
        np.testing.assert_allclose(priors.sum(axis=1), 1.0)
        # Realisable: the kept fraction d pi'_k / pi_k of every class is at most 1.
        assert np.all(data["densities"][:, None] * priors <= 0.25 * (1 + 1e-9))


@pytest.mark.slow
def test_embedding_figure_reports_the_cnn_and_the_fitted_mixture(drawn):
    data = drawn["embedding_allocators"].data
    assert data["cnn_recalls"].shape == (10,) and data["mixture"].means.shape == (10, 3)
    assert data["optimal"]["class_risks"].shape == (1, 10)


@pytest.mark.slow
def test_asymptotic_learning_curves_converge_and_put_the_wider_class_on_top(drawn):
    data = drawn["asymptotic_learning_curves"].data
    for loss in ("square", "logistic"):
        assert np.all(data[loss]["converged"])
        # sigma_+ = 1.5 > sigma_- = 0.5 with balanced priors: class + is the worst class.
        assert np.all(data[loss]["theory"][:, 1] > data[loss]["theory"][:, 0])
        assert data[loss]["simulated"].shape == (2, 2)


@pytest.mark.slow
def test_asymptotic_pruning_landscape_allocations_are_feasible_and_the_optimum_is_best(drawn):
    data = drawn["asymptotic_pruning_landscape"].data
    assert all(np.all(flags) for flags in data["converged"].values())
    densities, allocations = data["dataset_densities"], data["allocations"]
    for allocation in allocations.values():
        d = allocation["densities"]
        np.testing.assert_allclose(d @ np.array(PAPER[2]), densities, rtol=0, atol=1e-9)
        assert np.all((d > 0) & (d <= 1))
    optimum = allocations["proportional-regime optimum"]["worst"]
    for name, allocation in allocations.items():
        assert np.all(optimum <= allocation["worst"] + 1e-9), name
    stratified = allocations["stratified"]["worst"]
    assert np.all(optimum[densities < 1] < stratified[densities < 1] - 0.05)
    # Std-proportional training priors (0.25, 0.75) are d = D (0.5, 1.5) while d_+ <= 1.
    small = densities <= 2 / 3
    np.testing.assert_allclose(allocations["infinite-data optimum"]["densities"][small],
                               densities[small, None] * np.array([0.5, 1.5]), atol=1e-12)
    assert data["simulated"].shape == data["standard_errors"].shape == (1,)
    assert np.all(np.isfinite(data["simulated"])) and np.all(data["standard_errors"] > 0)
