"""The ``gmm-theory`` command line: every sub-command runs with no arguments on the paper's
example (means -1, 1; stds 0.5, 1.5; priors 0.5, 0.5) and prints JSON with ``--json``."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import math
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

from gmm_theory._errors import MissingExtra, NotConverged, StoreInUse
from gmm_theory.twoclass.paper import PAPER_MEANS, PAPER_PRIORS, PAPER_STDS

# Where ``gmm-theory sweep`` with no arguments writes its example, and ``report`` reads it.
EXAMPLE_STORE = "gmm-theory-sweep"
# Commands that show their own progress bar on a terminal; the others show their elapsed time.
OWN_PROGRESS = ("figures", "multiclass", "bridge", "sweep")
# Where ``gmm-theory figures`` writes unless ``--out`` says otherwise.
FIGURE_FOLDER = "gmm-theory-figures"


class _Names:
    """The names in a module's constant ``attribute``, as argparse choices that import the module
    only when an argument is checked or a help printed: building the parser imports no JAX."""

    def __init__(self, module: str, attribute: str):
        self.module, self.attribute = module, attribute

    def _names(self) -> tuple:
        return tuple(getattr(importlib.import_module(self.module), self.attribute))

    def __contains__(self, name) -> bool:
        return name in self._names()

    def __iter__(self):
        return iter(self._names())


RULES, SEMANTICS = _Names("gmm_theory.allocate", "RULES"), _Names("gmm_theory.allocate", "SEMANTICS")
FIGURES = _Names("gmm_theory.figures.registry", "FIGURES")
LOSSES = _Names("gmm_theory.highdim.asymptotics", "LOSSES")
CLASSIFIERS = _Names("gmm_theory.multiclass.allocators", "CLASSIFIERS")
LEARNERS = _Names("gmm_theory.twoclass.learners", "LEARNERS")
PRUNING_RULES = _Names("gmm_theory.twoclass.montecarlo.selection", "PRUNING_RULES")


class _HelpFormatter(argparse.HelpFormatter):
    """Each option's default after its help text, unless the text gives it or there is none."""

    def _get_help_string(self, action) -> str:
        text = action.help or ""
        if not action.option_strings or "default" in text or any(action.default is value for value in
                                                                  (None, False, argparse.SUPPRESS)):
            return text
        shown = " ".join(map(str, action.default)) if isinstance(action.default, (list, tuple)) else action.default
        return f"{text} (default: {str(shown).replace('%', '%%')})"  # the help is %-formatted


