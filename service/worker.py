"""Decisions in worker processes: bytes in, bytes out.

The gRPC process only moves bytes, so CPU-bound work (rules, kernels, solvers, protobuf building)
never holds its GIL: health checks and other calls are answered while a big decision runs, and
the two cores both decide. `Worker` is also usable in-process (settings.workers == 0).
"""

from __future__ import annotations

import signal
import time
import traceback
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from google.protobuf.message import DecodeError
from google.rpc import code_pb2, status_pb2

from lastmile.v1 import orchestrator_pb2 as pb
from rules.rates import BUNDLED_RATES_DIR, EMPTY_RATES, RateSet, RateStore
from service import convert, response
from service.validate import InputError, Limits, to_bad_request, validate_decide
from solver.checks import BuiltinPolicy
from solver.decide import decide

if TYPE_CHECKING:
    from pathlib import Path

    from solver.eligibility import Policy

OK = "OK"
INVALID_ARGUMENT = "INVALID_ARGUMENT"
DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"
INTERNAL = "INTERNAL"


@dataclass(frozen=True, slots=True)
class Result:
    """What a worker sends back: a code, the response or google.rpc.Status bytes, log fields."""

    code: str
    payload: bytes
    message: str
    log: tuple[tuple[str, object], ...]


class Worker:
    """Holds what a decision needs across calls in one process: the eligibility policy."""

    def __init__(
        self, rules_dir: Path | None, limits: Limits, rates_dir: Path | None = BUNDLED_RATES_DIR
    ) -> None:
        self.limits = limits
        self.policy: Policy = BuiltinPolicy()
        if rules_dir is not None:
            self.policy = _rules_policy(rules_dir)
        # Rate cards: the files are the defaults (polled, last good kept); a request's
        # rate_cards override them by id. None = the request's cards only.
        self.rates = RateStore(rates_dir) if rates_dir is not None else None

    def _rate_cards(self) -> RateSet:
        return self.rates.current() if self.rates is not None else EMPTY_RATES

    def decide(self, request_bytes: bytes, budget_cap_s: float | None) -> Result:
        """Decide one serialized DecideRequest; never raises."""
        started = time.perf_counter()
        request = pb.DecideRequest()
        try:
            request.ParseFromString(request_bytes)
        except DecodeError as exc:
            return _status(
                INVALID_ARGUMENT, code_pb2.INVALID_ARGUMENT, f"unreadable request: {exc}"
            )
        log: list[tuple[str, object]] = [
            ("request_id", request.request_id),
            ("orders", len(request.orders)),
            ("carriers", len(request.carriers)),
            ("vehicles", len(request.vehicles)),
        ]
        try:
            rates = self._rate_cards()
            validate_decide(request, self.limits, rates.ids)
            snapshot = convert.to_snapshot(request, rates.cards)
            if budget_cap_s is not None:
                if budget_cap_s <= 0:
                    return _status(
                        DEADLINE_EXCEEDED,
                        code_pb2.DEADLINE_EXCEEDED,
                        "the call's deadline leaves no time to decide",
                        log,
                    )
                options = snapshot.options
                budget = min(options.time_budget_s, budget_cap_s)
                snapshot = replace(snapshot, options=replace(options, time_budget_s=budget))
            convert_ms = (time.perf_counter() - started) * 1000.0
            outcome = decide(snapshot, self.policy)
            built = time.perf_counter()
            answer = response.build(outcome)
            answer.summary.stage_ms["snapshot"] = round(convert_ms, 3)
            answer.summary.stage_ms["response"] = round((time.perf_counter() - built) * 1000, 3)
            answer.elapsed.FromNanoseconds(int((time.perf_counter() - started) * 1e9))
            summary = answer.summary
            log += [
                ("outcome", "ok"),
                ("assigned", summary.assigned),
                ("unassigned", summary.unassigned),
                ("total_cost_cents", summary.total_cost.cents),
                ("savings_cents", summary.savings.cents),
                ("rules_version", summary.rules_version),
                ("stage_ms", dict(summary.stage_ms)),
            ]
            return Result(OK, answer.SerializeToString(), "", tuple(log))
        except InputError as exc:
            status = status_pb2.Status(
                code=code_pb2.INVALID_ARGUMENT,
                message=f"{len(exc.violations)} invalid field(s); first: "
                f"{exc.violations[0].field}: {exc.violations[0].description}",
            )
            status.details.add().Pack(to_bad_request(exc.violations))
            log += [("outcome", "invalid"), ("violations", len(exc.violations))]
            return Result(INVALID_ARGUMENT, status.SerializeToString(), status.message, tuple(log))
        except Exception as exc:  # the one boundary: anything else is our bug, never the client's
            log += [
                ("outcome", "internal"),
                ("error", repr(exc)),
                ("trace", traceback.format_exc()),
            ]
            return _status(INTERNAL, code_pb2.INTERNAL, "internal error; see server log", log)

    def warm_up(self) -> float:
        """Compile kernels and load rules before health says SERVING; returns seconds taken."""
        from samples.generate import generate_day

        started = time.perf_counter()
        request = generate_day(seed=1, orders=40, vehicles=2)
        request.options.time_budget.FromMilliseconds(200)
        result = self.decide(request.SerializeToString(), None)
        if result.code != OK:
            raise RuntimeError(f"warm-up decision failed: {result.message}")
        return time.perf_counter() - started


def _status(
    kind: str, code: int, message: str, log: list[tuple[str, object]] | None = None
) -> Result:
    status = status_pb2.Status(code=code, message=message)
    fields = [*(log or []), ("outcome", kind.lower())]
    return Result(kind, status.SerializeToString(), message, tuple(fields))


def _rules_policy(rules_dir: Path) -> Policy:
    from rules.engine import RulesPolicy
    from rules.store import RuleStore

    return RulesPolicy(RuleStore(rules_dir))


# --- process pool plumbing: one Worker per process, built by the initializer ----------------

_worker: Worker | None = None


def init_process(rules_dir: Path | None, limits: Limits) -> None:
    """Pool initializer: ignore Ctrl-C (the server drains), build and warm the worker."""
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker = Worker(rules_dir, limits)
    _worker.warm_up()


def decide_in_process(request_bytes: bytes, budget_cap_s: float | None) -> Result:
    assert _worker is not None, "init_process did not run"
    return _worker.decide(request_bytes, budget_cap_s)


def ping() -> int:
    """A no-op task: returns once the process is up and warmed."""
    return 1 if _worker is not None else 0
