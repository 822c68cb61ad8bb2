"""The ``gmm-theory`` command line: every sub-command runs with no arguments on the paper's
example (means -1, 1; stds 0.5, 1.5; priors 0.5, 0.5) and prints JSON with ``--json``."""

from __future__ import annotations

import argparse
import json
import math
import sys

from gmm_theory.mixture import PAPER_MEANS, PAPER_PRIORS, PAPER_STDS


class _Parser(argparse.ArgumentParser):
    """Argument errors as one line naming the parameter, exit status 2, no usage dump."""

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


def _print_text(result: dict, indent: str = "") -> None:
    for key, value in result.items():
        if isinstance(value, dict):
            print(f"{indent}{key}:")
            _print_text(value, indent + "  ")
        else:
            print(f"{indent}{key}: {value}")


def _emit(result: dict, as_json: bool) -> None:
    result = _jsonable(result)
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        _print_text(result)


def _rule_report(mixture, threshold) -> dict:
    from gmm_theory.risk import average_risk, class_risks, worst_class_risk

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


def _allocate(args) -> dict:
    from gmm_theory.allocate import allocate

    rule = args.rule or ("drop" if args.errors else "weights" if args.weights else "stratified")
    allocation = allocate(
        args.sizes,
        density=args.density,
        budget=args.budget,
        rule=rule,
        errors=args.errors,
        weights=args.weights,
        semantics=args.semantics,
    )
    return {
        "sizes": allocation.sizes,
        "budget": allocation.budget,
        "rule": allocation.rule,
        "semantics": allocation.semantics,
        "counts": allocation.counts,
        "densities": allocation.densities,
    }


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gmm-theory", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    theory = commands.add_parser("theory", help="closed-form risks and optima of the two-class model")
    theory.add_argument("--means", nargs=2, type=float, default=list(PAPER_MEANS), metavar=("M0", "M1"))
    theory.add_argument("--stds", nargs=2, type=float, default=list(PAPER_STDS), metavar=("S0", "S1"))
    theory.add_argument("--priors", nargs=2, type=float, default=list(PAPER_PRIORS), metavar=("P0", "P1"))
    theory.add_argument("--densities", nargs=2, type=float, metavar=("D0", "D1"),
                        help="class densities of random within-class pruning")
    theory.add_argument("--ssp-margin", type=float, metavar="M", help="SSP margin pruning radius")
    theory.set_defaults(run=_theory)

    alloc = commands.add_parser("allocate", help="class quotas from the shared allocator")
    alloc.add_argument("--sizes", nargs="+", type=int, required=True, metavar="N")
    budget = alloc.add_mutually_exclusive_group(required=True)
    budget.add_argument("--density", type=float, help="fraction of the dataset to keep")
    budget.add_argument("--budget", type=int, help="number of samples to keep")
    weights = alloc.add_mutually_exclusive_group()
    weights.add_argument("--errors", nargs="+", type=float, metavar="E", help="class validation errors (DRoP)")
    weights.add_argument("--weights", nargs="+", type=float, metavar="W", help="custom class weights")
    alloc.add_argument("--rule", choices=["stratified", "drop", "weights"])
    alloc.add_argument("--semantics", choices=["density", "count"], default="density")
    alloc.set_defaults(run=_allocate)

    derive = commands.add_parser("derive", help="sympy derivations of the closed forms, as LaTeX")
    derive.set_defaults(run=None)

    for command in (theory, alloc, derive):
        command.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(argv=None) -> int:
    args = _build_parser().parse_args(argv)
    prog = f"gmm-theory {args.command}"
    try:
        if args.command == "derive":
            from gmm_theory.symbolic import report

            print(report(as_json=args.json))
            return 0
        import jax

        with jax.enable_x64(True):
            _emit(args.run(args), args.json)
    except ValueError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