class _Parser(argparse.ArgumentParser):
    """Argument errors as one line naming the parameter, exit status 2, no usage dump; option
    defaults in the help; negative numbers in any notation (-1e300, -inf) read as values."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)
        # argparse's own pattern knows only -1 and -1.5, so "--means 1e300 -1e300" would read
        # -1e300 as an option.
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-inf(inity)?$", re.I)

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _jsonable(value):
    """Floats as JSON numbers, infinities as the strings "+inf" / "-inf"."""
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if hasattr(value, "tolist"):
        return _jsonable(value.tolist())
    if isinstance(value, float) and math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    return value


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value + 0.0:.6g}"  # + 0.0 prints -0.0 as 0
    if isinstance(value, list):
        return " ".join(_cell(item) for item in value)
    return str(value)


def _print_table(rows: list[dict], indent: str) -> None:
    """Rows of one shape as aligned columns under their keys."""
    columns = list(rows[0])
    cells = [columns] + [[_cell(row[column]) for column in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    for line in cells:
        print(indent + "  ".join(cell.rjust(width) for cell, width in zip(line, widths)))


def _shape(value) -> tuple:
    """The shape of a nested list of numbers (rectangular), () for a number."""
    if not isinstance(value, list):
        return ()
    return (len(value), *(_shape(value[0]) if value else ()))


def _print_text(result: dict, indent: str = "") -> None:
    """``result`` for a person: nested sections, tables of rows, numbers to 6 digits, a matrix
    as aligned rows, and larger arrays by their shape only (``--json`` gives every value)."""
    for key, value in result.items():
        shape = _shape(value)
        if isinstance(value, dict):
            print(f"{indent}{key}:")
            _print_text(value, indent + "  ")
        elif isinstance(value, list) and value and all(isinstance(row, dict) for row in value):
            print(f"{indent}{key}:")
            _print_table(value, indent + "  ")
        elif len(shape) == 2:
            print(f"{indent}{key}:")
            for row in value:
                print(indent + "  " + " ".join(f"{item:>8.3g}" if isinstance(item, float) else f"{item!s:>8}"
                                               for item in row))
        elif len(shape) > 2:
            print(f"{indent}{key}: an array of shape {' x '.join(map(str, shape))} (--json prints its values)")
        else:
            print(f"{indent}{key}: {_cell(value)}")


def _emit(result: dict, as_json: bool) -> None:
    result = _jsonable(result)
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        _print_text(result)


def _rule_report(mixture, threshold) -> dict:
    from gmm_theory.twoclass.risk import average_risk, class_risks, worst_class_risk

    return {
        "threshold": float(threshold),
        "class_risks": class_risks(mixture, threshold),
        "average_risk": float(average_risk(mixture, threshold)),
        "worst_class_risk": float(worst_class_risk(mixture, threshold)),
    }


def _theory(args) -> dict:
    import gmm_theory as gt

    mixture = gt.TwoClassMixture(args.means, args.stds, args.priors)
    result = {"means": mixture.means, "stds": mixture.stds, "priors": mixture.priors}
    result.update(_rule_report(mixture, gt.risk_minimising_threshold(mixture)))
    optimal_priors = gt.worst_class_optimal_priors(mixture)
    result.update(
        worst_class_threshold=float(gt.worst_class_threshold(mixture)),
        worst_class_optimal_risk=float(gt.worst_class_optimal_risk(mixture)),
        worst_class_optimal_priors=optimal_priors,
        std_proportional_priors=gt.std_proportional_priors(mixture),
        optimal_priors_rule=_rule_report(
            mixture, gt.risk_minimising_threshold(mixture.with_priors(optimal_priors))
        ),
        least_squares=_rule_report(mixture, gt.least_squares_threshold(mixture)),
    )
    if args.densities is not None:
        priors = gt.training_priors(mixture.priors, args.densities)
        result["random_pruning"] = {
            "densities": args.densities,
            "training_priors": priors,
            **_rule_report(mixture, gt.risk_minimising_threshold(mixture.with_priors(priors))),
        }
    if args.ssp_margin is not None:
        result["ssp"] = {
            "margin": args.ssp_margin,
            "kept_fractions": gt.ssp_kept_fractions(mixture, args.ssp_margin),
            "training_priors": gt.ssp_training_priors(mixture, args.ssp_margin),
            **_rule_report(mixture, gt.ssp_threshold(mixture, args.ssp_margin)),
        }
    return result


def _paper_errors() -> list[float]:
    """The class errors of the paper example's full-data risk minimiser t*: DRoP's weights."""
    import gmm_theory as gt

    mixture = gt.TwoClassMixture(PAPER_MEANS, PAPER_STDS, PAPER_PRIORS)
    return gt.class_risks(mixture, gt.risk_minimising_threshold(mixture)).tolist()


def _allocate(args) -> dict:
    from gmm_theory.allocate import allocate

    weighted = args.errors is not None or args.weights is not None or args.rule is not None
    example = args.sizes is None and not weighted  # the paper's example: one DRoP step
    errors = _paper_errors() if example else args.errors
    rule = args.rule or ("drop" if errors else "weights" if args.weights else "stratified")
    density = 0.5 if args.density is None and args.budget is None else args.density
    allocation = allocate(
        args.sizes or [5000, 5000],
        density=density,
        budget=args.budget,
        rule=rule,
        errors=errors,
        weights=args.weights,
        semantics=args.semantics,
    )
    return {
        "errors": errors,
        "sizes": allocation.sizes,
        "budget": allocation.budget,
        "rule": allocation.rule,
        "semantics": allocation.semantics,
        "counts": allocation.counts,
        "densities": allocation.densities,
    }


def _simulate(args) -> dict:
    import jax
    import numpy as np

    import gmm_theory as gt
    from gmm_theory.twoclass.montecarlo import engine as simulate
    from gmm_theory.twoclass.montecarlo import selection
    from gmm_theory._checks import check_count
    from gmm_theory.twoclass.montecarlo.policies import margin_counts

    for name, minimum in (("n", 2), ("grid", 1), ("seeds", 1)):
        check_count(name, getattr(args, name), minimum)
    if args.margin is not None and args.prune != "ssp":
        raise ValueError(f"margin applies to --prune ssp, got --prune {args.prune}")
    simulate.check_memory(args.n, args.seeds, 1 if args.margin is not None else args.grid**2, args.fit)
    mixture = gt.TwoClassMixture(args.means, args.stds, args.priors)
    key = jax.random.key(args.seed)
    start = time.perf_counter()
    samples = simulate.draw_seeds(mixture, key, args.n, args.seeds, args.prune, args.fit)
    if args.margin is None:
        axis = np.asarray(simulate.density_grid(args.grid))
        densities = simulate.grid_allocations(axis, axis)
        counts = simulate.density_counts(samples, densities)
        d0 = d1 = axis
        shape = (args.grid, args.grid)
    else:
        counts = margin_counts(samples, args.margin)
        kept = np.asarray(counts / np.asarray(jax.vmap(selection.class_sizes)(samples.y))[:, None, :])
        d0, d1 = kept[..., 0].mean(axis=0), kept[..., 1].mean(axis=0)
        shape = (1, 1)
    risks = np.asarray(simulate.evaluate_counts(mixture, samples, counts, args.fit))
    seconds = time.perf_counter() - start
    summary = simulate.summarise(mixture, risks)
    if args.out:
        _save_npz(args.out, d0=d0, d1=d1, class_risks=risks.reshape(args.seeds, *shape, 2),
                  counts=np.asarray(counts).reshape(args.seeds, *shape, 2))
    return {
        "d0": d0,
        "d1": d1,
        "class_risks_mean": summary.class_risks_mean.reshape(*shape, 2),
        "class_risks_se": summary.class_risks_se.reshape(*shape, 2),
        "worst_class_risk_mean": summary.worst_class_risk_mean.reshape(shape),
        "worst_class_risk_se": summary.worst_class_risk_se.reshape(shape),
        "average_risk_mean": summary.average_risk_mean.reshape(shape),
        "valid": summary.valid.reshape(shape),
        "n": args.n,
        "seeds": args.seeds,
        "fit": args.fit,
        "prune": args.prune,
        "seconds": seconds,
    }


def _progress(items, description: str):
    """``items`` with a progress bar on stderr when it is a terminal (tqdm's where installed,
    a counter otherwise) and nothing else when it is not."""
    items = list(items)
    if not sys.stderr.isatty():
        yield from items
        return
    try:
        from tqdm.auto import tqdm
    except ImportError:
        for done, item in enumerate(items):
            print(f"\r{description}: {done}/{len(items)} {item}", end="\033[K", file=sys.stderr, flush=True)
            yield item
        print("\r\033[K", end="", file=sys.stderr, flush=True)
        return
    bar = tqdm(items, desc=description, leave=False)
    for item in bar:
        bar.set_postfix_str(str(item))
        yield item


@contextlib.contextmanager
def _elapsed_time_shown(prog: str):
    """While the block runs, its elapsed time on stderr, rewritten in place every half second,
    when stderr is a terminal: the sign of life of a command that is one long call."""
    if not sys.stderr.isatty():
        yield
        return
    start, stop = time.perf_counter(), threading.Event()

    def show():
        while not stop.wait(0.5):
            print(f"\r{prog}: {time.perf_counter() - start:.0f} s", end="", file=sys.stderr, flush=True)

    thread = threading.Thread(target=show, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        print("\r\033[K", end="", file=sys.stderr, flush=True)


def _figures(args) -> dict:
    from gmm_theory.figures import PAPER_FIGURES, available_figures, render_all

    names = args.only or (available_figures() if args.all else PAPER_FIGURES)
    skipped = [name for name in FIGURES if name not in available_figures()]
    if skipped and args.all:
        print(f"gmm-theory figures: skipping {', '.join(skipped)}: needs the 'bridge' extra", file=sys.stderr)
    start = time.perf_counter()
    written = [path for name in _progress(names, "figures")
               for path in render_all(args.out, quick=args.quick, names=[name])]
    return {"written": [str(path) for path in written], "seconds": time.perf_counter() - start}


def _asymptotics(args) -> dict:
    import numpy as np

    from gmm_theory.highdim.asymptotics import solve

    result = solve(np.asarray(args.alpha), args.lam, args.r, args.stds, args.priors, loss=args.loss,
                   densities=args.densities, damping=args.damping, max_steps=args.max_steps, nodes=args.nodes)
    points = [{"alpha": alpha, "m": float(result.m[i]), "q": float(result.q[i]), "b": float(result.bias[i]),
               "class_errors": result.class_errors[i], "average_error": float(result.average_error[i]),
               "train_loss": float(result.train_loss[i]), "converged": bool(result.converged[i]),
               "residual": float(result.residual[i]), "discretisation": float(result.discretisation[i])}
              for i, alpha in enumerate(args.alpha)]
    problem = {"loss": args.loss, "lam": args.lam, "r": args.r, "stds": args.stds, "priors": args.priors,
               "densities": args.densities}
    return problem | points[0] if len(points) == 1 else problem | {"points": points}


def _multiclass(args) -> dict:
    import jax

    from gmm_theory._checks import check_count
    from gmm_theory.multiclass.allocators import ALLOCATORS, Quadrature, allocate_model
    from gmm_theory.multiclass.mixture import random_mixture

    for name, minimum in (("k", 2), ("dim", 1), ("points", 2)):
        check_count(name, getattr(args, name), minimum)
    mixture = random_mixture(args.seed, args.k, args.dim, separation=args.separation,
                             heterogeneity=args.heterogeneity)
    quadrature = Quadrature(jax.random.key(args.seed), args.points)
    allocated = {name: result for allocator in _progress(ALLOCATORS, "allocators")
                 for name, result in allocate_model(mixture, args.density, quadrature, classifier=args.classifier,
                                                    allocators=(allocator,), semantics=args.semantics).items()}
    return {
        "mixture": {"k": args.k, "dim": args.dim, "seed": args.seed, "separation": args.separation,
                    "heterogeneity": args.heterogeneity, "class_stds": mixture.covariances[:, 0, 0] ** 0.5,
                    "priors": mixture.priors},
        "classifier": args.classifier,
        "density": args.density,
        "allocators": {name: {"priors": result.priors[0], "class_risks": result.class_risks[0],
                              "worst_class_risk": float(result.worst_class_risk()[0]),
                              "average_risk": float(result.average_risk(mixture.priors)[0]),
                              "max_error_bound": float(result.bounds.max())}
                       for name, result in allocated.items()},
    }


def _bridge(args) -> dict:
    import json
    from pathlib import Path

    import numpy as np

    from gmm_theory._io import replacing
    from gmm_theory.bridge.pipeline import BridgeConfig, run

    config = BridgeConfig(dataset=args.dataset, root=args.root, model=args.model, scorer=args.scorer,
                          quoter=args.quoter, density=args.density, seed=args.seed, query_inits=args.query_inits,
                          epochs=_epochs(args.epochs),
                          rounds=args.rounds, schedule=args.schedule, step=args.step, semantics=args.semantics,
                          bf16=args.bf16, width=args.width)
    result, kept = run(config)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        with replacing(out / "kept_indices.npy") as handle:
            np.save(handle, kept)
        with replacing(out / "result.json") as handle:
            handle.write(json.dumps(_jsonable(result), indent=2).encode())
    return result


def _sweep(args) -> dict:
    from gmm_theory.bridge.sweep import load_config, make_executor, run_sweep

    config = load_config(args.config)
    executor = make_executor(args.executor, args.workers, args.address)
    store = run_sweep(config, args.out, executor)
    return {"directory": str(store.directory), "finished": len(store.records), "runs": len(config.runs()),
            "rejected_records": len(store.rejected)}


def _report(args) -> dict:
    from gmm_theory.figures.empirical import write_report

    if args.directory == EXAMPLE_STORE and not Path(EXAMPLE_STORE).exists():
        raise FileNotFoundError(f"no store {EXAMPLE_STORE} here: run gmm-theory sweep first (its built-in example "
                                "writes there), or name a sweep's store")
    table, written = write_report(args.directory, args.out)
    if args.study:
        from gmm_theory.figures.study import study_report

        text = study_report(args.directory, tuple(args.densities), predict=not args.no_predictions)
        path = Path(args.directory) / "study.md"
        path.write_text(text + "\n")
        written.append(path)
        table = f"{table}\n\n{text}"
    if not args.json:
        print(table)
    return {"written": [str(path) for path in written]}


def _output_folder(text: str) -> str:
    """An output folder (argparse type) that can be written, so that a bad path fails before
    any work is done: the missing folders are made and a file tried, then they are removed
    again (a command writes nothing when a later check fails)."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} exists and is not a folder")
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError as error:
        raise argparse.ArgumentTypeError(f"cannot write in {text}: {error.strerror}") from None
    finally:
        for folder in missing:
            if folder.is_dir():
                folder.rmdir()
    return text


