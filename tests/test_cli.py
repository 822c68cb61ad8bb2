import argparse
import io
import json
import math
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

import oracles
from gmm_theory.cli import main


def _run_json(capsys, *argv):
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _ends_with_the_summary_line(command: str, stderr: str) -> bool:
    return re.fullmatch(rf"gmm-theory {command}: done in \d+\.\d s", stderr.strip().splitlines()[-1]) is not None


_SLOW = pytest.mark.slow


@pytest.mark.parametrize("command", ["theory", "allocate", "simulate", pytest.param("asymptotics", marks=_SLOW),
                                     pytest.param("derive", marks=_SLOW), pytest.param("multiclass", marks=_SLOW),
                                     pytest.param("figures", marks=_SLOW), pytest.param("bridge", marks=_SLOW)])
def test_every_sub_command_runs_with_no_arguments_and_ends_with_its_wall_time(command, tmp_path, monkeypatch,
                                                                               capsys):
    monkeypatch.chdir(tmp_path)  # figures and bridge write nothing here unless told; figures writes its folder
    assert main([command]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() and _ends_with_the_summary_line(command, captured.err)
    if command == "figures":
        assert sorted(p.name for p in (tmp_path / "gmm-theory-figures").iterdir()) == sorted(
            f"{name}.{suffix}" for name in ("risk_vs_training_prior", "ssp_vs_random", "risk_vs_density",
                                            "ratio_landscape", "drop_regret") for suffix in ("png", "pdf"))


def _as_threshold(value):
    return {"+inf": np.inf, "-inf": -np.inf}.get(value, value) if isinstance(value, str) else value


def test_theory_defaults_to_the_paper_example(capsys):
    result = _run_json(capsys, "theory")
    assert result["threshold"] == pytest.approx(-0.1635, abs=5e-5)
    assert result["worst_class_threshold"] == pytest.approx(-0.5, abs=1e-12)
    assert result["worst_class_optimal_risk"] == pytest.approx(0.1587, abs=5e-5)
    assert result["worst_class_optimal_priors"] == pytest.approx([0.25, 0.75], abs=1e-12)
    assert "ssp" not in result


def test_theory_json_agrees_with_independent_numerics(capsys):
    rng = np.random.default_rng(10)
    for _ in range(20):
        means, stds, priors = oracles.random_parameters(rng)
        margin = rng.uniform(0, 1) * min(stds)
        result = _run_json(capsys, "theory", "--means", *map(str, means), "--stds", *map(str, stds),
                           "--priors", *map(str, priors), "--ssp-margin", str(margin))
        t_ref, risk_ref, gap = oracles.risk_minimiser(means, stds, priors)
        t = _as_threshold(result["threshold"])
        if gap > 1e-9:
            assert t == t_ref if np.isinf(t_ref) else t == pytest.approx(t_ref, rel=1e-8, abs=1e-8 * max(stds))
        assert result["average_risk"] == pytest.approx(risk_ref, rel=1e-9, abs=1e-13)
        risks = oracles.class_risks(means, stds, t)
        assert result["class_risks"] == pytest.approx(list(risks), rel=1e-9, abs=1e-13)
        assert result["worst_class_risk"] == pytest.approx(max(risks), rel=1e-9, abs=1e-13)
        t_w = oracles.worst_class_threshold(means, stds)
        assert result["worst_class_threshold"] == pytest.approx(t_w, rel=1e-9, abs=1e-9 * max(stds))
        assert result["worst_class_optimal_risk"] == pytest.approx(
            max(oracles.class_risks(means, stds, t_w)), rel=1e-8, abs=1e-14)
        assert sum(result["worst_class_optimal_priors"]) == pytest.approx(1.0, abs=1e-12)
        ssp = result["ssp"]
        assert set(ssp) >= {"kept_fractions", "threshold", "class_risks"}
        assert ssp["class_risks"] == pytest.approx(
            list(oracles.class_risks(means, stds, _as_threshold(ssp["threshold"]))), rel=1e-9, abs=1e-13)


def test_infinite_thresholds_are_written_as_strings(capsys):
    result = _run_json(capsys, "theory", "--means", "0", "0.1", "--stds", "1", "100", "--priors", "0.2", "0.8")
    assert result["threshold"] == "-inf"
    assert result["class_risks"] == [1.0, 0.0]


def test_random_pruning_section(capsys):
    result = _run_json(capsys, "theory", "--densities", "0.2", "0.6")
    assert result["random_pruning"]["training_priors"] == pytest.approx([0.25, 0.75], abs=1e-12)
    assert result["random_pruning"]["threshold"] == pytest.approx(-0.5, abs=1e-12)


def test_allocate_with_no_arguments_is_one_drop_step_on_the_papers_example(capsys):
    result = _run_json(capsys, "allocate")
    errors = oracles.trained_class_risks((-1.0, 1.0), (0.5, 1.5), (0.5, 0.5))
    assert result["errors"] == pytest.approx(errors, abs=1e-9)
    # Equal class sizes: kept densities proportional to the errors, 5000 kept in all.
    expected = 10_000 * 0.5 * np.asarray(errors) / np.sum(errors)
    assert result["rule"] == "drop" and sum(result["counts"]) == 5000
    assert np.all(np.abs(np.asarray(result["counts"]) - expected) < 1)


def test_allocate_json(capsys):
    result = _run_json(capsys, "allocate", "--sizes", "100", "200", "300", "--density", "0.5",
                       "--errors", "0.1", "0.2", "0.3")
    counts = result["counts"]
    assert sum(counts) == 300 and all(0 <= c <= n for c, n in zip(counts, [100, 200, 300]))
    assert result["densities"] == pytest.approx([c / n for c, n in zip(counts, [100, 200, 300])])
    # Densities proportional to the errors (paper Algorithm 1) unless capped at 1.
    d = np.array(result["densities"])
    assert d[1] == pytest.approx(2 * d[0], abs=0.02) and d[2] == pytest.approx(3 * d[0], abs=0.02)
    assert result["rule"] == "drop"


def test_allocate_stratified_keeps_class_balance(capsys):
    result = _run_json(capsys, "allocate", "--sizes", "50", "50", "50", "50", "--budget", "102")
    assert sorted(result["counts"]) == [25, 25, 26, 26]


@pytest.mark.parametrize(
    "argv, name",
    [
        (["theory", "--stds", "-1", "2"], "stds"),
        (["theory", "--priors", "0.5", "0.6"], "priors"),
        (["theory", "--means", "1", "0"], "means"),
        (["theory", "--means", "nan", "1"], "means"),
        (["theory", "--stds", "1"], "--stds"),
        (["theory", "--ssp-margin", "-1"], "margin"),
        (["theory", "--densities", "0.5", "1.5"], "densities"),
        (["allocate", "--sizes", "10", "0", "--density", "0.5"], "sizes"),
        (["allocate", "--sizes", "10", "10", "--density", "1.5"], "density"),
        (["allocate", "--sizes", "10", "10", "--density", "0.5", "--errors", "0.1", "-0.2"], "errors"),
        (["allocate", "--sizes", "10", "10", "--density", "0.5", "--budget", "5"], "--budget"),
        (["allocate", "--sizes", "10", "10", "--density", "0.5", "--rule", "best"], "--rule"),
        (["multiclass", "--k", "1"], "k must be an integer >= 2"),
        (["asymptotics", "--alpha", "-1"], "alpha"),
        (["asymptotics", "--priors", "0.5", "0.6"], "priors"),
        (["asymptotics", "--densities", "0", "1"], "densities"),
        (["asymptotics", "--lam", "0", "--alpha", "0.5"], "lam"),  # separable: no fixed point
        (["multiclass", "--k", "3", "--dim", "2", "--density", "0"], "density"),
        (["multiclass", "--separation", "-1"], "separation"),
        (["multiclass", "--points", "0"], "points must be an integer >= 2"),
        (["simulate", "--grid", "0"], "grid must be an integer >= 1"),
        (["bridge", "--epochs", "two"], "epochs must be 'auto' or an integer"),
        (["bridge", "--epochs", "0"], "epochs must be an integer >= 1"),
        (["bridge", "--density", "1.5"], "density must lie in (0, 1]"),
        (["sweep", "--workers", "0"], "workers must be an integer >= 1"),
    ],
)
def test_bad_arguments_exit_nonzero_with_one_line_naming_the_parameter(argv, name, capsys):
    try:
        status = main([*argv, "--json"])
    except SystemExit as exit:  # argparse's own errors
        status = exit.code
    assert status != 0
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and name in lines[0]


def test_a_bad_argument_prints_no_traceback():
    completed = subprocess.run([sys.executable, "-m", "gmm_theory.cli", "theory", "--stds", "0", "1"],
                               capture_output=True, text=True)
    assert completed.returncode == 2
    assert completed.stderr.strip() == "gmm-theory theory: error: stds[0] must be positive, got 0.0"


def test_console_script_is_installed():
    executable = shutil.which("gmm-theory")
    assert executable, "install the package (pip install -e .) to get the gmm-theory command"
    completed = subprocess.run([executable, "theory", "--json"], capture_output=True, text=True, check=True)
    assert json.loads(completed.stdout)["worst_class_optimal_priors"] == pytest.approx([0.25, 0.75])


def test_simulate_json_shapes_and_npz(capsys, tmp_path):
    out = tmp_path / "grid.npz"
    result = _run_json(capsys, "simulate", "--n", "400", "--grid", "4", "--seeds", "3", "--out", str(out))
    assert result["d0"] == pytest.approx([0.25, 0.5, 0.75, 1.0]) and result["d1"] == result["d0"]
    assert np.asarray(result["class_risks_mean"]).shape == (4, 4, 2)
    assert np.asarray(result["class_risks_se"]).shape == (4, 4, 2)
    assert np.asarray(result["worst_class_risk_mean"]).shape == (4, 4)
    assert (result["n"], result["seeds"], result["fit"]) == (400, 3, "threshold")
    saved = np.load(out)
    assert saved["class_risks"].shape == (3, 4, 4, 2)
    np.testing.assert_allclose(np.nanmean(saved["class_risks"], axis=0), result["class_risks_mean"])


@pytest.mark.parametrize("argv, name", [(["simulate", "--n", "1"], "n"),
                                        (["simulate", "--margin", "0.3"], "margin"),
                                        (["simulate", "--fit", "svm"], "--fit")])
def test_simulate_bad_arguments(argv, name, capsys):
    try:
        status = main([*argv, "--json"])
    except SystemExit as exit:
        status = exit.code
    assert status == 2 and name in capsys.readouterr().err


@pytest.mark.slow
def test_multiclass_json_reports_every_allocator(capsys):
    result = _run_json(capsys, "multiclass", "--k", "3", "--dim", "2", "--density", "0.4", "--points", "256")
    assert result["mixture"]["k"] == 3 and result["density"] == 0.4
    priors = np.array(result["mixture"]["priors"])
    allocators = result["allocators"]
    assert set(allocators) == {"stratified", "drop", "iterated-drop", "adjusted", "optimal"}
    for report in allocators.values():
        risks = np.array(report["class_risks"])
        assert report["worst_class_risk"] == pytest.approx(risks.max())
        assert report["average_risk"] == pytest.approx(risks @ priors)
        assert np.sum(report["priors"]) == pytest.approx(1.0)
        assert np.all(0.4 * np.array(report["priors"]) <= priors * (1 + 1e-9))  # realisable at the density
    worst = {name: report["worst_class_risk"] for name, report in allocators.items()}
    assert worst["optimal"] <= min(worst.values()) + 1e-9


def test_asymptotics_json_reports_the_fixed_point(capsys):
    from scipy.stats import norm

    result = _run_json(capsys, "asymptotics", "--loss", "square", "--alpha", "3", "--lam", "0.1",
                       "--stds", "0.7", "1.3", "--priors", "0.4", "0.6", "--densities", "0.5", "1")
    assert result["converged"] and result["residual"] < 1e-10
    # The class errors are those of the reported overlaps (order -, +).
    expected = norm.cdf(-(result["m"] + np.array([-1, 1]) * result["b"]) / (np.array([0.7, 1.3]) * np.sqrt(result["q"])))
    np.testing.assert_allclose(result["class_errors"], expected, atol=1e-12)
    assert result["average_error"] == pytest.approx(0.4 * expected[0] + 0.6 * expected[1])


@pytest.mark.slow
def test_an_asymptotic_learning_curve_is_one_call_and_a_table(capsys):
    from gmm_theory.cli import main
    from gmm_theory.highdim.asymptotics import solve

    alphas = [0.5, 1.0, 2.0, 4.0]
    curve = _run_json(capsys, "asymptotics", "--alpha", *map(str, alphas), "--lam", "0.05")["points"]
    assert [point["alpha"] for point in curve] == alphas and all(point["converged"] for point in curve)
    for point in curve:
        single = solve(point["alpha"], 0.05, 1.0, (0.5, 1.5), (0.5, 0.5), loss="logistic")
        np.testing.assert_allclose(point["class_errors"], np.asarray(single.class_errors), atol=1e-9)
    assert np.all(np.diff([point["average_error"] for point in curve]) < 0)
    assert main(["asymptotics", "--alpha", *map(str, alphas), "--lam", "0.05"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["alpha", "m"])
    assert [float(line.split()[0]) for line in lines[header + 1:header + 5]] == alphas


def test_the_parser_and_the_derivations_import_no_jax():
    probe = ("import sys\n"
             "from gmm_theory.cli import _build_parser\n"
             "_build_parser().parse_args(['derive'])\n"
             "import gmm_theory.twoclass.symbolic\n"
             "print('jax' in sys.modules)\n")
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False"


def test_a_submodule_import_keeps_the_exported_function():
    import gmm_theory
    import gmm_theory.allocate  # noqa: F401  (binds the submodule on the package, unless guarded)

    assert callable(gmm_theory.allocate) and gmm_theory.allocate.__name__ == "allocate"
    assert set(gmm_theory.__all__) <= set(dir(gmm_theory))


@pytest.mark.slow
def test_compiled_programs_persist_in_the_cache_folder(tmp_path):
    import os

    cache = tmp_path / "cache"
    environment = os.environ | {"GMM_THEORY_CACHE": str(cache)}
    subprocess.run([sys.executable, "-m", "gmm_theory.cli", "theory"], env=environment, check=True,
                   capture_output=True)
    assert any((cache / "jax").iterdir())


def _sub_commands():
    from gmm_theory.cli import _build_parser

    (commands,) = [action for action in _build_parser()._actions if action.dest == "command"]
    return commands.choices


def test_every_sub_command_has_a_description_and_every_option_help_with_its_default():
    for name, command in _sub_commands().items():
        assert command.description, name
        text = command.format_help()
        for action in command._actions:
            assert action.help, (name, action.option_strings)
            default = action.default
            if action.option_strings and default not in (None, False, argparse.SUPPRESS) and default is not True:
                shown = " ".join(map(str, default)) if isinstance(default, list) else str(default)
                # Compared without white space: the help wraps long defaults, even inside a word.
                assert f"default:{shown}".replace(" ", "") in "".join(text.split()), (name, action.option_strings)


def test_negative_numbers_in_any_notation_are_values():
    from gmm_theory.cli import _build_parser

    args = _build_parser().parse_args(["theory", "--means", "1e300", "-1e300", "--stds", "-inf", "-.5"])
    assert args.means == [1e300, -1e300] and args.stds[0] == -math.inf and args.stds[1] == -0.5


@pytest.mark.parametrize(("argv", "message"), [
    (["simulate", "--out", "{folder}"], "is a folder; give a file name"),
    (["figures", "--out", "{file}"], "exists and is not a folder"),
    (["sweep", "--out", "{file}"], "exists and is not a folder"),
    (["bridge", "--out", "{file}/results"], "cannot write in"),
    (["report", "--out", "{file}"], "exists and is not a folder"),
    (["sweep", "{folder}"], "is a folder, not a TOML file"),
    (["sweep", "{binary}"], "is not a text (UTF-8) TOML file"),
    (["simulate", "--prune", "ssp", "--margin", "nan"], "margin must be a finite number >= 0, got nan"),
    (["theory", "--ssp-margin", "-1"], "margin must be a finite number >= 0, got -1.0"),
    (["theory", "--means", "-1", "1e300"], "(the closed forms square it), got 2e+300"),
    (["simulate", "--n", "1000000000000"], "GiB of memory here"),
    (["simulate", "--grid", "100000"], "GiB of memory here"),
    (["multiclass", "--k", "1000000000000"], "GiB of memory here"),
    (["simulate", "--prune", "ssp", "--margin", "-1"], "margin must be a finite number >= 0, got -1.0"),
])
def test_inputs_that_cannot_work_are_refused_before_any_work(argv, message, tmp_path, capsys):
    (tmp_path / "file").write_text("taken")
    (tmp_path / "binary.toml").write_bytes(bytes(range(128, 256)))
    paths = {"folder": tmp_path, "file": tmp_path / "file", "binary": tmp_path / "binary.toml"}
    try:
        status = main([item.format(**paths) for item in argv])
    except SystemExit as exit:  # argument errors exit from the parser
        status = exit.code
    error = capsys.readouterr().err
    assert status == 2
    assert message in error and error.count("\n") == 1 and "Traceback" not in error


def test_text_output_prints_matrices_as_rows_and_larger_arrays_by_shape(capsys):
    assert main(["simulate", "--grid", "3", "--seeds", "2", "--n", "200"]) == 0
    text = capsys.readouterr().out
    assert "[" not in text and "class_risks_mean: an array of shape 3 x 3 x 2" in text
    rows = text.split("worst_class_risk_mean:\n")[1].splitlines()[:3]
    assert all(len(row.split()) == 3 and all(0 <= float(cell) <= 1 for cell in row.split()) for row in rows)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_one_long_call_shows_its_elapsed_time_and_clears_it(monkeypatch):
    from gmm_theory.cli import _elapsed_time_shown

    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with _elapsed_time_shown("gmm-theory x"):
        time.sleep(1.2)
    assert "\rgmm-theory x: 1 s" in terminal.getvalue() and terminal.getvalue().endswith("\r\033[K")


def test_progress_shows_on_a_terminal_only_and_yields_every_item(monkeypatch):
    from gmm_theory.cli import _progress

    assert list(_progress(["a", "b"], "steps")) == ["a", "b"]  # stderr is not a terminal here
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert list(_progress(["a", "b"], "steps")) == ["a", "b"] and "steps" in terminal.getvalue()
