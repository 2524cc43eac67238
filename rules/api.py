"""Pure entry points over rule files: check, test, validate text that is not deployed.

`check_dir` validates and compiles; `test_dir` also runs the files' own test cases on the
compiled engine (and the oracle); `validate_texts` does the same for text sent over the API
(ValidateRules). None of them keeps state: each compiled handle is deleted before returning.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rules.engine import CompiledRules, EngineError, check_attributes
from rules.model import Issue, Report, RuleSet
from rules.testcases import run_tests
from rules.validate import content_version, load_texts

if TYPE_CHECKING:
    from collections.abc import Mapping

    from solver.snapshot import Snapshot

RULE_SUFFIXES = (".yaml", ".yml")


def dir_label(directory: Path) -> str:
    """How files of `directory` are named in messages: its last two path parts, e.g.
    `rules/tables` (stable across machines and checkouts)."""
    parts = directory.resolve().parts[-2:]
    return "/".join(parts)


def read_dir(directory: str | Path) -> tuple[dict[str, str], list[Issue]]:
    """Read the rule files (*.yaml, *.yml, not recursive) of a directory.

    Parameters
    ----------
    directory
        The rules directory, e.g. rules/tables.

    Returns
    -------
    tuple
        {label: text} and problems reading them (missing directory, bad encoding).
    """
    path = Path(directory)
    label = dir_label(path) if path.exists() else str(directory)
    if not path.is_dir():
        return {}, [Issue(label, 0, "", "not a directory")]
    files: dict[str, str] = {}
    issues: list[Issue] = []
    for file in sorted(path.iterdir()):
        if file.suffix not in RULE_SUFFIXES or not file.is_file():
            continue
        name = f"{label}/{file.name}"
        try:
            files[name] = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            issues.append(Issue(name, 0, "", f"cannot read: {exc}"))
    if not files and not issues:
        issues.append(Issue(label, 0, "", "no rule files (*.yaml) in this directory"))
    return files, issues


def build(files: Mapping[str, str], *, tests: bool = True) -> tuple[CompiledRules | None, Report]:
    """Validate, compile and (optionally) test rule files; the caller owns the handle.

    Parameters
    ----------
    files
        {label: text}.
    tests
        Run the files' test cases on the compiled handle.

    Returns
    -------
    tuple
        The compiled rules (None unless everything passed) and the report.
    """
    version = content_version(files) if files else ""
    names = tuple(sorted(files))
    ruleset, issues = load_texts(files)
    if ruleset is None:
        return None, Report(version, names, tuple(issues))
    try:
        compiled = CompiledRules(ruleset)
    except EngineError as exc:
        return None, Report(version, names, (Issue("rules", 0, "", str(exc)),))
    results = tuple(run_tests(compiled)) if tests else ()
    report = Report(
        version,
        names,
        (),
        results,
        tables=len(ruleset.tables),
        rows=len(ruleset.rows()),
        tested=tests,
    )
    if not report.ok:
        compiled.retire()
        return None, report
    return compiled, report


def _report_only(files: Mapping[str, str], issues: list[Issue], tests: bool) -> Report:
    if issues:
        return Report(content_version(files) if files else "", tuple(sorted(files)), tuple(issues))
    compiled, report = build(files, tests=tests)
    if compiled is not None:
        compiled.retire()
    return report


def check_dir(path: str | Path) -> Report:
    """Validate and compile the rule files of a directory (no test cases).

    Parameters
    ----------
    path
        The rules directory.

    Returns
    -------
    Report
        `ok` when every file is valid and the engine accepted the compiled rules.
    """
    files, issues = read_dir(path)
    return _report_only(files, issues, tests=False)


def test_dir(path: str | Path) -> Report:
    """Validate, compile and run every test case of a directory's rule files.

    Parameters
    ----------
    path
        The rules directory.

    Returns
    -------
    Report
        With one TestResult per case; `ok` when valid and every case passed.
    """
    files, issues = read_dir(path)
    return _report_only(files, issues, tests=True)


test_dir.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def validate_texts(files: Mapping[str, str]) -> Report:
    """Validate rule text that is not deployed and run its test cases (ValidateRules).

    Parameters
    ----------
    files
        {file name: YAML text}; names are used in messages as given. The set must be complete
        (schema and all three tables), as a deployment would be.

    Returns
    -------
    Report
    """
    if not files:
        return Report("", (), (Issue("rules", 0, "", "no files given"),))
    return _report_only(files, [], tests=True)


def check_order_attributes(snapshot: Snapshot, ruleset: RuleSet) -> list[tuple[int, str, str]]:
    """(order_idx, key, message) for attributes the rule set's schema rejects.

    Parameters
    ----------
    snapshot
        The request.
    ruleset
        Whose schema applies (RuleStore / RulesPolicy offer the one-argument form).

    Returns
    -------
    list[tuple[int, str, str]]
        For `orders[i].attributes[key]` field violations.
    """
    return check_attributes(snapshot, ruleset)