def _output_file(text: str) -> str:
    """An output file (argparse type): not a folder, in a folder that can be written."""
    if Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give a file name")
    _output_folder(str(Path(text).parent))
    return text


def _margin(text: str) -> float:
    """An SSP margin (argparse type), validated as the library validates it."""
    from gmm_theory._checks import as_margin

    try:
        return as_margin(float(text))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _epochs(text: str) -> int | None:
    """``--epochs``: None for "auto" (the recipe's), else the number of epochs."""
    if text == "auto":
        return None
    if not text.isdigit():
        raise ValueError(f"epochs must be 'auto' or an integer >= 1, got {text!r}")
    return int(text)  # BridgeConfig checks that it is at least 1


def _save_npz(path: str, **arrays) -> None:
    """Write ``arrays`` to ``path`` atomically (a partial file never replaces a good one)."""
    import numpy as np

    from gmm_theory._io import replacing

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as handle:
        np.savez(handle, **arrays)


def _command(commands, name: str, summary: str):
    """A sub-command whose help line in the list of commands is also its own description."""
    return commands.add_parser(name, help=summary, description=f"{summary[0].upper()}{summary[1:]}.")


def _add_mixture_options(command) -> None:
    """The two-class mixture x | y ~ N(mean_y, std_y^2), P(y) = prior_y; the paper's example by default."""
    command.add_argument("--means", nargs=2, type=float, default=list(PAPER_MEANS), metavar=("M0", "M1"),
                         help="class means")
    command.add_argument("--stds", nargs=2, type=float, default=list(PAPER_STDS), metavar=("S0", "S1"),
                         help="class standard deviations")
    command.add_argument("--priors", nargs=2, type=float, default=list(PAPER_PRIORS), metavar=("P0", "P1"),
                         help="class priors of the full training set and of the test set")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gmm-theory", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    theory = _command(commands, "theory", "closed-form risks and optima of the two-class model")
    _add_mixture_options(theory)
    theory.add_argument("--densities", nargs=2, type=float, metavar=("D0", "D1"),
                        help="class densities of random within-class pruning")
    theory.add_argument("--ssp-margin", type=_margin, metavar="M", help="SSP margin pruning radius")
    theory.set_defaults(run=_theory)

    alloc = _command(commands, "allocate", "class quotas from the shared allocator (default: one DRoP "
                                "step on the paper's example, 5000 samples per class, density 0.5)")
    alloc.add_argument("--sizes", nargs="+", type=int, metavar="N", help="class sizes (default: 5000 5000)")
    budget = alloc.add_mutually_exclusive_group()
    budget.add_argument("--density", type=float, help="fraction of the dataset to keep (default: 0.5)")
    budget.add_argument("--budget", type=int, help="number of samples to keep")
    weights = alloc.add_mutually_exclusive_group()
    weights.add_argument("--errors", nargs="+", type=float, metavar="E", help="class validation errors (DRoP; "
                         "with no --sizes, --weights or --rule: the paper example's full-data class risks)")
    weights.add_argument("--weights", nargs="+", type=float, metavar="W", help="custom class weights")
    alloc.add_argument("--rule", choices=RULES, metavar="RULE", help="a fixed rule: %(choices)s")
    alloc.add_argument("--semantics", choices=SEMANTICS, default="density", metavar="S",
                       help="%(choices)s")
    alloc.set_defaults(run=_allocate)

    sim = _command(commands, "simulate", "Monte Carlo risks over a grid of class densities")
    _add_mixture_options(sim)
    sim.add_argument("--n", type=int, default=2000, help="training-set size before pruning")
    sim.add_argument("--grid", type=int, default=16, help="G: densities 1/G, ..., 1 per class")
    sim.add_argument("--seeds", type=int, default=32, help="Monte Carlo repetitions")
    sim.add_argument("--fit", choices=LEARNERS, default="threshold", metavar="LEARNER",
                     help="%(choices)s")
    sim.add_argument("--prune", choices=PRUNING_RULES, default="random", metavar="RULE",
                     help="%(choices)s")
    sim.add_argument("--margin", type=_margin, help="SSP margin M (with --prune ssp): keep |x - class mean| >= M")
    sim.add_argument("--seed", type=int, default=0, help="PRNG seed")
    sim.add_argument("--out", metavar="FILE.npz", type=_output_file, help="also save the per-seed arrays")
    sim.set_defaults(run=_simulate)

    figs = _command(commands, "figures", "draw figures as PNG and PDF (default: the five figures of the paper's "
                    "two-class model; --all: every figure, as committed in the repository's figures/)")
    figs.add_argument("--out", default=FIGURE_FOLDER, metavar="DIR", type=_output_folder, help="output folder")
    figs.add_argument("--quick", action="store_true", help="small Monte Carlo sizes (for tests)")
    which = figs.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="every figure (about 20 minutes on two CPU cores)")
    which.add_argument("--only", nargs="+", choices=FIGURES, metavar="NAME", help="draw only these figures: "
                       "%(choices)s")
    figs.set_defaults(run=_figures)

    asym = _command(commands, "asymptotics", "high-dimensional class errors of ridge ERM (n, d -> infinity)")
    asym.add_argument("--loss", default="logistic", choices=LOSSES, metavar="LOSS",
                      help="%(choices)s")
    asym.add_argument("--lam", type=float, default=0.01, help="ridge penalty lam ||w||^2 / 2")
    asym.add_argument("--alpha", type=float, nargs="+", default=[2.0], metavar="ALPHA",
                      help="samples per dimension n / d before pruning; several give a learning curve, solved in "
                           "one vectorised call")
    asym.add_argument("--r", type=float, default=1.0, help="||mu||^2")
    asym.add_argument("--stds", nargs=2, type=float, default=[0.5, 1.5], metavar=("S-", "S+"),
                      help="class standard deviations per coordinate")
    asym.add_argument("--priors", nargs=2, type=float, default=[0.5, 0.5], metavar=("P-", "P+"), help="class priors")
    asym.add_argument("--densities", nargs=2, type=float, default=[1.0, 1.0], metavar=("D-", "D+"),
                      help="class densities of random within-class pruning")
    asym.add_argument("--damping", type=float, default=0.5, help="first damping of the iteration")
    asym.add_argument("--max-steps", type=int, default=3000, help="iterations before Newton's method")
    asym.add_argument("--nodes", type=int, default=12,
                      help="Gauss-Legendre nodes per panel of the first rule, doubled until the quadrature error "
                           "is below 1e-7")
    asym.set_defaults(run=_asymptotics)

    multi = _command(commands, "multiclass", "allocators compared on a random K-class mixture in d dimensions")
    multi.add_argument("--k", type=int, default=10, help="number of classes")
    multi.add_argument("--dim", type=int, default=32, help="dimension d")
    multi.add_argument("--seed", type=int, default=0, help="seed of the mixture and the quadrature")
    multi.add_argument("--density", type=float, default=0.5, help="fraction of the training set to keep")
    multi.add_argument("--separation", type=float, default=4.0, help="typical distance between class means")
    multi.add_argument("--heterogeneity", type=float, default=0.5, help="h: class stds exp(U(-h, h))")
    multi.add_argument("--classifier", default="lda", choices=CLASSIFIERS, metavar="NAME",
                       help="%(choices)s")
    multi.add_argument("--semantics", default="density", choices=SEMANTICS, metavar="S",
                       help="one-step DRoP quotas: %(choices)s")
    multi.add_argument("--points", type=int, default=1024, help="lattice points per orthant probability")
    multi.set_defaults(run=_multiclass)

    bridge = _command(commands, "bridge", "prune a real dataset with the shared allocator and train a CNN")
    bridge.add_argument("--dataset", default="digits",
                        help="digits, mnist1d, fashion-mnist, mnist, cifar10, cifar100, tinyimagenet or npz:PATH")
    bridge.add_argument("--root", help="data directory (default: the dataset's standard place)")
    bridge.add_argument("--model", default="auto", help="auto or a name of gmm_theory.bridge.models.MODELS")
    bridge.add_argument("--scorer", default="random", help="within-class score, a name of "
                        "gmm_theory.bridge.scores.SCORERS")
    bridge.add_argument("--quoter", default="drop", help="class quotas: a policy of gmm_theory.drop.POLICIES other "
                        "than optimal")
    bridge.add_argument("--density", type=float, default=0.5, help="fraction of the training set to keep")
    bridge.add_argument("--seed", type=int, default=0, help="seed of the split, the scores and the training")
    bridge.add_argument("--query-inits", type=int, default=None,
                        help="query models averaged (default: the scorer's official protocol)")
    bridge.add_argument("--epochs", default="auto", help="query epochs E (final: (0.5 + 0.5 d) E / d)")
    bridge.add_argument("--rounds", type=int, default=3, help="iterated-drop rounds")
    bridge.add_argument("--schedule", default="exponential", help="iterated-drop density schedule: linear or "
                        "exponential")
    bridge.add_argument("--step", type=float, default=1.0, help="iterated-drop damping step")
    bridge.add_argument("--semantics", default="density", choices=SEMANTICS, metavar="S",
                        help="drop quotas: %(choices)s")
    bridge.add_argument("--bf16", action="store_true", help="bfloat16 compute (GPU)")
    bridge.add_argument("--width", type=int, help="first-layer channels of the small CNN (default 16)")
    bridge.add_argument("--out", metavar="DIR", type=_output_folder, help="also write result.json and kept_indices.npy here")
    bridge.set_defaults(run=_bridge)

    sweep = _command(commands, "sweep", "run a grid of bridge runs from a TOML file, resumably")
    sweep.add_argument("config", metavar="CONFIG.toml", nargs="?",
                       help="the sweep (default: a built-in example, Random and Random+DRoP on digits)")
    sweep.add_argument("--out", default=EXAMPLE_STORE, metavar="DIR", type=_output_folder,
                       help="results store, rerun to resume")
    sweep.add_argument("--executor", default="local", help="local or ray")
    sweep.add_argument("--workers", type=int, default=1, help="local process pool size (1: sequential)")
    sweep.add_argument("--address", help="Ray cluster address (default: start a local one)")
    sweep.set_defaults(run=_sweep)

    report = _command(commands, "report", "summary table and figures of a sweep's records")
    report.add_argument("directory", metavar="DIR", nargs="?", default=EXAMPLE_STORE,
                        help=f"a sweep's store (default: {EXAMPLE_STORE}, where a bare gmm-theory sweep writes)")
    report.add_argument("--out", metavar="FIGDIR", type=_output_folder, help="where the figures go (default: DIR/figures)")
    report.add_argument("--study", action="store_true", help="also write DIR/study.md: Table 2 with 95 %% "
                        "intervals, paired DRoP effects, the Gaussian model's predictions and the verdicts")
    report.add_argument("--densities", type=float, nargs="+", default=[0.3, 0.5, 0.8],
                        help="the table's densities (with --study)")
    report.add_argument("--no-predictions", action="store_true",
                        help="with --study, skip the Gaussian model (which trains one query model per seed)")
    report.set_defaults(run=_report)

    derive = _command(commands, "derive", "sympy derivations of the closed forms, as LaTeX")
    derive.set_defaults(run=None)

    for command in (theory, alloc, sim, figs, asym, multi, bridge, sweep, report, derive):
        command.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def cache_folder() -> Path:
    """Where the command line keeps what it compiles between runs: ``$GMM_THEORY_CACHE``, else
    ``gmm-theory`` in the user's cache folder (``$XDG_CACHE_HOME`` or ``~/.cache``)."""
    if os.environ.get("GMM_THEORY_CACHE"):
        return Path(os.environ["GMM_THEORY_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gmm-theory"


def _cache_compilations(jax) -> None:
    """JAX's persistent compilation cache in ``jax`` under :func:`cache_folder`, for every
    program (the default keeps only those that took a second to compile), so that a repeated
    command skips XLA's compiler."""
    jax.config.update("jax_compilation_cache_dir", str(cache_folder() / "jax"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)


def main(argv=None) -> int:
    """Run one sub-command; its output goes to stdout, then a one-line summary with the wall
    time to stderr. Returns the exit status: 0, or 2 for an error (one line on stderr)."""
    start = time.perf_counter()
    args = _build_parser().parse_args(argv)
    prog = f"gmm-theory {args.command}"
    try:
        if args.command == "derive":
            from gmm_theory.twoclass.symbolic import report

            with _elapsed_time_shown(prog):
                text = report(as_json=args.json)
            print(text)
        else:
            import jax

            _cache_compilations(jax)
            # The closed forms need float64; the CNNs of the bridge train in float32.
            with jax.enable_x64(args.command not in ("bridge", "sweep", "report")):
                with contextlib.nullcontext() if args.command in OWN_PROGRESS else _elapsed_time_shown(prog):
                    result = args.run(args)
                _emit(result, args.json)
    except (ValueError, FileNotFoundError, NotConverged, MissingExtra, StoreInUse) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    print(f"{prog}: done in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
