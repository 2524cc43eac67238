"""`lastmile rules check|test DIR` entry points and the ValidateRules helper."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

from rules.api import check_dir, read_dir, validate_texts
from rules.cli import main, main_check, main_test

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "rules" / "tables"


def _broken_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules" / "tables"
    shutil.copytree(TABLES, target)
    path = target / "eligibility.yaml"
    path.write_text(path.read_text().replace("carrier.kind: GIG", "carrier.knd: GIG", 1))
    return target


def test_check_ok_prints_a_summary() -> None:
    """A valid directory exits 0 with tables, rows and the version."""
    out = io.StringIO()
    assert main_check(TABLES, out) == 0
    text = out.getvalue()
    assert text.startswith("OK: 3 tables, ")
    assert check_dir(TABLES).version in text


def test_check_broken_prints_file_line_and_exits_1(tmp_path: Path) -> None:
    """A broken directory exits 1 with one `file:line: table/rule: message` per problem."""
    out = io.StringIO()
    assert main_check(_broken_copy(tmp_path), out) == 1
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("rules/tables/eligibility.yaml:")
    assert (
        "carrier-eligibility/gig-no-age-check: unknown field 'carrier.knd' (did you mean "
        "'carrier.kind'?)" in lines[0]
    )
    assert lines[-1] == "FAILED: 1 problem in 4 files"


def test_test_prints_every_case() -> None:
    """`rules test` prints PASS per case and exits 0 when all pass."""
    out = io.StringIO()
    assert main_test(TABLES, out) == 0
    lines = out.getvalue().splitlines()
    assert sum(line.startswith("PASS ") for line in lines) >= 45
    assert lines[-1].startswith("OK: ")


def test_failing_case_exits_1(tmp_path: Path) -> None:
    """A rule edit that breaks a test case shows the expectation and exits 1."""
    target = tmp_path / "rules" / "tables"
    shutil.copytree(TABLES, target)
    path = target / "service_level.yaml"
    path.write_text(path.read_text().replace("order.green: true", "order.green: false"))
    out = io.StringIO()
    assert main_test(target, out) == 1
    text = out.getvalue()
    assert "FAIL rules/tables/service_level.yaml:" in text
    assert "expected service level GREEN, got SAME_DAY" in text


def test_validate_texts_runs_the_tests_of_undeployed_rules() -> None:
    """ValidateRules: text that is not deployed is validated and its cases are run."""
    files, _ = read_dir(TABLES)
    report = validate_texts(files)
    assert report.ok and report.tested and len(report.tests) >= 45
    files["rules/tables/service_level.yaml"] = files["rules/tables/service_level.yaml"].replace(
        "set_service_level: GREEN", "set_service_level: STANDARD"
    )
    report = validate_texts(files)
    assert not report.ok
    assert any("expected service level GREEN" in line for line in report.lines())


def test_module_entry_point(tmp_path: Path) -> None:
    """`python -m rules.cli check DIR` works as a subprocess; bad usage exits 2."""
    result = subprocess.run(
        [sys.executable, "-m", "rules.cli", "check", str(_broken_copy(tmp_path))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "unknown field 'carrier.knd'" in result.stdout
    assert main(["frobnicate"]) == 2
