"""`lastmile decide` against a real server: the table a dispatcher reads, and the JSON."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from google.protobuf import json_format

from clients import cli
from lastmile.v1 import orchestrator_pb2 as pb

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from service.server import Running

SAMPLE = "samples/sample_day.json"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d")  # the in-process server's log lines


def _decide(server: Running, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    address = f"127.0.0.1:{server.port}"
    assert cli.main(["decide", SAMPLE, "--address", address, *extra]) == 0
    lines = capsys.readouterr().out.splitlines(keepends=True)
    return "".join(line for line in lines if not LOG_LINE.match(line))


def test_json_format_is_the_decision(
    server: Running, capsys: pytest.CaptureFixture[str], sample_request: pb.DecideRequest
) -> None:
    """`--format json` prints protobuf JSON of the full response (every order answered)."""
    response = json_format.Parse(_decide(server, capsys, "--format", "json"), pb.DecideResponse())
    assert len(response.decisions) + len(response.unassigned) == len(sample_request.orders)
    assert response.routes


def test_table_shows_local_times_routes_and_totals(
    server: Running, capsys: pytest.CaptureFixture[str], sample_request: pb.DecideRequest
) -> None:
    """Times in the request's zone (Europe/Berlin), every van route listed, totals as sent."""
    response = json_format.Parse(_decide(server, capsys, "--format", "json"), pb.DecideResponse())
    table = _decide(server, capsys)
    zone = ZoneInfo(sample_request.timezone)
    assert f"(times {sample_request.timezone})" in table
    header = f"Decision {response.request_id}: {response.summary.assigned} assigned"
    assert table.startswith(header)
    rows = {line.split()[0]: line for line in table.splitlines() if line.startswith("ORD-")}
    shown = [d for d in response.decisions if d.order_id in rows]
    assert len(shown) == 25
    for decision in shown:
        eta = datetime.fromtimestamp(decision.eta.seconds, zone).strftime("%H:%M")
        start = datetime.fromtimestamp(decision.promise.start.seconds, zone).strftime("%H:%M")
        assert f" {eta} {start}-" in rows[decision.order_id], rows[decision.order_id]
    routes = re.findall(r"^  (VAN-\d+)\s+(\d+) stops", table, re.M)
    assert [(r.vehicle_id, str(len(r.stops))) for r in response.routes] == routes
    total = response.summary.total_cost.cents / 100
    assert f"Total cost {total:,.2f} EUR for {response.summary.assigned} orders" in table
    more = response.summary.assigned - response.summary.baseline_assigned
    assert more > 0 and f"%, +{more} orders delivered)" in table
    for b in response.summary.baselines:
        assert b.common_orders and b.assigned != response.summary.assigned
        common = (
            f"on the {b.common_orders:,} orders both deliver: {b.common_cost.cents / 100:,.2f} EUR "
            f"against {b.baseline_common_cost.cents / 100:,.2f} EUR"
        )
        assert common in table


def test_unreadable_request_file_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing file, bad JSON or a wrong field type: exit 2 with what is wrong, no traceback
    and no call (the address is never dialled)."""
    cases = {
        "missing.json": ("No such file", None),
        "garbage.json": ("Failed to load JSON", "not json"),
        "typed.json": ("Failed to parse id field", '{"orders": [{"id": 1}]}'),
    }
    for name, (words, text) in cases.items():
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        assert cli.main(["decide", str(path), "--address", "127.0.0.1:1"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: cannot read {path}: ") and words in err, err
        assert "Traceback" not in err
