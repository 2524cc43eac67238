"""`lastmile rules check DIR` and `lastmile rules test DIR`: print results, return exit codes.

Exit codes: 0 = everything valid (and every test case passed), 1 = problems found,
2 = usage error. Also runnable as `python -m rules.cli check rules/tables`.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from rules.api import check_dir, test_dir
from rules.rates import check_beside

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from rules.model import Report


def _summary(report: Report, out: TextIO) -> None:
    files = len(report.files)
    if report.issues:
        n = len(report.issues)
        print(f"FAILED: {n} problem{'s' * (n != 1)} in {files} file{'s' * (files != 1)}", file=out)
        return
    head = f"{report.tables} tables, {report.rows} rows, {files} files, version {report.version}"
    if not report.tested:
        print(f"OK: {head}", file=out)
        return
    failed = len(report.failed_tests)
    passed = len(report.tests) - failed
    verdict = "OK" if not failed else "FAILED"
    print(f"{verdict}: {passed} passed, {failed} failed; {head}", file=out)


def main_check(directory: str | Path, out: TextIO | None = None) -> int:
    """Validate a rules directory and print `file:line: table/rule: message` per problem.

    Parameters
    ----------
    directory
        The rules directory.
    out
        Where to print (stdout by default).

    Returns
    -------
    int
        0 when valid, 1 otherwise.
    """
    stream = out or sys.stdout
    report = check_dir(directory)
    for issue in report.issues:
        print(issue, file=stream)
    _summary(report, stream)
    rates_ok = check_beside(directory, stream)  # the rate cards next to it (rules/rates)
    return 0 if report.ok and rates_ok else 1


def main_test(directory: str | Path, out: TextIO | None = None) -> int:
    """Validate a rules directory and run its test cases; print one line per case.

    Parameters
    ----------
    directory
        The rules directory.
    out
        Where to print (stdout by default).

    Returns
    -------
    int
        0 when valid and every case passed, 1 otherwise.
    """
    stream = out or sys.stdout
    report = test_dir(directory)
    for issue in report.issues:
        print(issue, file=stream)
    for result in report.tests:
        print(result, file=stream)
    _summary(report, stream)
    return 0 if report.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m rules.cli check|test DIR`."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] not in ("check", "test"):
        print("usage: python -m rules.cli check|test DIR", file=sys.stderr)
        return 2
    return main_check(args[1]) if args[0] == "check" else main_test(args[1])


if __name__ == "__main__":
    raise SystemExit(main())
