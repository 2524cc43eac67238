"""The `lastmile` command: serve, decide a snapshot file, check and test rule files."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from google.protobuf import json_format

from clients.client import Client, OrchestratorError, load_request
from lastmile.v1 import orchestrator_pb2 as pb

if TYPE_CHECKING:
    from collections.abc import Sequence

DEFAULT_ADDRESS = "127.0.0.1:50051"


def _zone(name: str) -> tzinfo:
    """The request's IANA time zone, so times read as the shipper's local clock; else UTC."""
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _clock(seconds: int, zone: tzinfo = UTC) -> str:
    return datetime.fromtimestamp(seconds, zone).strftime("%H:%M") if seconds else "-"


def _eur(cents: int, currency: str = "EUR") -> str:
    return f"{cents / 100:,.2f} {currency}"


def render_table(
    response: pb.DecideResponse, out: TextIO, *, timezone: str = "", limit: int = 25
) -> None:
    """A readable summary: assignments, unassigned with reasons, van routes, totals.

    Clock times are shown in `timezone` (the request's), UTC when it is empty or unknown.
    """
    zone = _zone(timezone)
    summary = response.summary
    currency = summary.total_cost.currency or "EUR"
    write = out.write
    gap = ""
    if summary.HasField("objective_bound") and summary.objective:
        share = (summary.objective - summary.objective_bound) / abs(summary.objective)
        gap = f", gap {100 * share:.2f}%"
    write(
        f"Decision {response.request_id}: {summary.assigned} assigned, "
        f"{summary.unassigned} unassigned (policy {pb.AssignmentPolicy.Name(summary.policy)}, "
        f"solver {pb.SolverStatus.Name(summary.solver_status)}{gap}, "
        f"rules {summary.rules_version})\n\n"
    )
    if summary.explanations_omitted:
        write("(explanations omitted: with them the answer would pass the message size limit)\n\n")
    write(
        f"{'order':<12} {'level':<18} {'carrier':<16} {'vehicle':<8} {'price':>11} "
        f"{'eta':>5} {'promise':>11}  next best   (times {zone})\n"
    )
    for decision in list(response.decisions)[:limit]:
        level = pb.ServiceLevel.Name(decision.service_level).removeprefix("SERVICE_LEVEL_")
        nxt = next((c for c in decision.candidates if not c.chosen), None)
        next_best = f"{nxt.carrier_id} {nxt.versus_chosen}" if nxt else "-"
        start, end = decision.promise.start.seconds, decision.promise.end.seconds
        promise = f"{_clock(start, zone)}-{_clock(end, zone)}"
        write(
            f"{decision.order_id:<12} {level:<18} {decision.carrier_id:<16} "
            f"{decision.vehicle_id or '-':<8} {_eur(decision.price.total.cents, ''):>11} "
            f"{_clock(decision.eta.seconds, zone):>5} {promise:>11}  {next_best}\n"
        )
    if len(response.decisions) > limit:
        write(f"... and {len(response.decisions) - limit} more decisions (--format json for all)\n")
    if response.unassigned:
        write(f"\nUnassigned ({len(response.unassigned)}):\n")
        for item in list(response.unassigned)[:limit]:
            reasons = ", ".join(
                pb.ReasonCode.Name(r).removeprefix("REASON_CODE_") for r in item.reasons
            )
            write(f"  {item.order_id:<12} {reasons}: {item.message}\n")
        if len(response.unassigned) > limit:
            write(f"  ... and {len(response.unassigned) - limit} more\n")
    if response.routes:
        write(f"\nRoutes ({len(response.routes)} vans):\n")
        for route in response.routes:
            hours = route.duration.seconds / 3600
            write(
                f"  {route.vehicle_id:<10} {len(route.stops):>3} stops  "
                f"{_clock(route.start.seconds, zone)}-{_clock(route.end.seconds, zone)}  "
                f"{route.distance_km:7.1f} km  {hours:5.1f} h  "
                f"{_eur(route.cost.cents, currency):>14}\n"
            )
    write("\nPer carrier:\n")
    for total in summary.carriers:
        cost = _eur(total.cost.cents, currency)
        write(
            f"  {total.carrier_id:<16} {total.orders:>5} orders  {cost:>14}"
            f"  {total.co2e_g / 1000:8.1f} kg CO2e\n"
        )
    write(
        f"\nTotal cost {_eur(summary.total_cost.cents, currency)} for {summary.assigned} orders; "
        f"{summary.co2e_g / 1000:.1f} kg CO2e\n"
    )
    for comparison in summary.baselines:
        name = pb.Baseline.Name(comparison.baseline).removeprefix("BASELINE_")
        if comparison.carrier_id:
            name += f" ({comparison.carrier_id})"
        more = summary.assigned - comparison.assigned
        delivered = f", {more:+,} orders delivered" if more else ""
        write(
            f"  vs {name:<33} {_eur(comparison.cost.cents, currency):>14} for "
            f"{comparison.assigned:>5} orders: savings {_eur(comparison.savings.cents, currency)} "
            f"({comparison.savings_pct:.1f}%{delivered}); {comparison.co2e_g / 1000:.1f} kg CO2e\n"
        )
        if more:
            write(
                f"     on the {comparison.common_orders:,} orders both deliver: "
                f"{_eur(comparison.common_cost.cents, currency)} against "
                f"{_eur(comparison.baseline_common_cost.cents, currency)}, savings "
                f"{_eur(comparison.common_savings.cents, currency)} "
                f"({comparison.common_savings_pct:.1f}%)\n"
            )
    stages = ", ".join(f"{k} {v:.1f}" for k, v in sorted(summary.stage_ms.items()))
    write(f"Stage ms: {stages}\n")


def _cmd_decide(args: argparse.Namespace) -> int:
    try:
        request = load_request(Path(args.file))
    except (OSError, UnicodeDecodeError, json_format.ParseError) as error:
        print(f"error: cannot read {args.file}: {error}", file=sys.stderr)
        return 2
    with Client(args.address) as client:
        try:
            response = client.decide(request, timeout_s=args.timeout)
        except OrchestratorError as error:
            print(f"error: {error.code.name}: {error.message}", file=sys.stderr)
            for violation in error.violations:
                print(f"  {violation.field}: {violation.description}", file=sys.stderr)
            return 2
    if args.format == "json":
        print(json_format.MessageToJson(response, indent=2))
    else:
        render_table(response, sys.stdout, timezone=request.timezone)
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from service import logs, server
    from service.settings import Settings

    settings = Settings.from_env(
        address=args.address,
        rules=args.rules,
        workers=args.workers,
        log_format=args.log_format,
    )
    logs.configure(settings.log_format)
    return server.serve(settings)


def _cmd_rules(args: argparse.Namespace) -> int:
    from rules import cli as rules_cli

    if args.action == "validate":
        return _rules_validate(args)
    if args.dir is None:
        print(f"usage: lastmile rules {args.action} DIR", file=sys.stderr)
        return 2
    if args.action == "check":
        return int(rules_cli.main_check(Path(args.dir)))
    return int(rules_cli.main_test(Path(args.dir)))


def _rules_validate(args: argparse.Namespace) -> int:
    """`lastmile rules validate [DIR] --address`: the server validates and tests DIR's files
    (deploying nothing); without DIR it reports on the rules it is serving."""
    from rules.api import read_dir

    files: dict[str, str] = {}
    if args.dir is not None:
        files, problems = read_dir(args.dir)
        if problems:
            for problem in problems:
                print(problem, file=sys.stderr)
            return 1
    with Client(args.address) as client:
        try:
            answer = client.validate_rules(files, timeout_s=args.timeout)
        except OrchestratorError as error:
            print(f"error: {error.code.name}: {error.message}", file=sys.stderr)
            for violation in error.violations:
                print(f"  {violation.field}: {violation.description}", file=sys.stderr)
            return 2
    render_validation(answer, sys.stdout)
    # Without DIR the question is "is the server healthy?": a rejected reload is a problem too.
    rejected = args.dir is None and bool(answer.reload_issues)
    return 0 if answer.valid and not rejected else 1


def _issue_line(issue: pb.RuleIssue) -> str:
    loc = f"{issue.file}:{issue.line}" if issue.line > 0 else issue.file
    return f"{loc}: {issue.where}: {issue.message}" if issue.where else f"{loc}: {issue.message}"


def render_validation(answer: pb.ValidateRulesResponse, out: TextIO) -> None:
    """The same lines as `lastmile rules test`, then what the server is serving."""
    write = out.write
    for issue in answer.issues:
        write(_issue_line(issue) + "\n")
    for test in answer.tests:
        write(f"{'PASS' if test.passed else 'FAIL'} {test.file}:{test.line}: test '{test.name}'\n")
        for message in test.messages:
            write(f"    {message}\n")
    failed = sum(not t.passed for t in answer.tests)
    if answer.issues:
        write(f"FAILED: {len(answer.issues)} problem(s), version {answer.version or '-'}\n")
    else:
        verdict = "OK" if answer.valid else "FAILED"
        write(
            f"{verdict}: {len(answer.tests) - failed} passed, {failed} failed; {answer.tables} "
            f"tables, {answer.rows} rows, version {answer.version}\n"
        )
    write(f"server serving {answer.serving_version}\n")
    if answer.reload_issues:
        write("its last reload was rejected, so it keeps serving that version:\n")
        for issue in answer.reload_issues:
            write(f"  {_issue_line(issue)}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lastmile", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the decision server")
    serve.add_argument("--address", default=None, help=f"HOST:PORT (default {DEFAULT_ADDRESS})")
    serve.add_argument(
        "--rules", default=None, help="rules directory, or 'builtin' (default: rules/tables)"
    )
    serve.add_argument("--workers", type=int, default=None, help="decision processes (0 = inline)")
    serve.add_argument("--log-format", choices=("console", "json"), default=None)
    serve.set_defaults(func=_cmd_serve)

    decide = sub.add_parser("decide", help="send a DecideRequest JSON file and show the answer")
    decide.add_argument("file")
    decide.add_argument("--address", default=DEFAULT_ADDRESS)
    decide.add_argument("--format", choices=("table", "json"), default="table")
    decide.add_argument("--timeout", type=float, default=30.0, help="deadline in seconds")
    decide.set_defaults(func=_cmd_decide)

    rules = sub.add_parser("rules", help="validate or test rule files")
    rules.add_argument(
        "action",
        choices=("check", "test", "validate"),
        help="check: validate DIR; test: also run its test cases; validate: the same on a "
        "running server (--address), deploying nothing; without DIR: the serving rules",
    )
    rules.add_argument("dir", nargs="?", default=None)
    rules.add_argument("--address", default=DEFAULT_ADDRESS, help="server, for validate")
    rules.add_argument("--timeout", type=float, default=30.0, help="deadline in seconds")
    rules.set_defaults(func=_cmd_rules)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
