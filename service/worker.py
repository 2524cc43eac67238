"""Decisions and rule validation in worker processes: bytes in, bytes out.

The gRPC process only moves bytes, so CPU-bound work (rules, kernels, solvers, protobuf building)
never holds its GIL: health checks and other calls are answered while a big decision runs, and
the two cores both decide. `Worker` is also usable in-process (settings.workers == 0).

With a rules directory each worker process owns a `rules.store.RuleStore` that polls the files
and swaps in a validated, tested edit; a request takes one lease on the serving rules and uses
it for its schema check and its evaluation, so it finishes on the version it started with.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import traceback
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import structlog
from google.protobuf.message import DecodeError
from google.rpc import code_pb2, status_pb2

from lastmile.v1 import orchestrator_pb2 as pb
from rules.rates import BUNDLED_RATES_DIR, EMPTY_RATES, RateSet, RateStore
from service import convert, logs, response
from service.validate import (
    FieldViolation,
    InputError,
    Limits,
    count_violations,
    fit_violations,
    more_violations,
    to_bad_request,
    validate_decide,
)
from solver.checks import BuiltinPolicy
from solver.decide import decide

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from rules.engine import CompiledRules
    from rules.model import Issue, Report
    from rules.store import RuleStore, StoreStatus
    from solver.decide import Outcome
    from solver.eligibility import Policy

OK = "OK"
INVALID_ARGUMENT = "INVALID_ARGUMENT"
DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"
RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
INTERNAL = "INTERNAL"
#: Room left under the message size limit for gRPC's own framing.
_FRAMING_BYTES = 1024
#: An answer with more orders than the room over this many bytes each (about 1.9 kB per
#: order is usual) is first sized on `_SAMPLE_ORDERS` orders spread over all; one that
#: projects over `_SAMPLE_TRUST` x the room is built without explanations.
_BYTES_PER_ORDER_HIGH = 4096
_SAMPLE_ORDERS = 1000
_SAMPLE_TRUST = 1.05


@dataclass(frozen=True, slots=True)
class Result:
    """What a worker sends back: a code, the response or google.rpc.Status bytes, log fields."""

    code: str
    payload: bytes
    message: str
    log: tuple[tuple[str, object], ...]


MAX_RULE_FILES = 64  # ValidateRules: files per request
MAX_RULE_FILE_BYTES = 1024 * 1024  # ValidateRules: bytes of one file's content
log = structlog.get_logger("lastmile")


class Worker:
    """Holds what a decision needs across calls in one process: the rules (a hot-reloaded
    RuleStore) or the built-in checks when `rules_dir` is None, and the rate card files (a
    hot-reloaded RateStore; None = only the request's cards). `max_answer_bytes`: the size an
    answer may have (the server's message limit); None = any."""

    def __init__(
        self,
        rules_dir: Path | None,
        limits: Limits,
        rules_poll_s: float = 1.0,
        rates_dir: Path | None = BUNDLED_RATES_DIR,
        max_answer_bytes: int | None = None,
    ) -> None:
        self.limits = limits
        self.max_answer_bytes = max_answer_bytes
        self.builtin = BuiltinPolicy()
        self.store: RuleStore | None = None
        if rules_dir is not None:
            self.store = _rule_store(rules_dir, rules_poll_s)
        # Rate cards: the files are the defaults (polled, last good kept); a request's
        # rate_cards override them by id. None = the request's cards only.
        self.rates = RateStore(rates_dir, rules_poll_s) if rates_dir is not None else None

    def _rate_cards(self) -> RateSet:
        return self.rates.current() if self.rates is not None else EMPTY_RATES

    def _lease(self) -> contextlib.AbstractContextManager[CompiledRules | None]:
        if self.store is None:
            return contextlib.nullcontext(None)
        return self.store.current()

    def close(self) -> None:
        """Stop polling the rules directory (the process is going away)."""
        if self.store is not None:
            self.store.close()
        if self.rates is not None:
            self.rates.close()

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
            # One lease for the whole request: schema check and evaluation see one version.
            with self._lease() as rules:
                rates = self._rate_cards()
                _validate(request, self.limits, rules, rates.ids)
                snapshot = convert.to_snapshot(request, rates.cards)
                if budget_cap_s is not None:
                    # The deadline's clock started before parsing and conversion.
                    budget_cap_s -= time.perf_counter() - started
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
                outcome = decide(snapshot, self._policy(rules))
            built = time.perf_counter()

            def stamp(answer: pb.DecideResponse) -> None:
                answer.summary.stage_ms["snapshot"] = round(convert_ms, 3)
                answer.summary.stage_ms["response"] = round((time.perf_counter() - built) * 1e3, 3)
                answer.elapsed.FromNanoseconds(int((time.perf_counter() - started) * 1e9))

            limit = self.max_answer_bytes
            answer, data = _serialize(outcome, limit, stamp)
            if limit is not None and len(data) > limit - _FRAMING_BYTES:
                return _status(
                    RESOURCE_EXHAUSTED,
                    code_pb2.RESOURCE_EXHAUSTED,
                    f"the answer ({len(data):,} bytes without explanations) is over "
                    f"the message size limit ({limit:,} bytes): split the request",
                    log,
                )
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
            return Result(OK, data, "", tuple(log))
        except InputError as exc:
            return _invalid(exc, log)
        except Exception as exc:  # the one boundary: anything else is our bug, never the client's
            log += [
                ("outcome", "internal"),
                ("error", repr(exc)),
                ("trace", _trace()),
            ]
            return _status(INTERNAL, code_pb2.INTERNAL, "internal error; see server log", log)

    def _policy(self, rules: CompiledRules | None) -> Policy:
        if rules is None:
            return self.builtin
        from rules.engine import PinnedPolicy

        return PinnedPolicy(rules)

    def validate_rules(self, request_bytes: bytes) -> Result:
        """Validate the rule files of a serialized ValidateRulesRequest and run their test
        cases (deploys nothing); an empty request reports on the serving rules. Either way
        `reload_issues` lists the last rejected reload of the rule files and of the rate card
        files (`file:line` each). Never raises."""
        request = pb.ValidateRulesRequest()
        try:
            request.ParseFromString(request_bytes)
        except DecodeError as exc:
            return _status(
                INVALID_ARGUMENT, code_pb2.INVALID_ARGUMENT, f"unreadable request: {exc}"
            )
        fields: list[tuple[str, object]] = [("files", len(request.files))]
        try:
            violations = _check_rule_files(request)
            if violations:
                raise InputError(violations)
            if request.files:
                from rules.api import validate_texts

                report = validate_texts({f.name: f.content for f in request.files})
            else:
                report = self._serving_report()
            answer = _rules_response(report)
            if self.store is None:
                answer.serving_version = self.builtin.version
            else:
                status = self.store.status()
                answer.serving_version = status.version
                answer.reload_issues.extend(_rule_issues(status.last_issues))
            if self.rates is not None:  # a rejected rate card edit is a reload issue too
                answer.reload_issues.extend(_rule_issues(self.rates.status().last_issues))
            fields += [
                ("outcome", "ok"),
                ("valid", answer.valid),
                ("version", answer.version),
                ("issues", len(answer.issues)),
                ("tests", len(answer.tests)),
                ("failed_tests", sum(not t.passed for t in answer.tests)),
                ("serving_version", answer.serving_version),
                ("reload_issues", len(answer.reload_issues)),
            ]
            return Result(OK, answer.SerializeToString(), "", tuple(fields))
        except InputError as exc:
            return _invalid(exc, fields)
        except Exception as exc:  # the one boundary, as for decide
            fields += [("outcome", "internal"), ("error", repr(exc)), ("trace", _trace())]
            return _status(INTERNAL, code_pb2.INTERNAL, "internal error; see server log", fields)

    def _serving_report(self) -> Report:
        """The serving rules' own test cases, run again on the serving handle."""
        from rules.model import Report
        from rules.testcases import run_tests

        if self.store is None:
            return Report(self.builtin.version, (), (), tested=False)
        with self.store.current() as rules:
            results = tuple(run_tests(rules))
            ruleset = rules.ruleset
            return Report(
                rules.version,
                ruleset.files,
                (),
                results,
                tables=len(ruleset.tables),
                rows=len(ruleset.rows()),
                tested=True,
            )

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


def _serialize(
    outcome: Outcome, limit: int | None, stamp: Callable[[pb.DecideResponse], None]
) -> tuple[pb.DecideResponse, bytes]:
    """The answer and its bytes, each serialized once. When it is over the message ``limit``
    with explanations, the same decision without them (``explanations_omitted``); the caller
    refuses what is over the limit even so.

    A big answer is first sized on a sample of its orders, so one that cannot fit with
    explanations is not built with them only to be built again (at 50,000 orders that
    doubled the answer's 8 s)."""
    asked = outcome.snapshot.options.explain
    room = None if limit is None else limit - _FRAMING_BYTES
    n = outcome.snapshot.orders.count
    explain = asked
    if asked and room is not None and n * _BYTES_PER_ORDER_HIGH > room:
        sample = np.unique(np.linspace(0, n - 1, min(n, _SAMPLE_ORDERS)).astype(np.int64))
        probe = response.build(outcome, sample=sample)
        sampled = probe.ByteSize()
        del probe.decisions[:], probe.unassigned[:]  # what is left: routes and summary
        fixed = probe.ByteSize()
        explain = fixed + (sampled - fixed) / sample.size * n <= room * _SAMPLE_TRUST
    if explain or not asked:
        answer = response.build(outcome)
        stamp(answer)
        data = answer.SerializeToString()
        if not asked or room is None or len(data) <= room:
            return answer, data
    options = replace(outcome.snapshot.options, explain=False)
    answer = response.build(replace(outcome, snapshot=replace(outcome.snapshot, options=options)))
    answer.summary.explanations_omitted = True
    stamp(answer)
    return answer, answer.SerializeToString()


def _status(
    kind: str, code: int, message: str, log: list[tuple[str, object]] | None = None
) -> Result:
    status = status_pb2.Status(code=code, message=message)
    fields = [*(log or []), ("outcome", kind.lower())]
    return Result(kind, status.SerializeToString(), message, tuple(fields))


def _trace() -> str:
    return traceback.format_exc()


_MESSAGE_CHARS = 300  # of the first violation in the status message (metadata too)


def _invalid(exc: InputError, fields: list[tuple[str, object]]) -> Result:
    shown = fit_violations(exc.violations)
    first = shown[0]
    status = status_pb2.Status(
        code=code_pb2.INVALID_ARGUMENT,
        message=f"{count_violations(exc.violations):,} invalid field(s); first: "
        f"{first.field}: {first.description[:_MESSAGE_CHARS]}",
    )
    status.details.add().Pack(to_bad_request(shown))
    fields = [*fields, ("outcome", "invalid"), ("violations", len(exc.violations))]
    return Result(INVALID_ARGUMENT, status.SerializeToString(), status.message, tuple(fields))


def _validate(
    request: pb.DecideRequest,
    limits: Limits,
    rules: CompiledRules | None,
    rate_card_ids: frozenset[str] = frozenset(),
) -> None:
    """validate_decide, plus every order attribute against the rules' schema; raises once with
    all violations (attribute ones after the contract's, within the same cap)."""
    found: tuple[FieldViolation, ...] = ()
    try:
        validate_decide(request, limits, rate_card_ids)
    except InputError as exc:
        found = exc.violations
    capped = any(not v.field for v in found)  # validate_decide closed the list with a summary
    if rules is not None and not capped and len(request.orders) <= limits.max_orders:
        extra = _attribute_violations(request, rules)
        room = max(limits.max_violations - len(found), 0)
        found = (*found, *extra[:room])
        if len(extra) > room:
            found = (*found, more_violations(len(extra) - room, limits.max_violations))
    if found:
        raise InputError(found)


def _attribute_violations(request: pb.DecideRequest, rules: CompiledRules) -> list[FieldViolation]:
    """`orders[i].attributes[key]` for keys the rules' schema does not declare or values of the
    wrong type (a rule on a mistyped attribute would silently never match)."""
    from rules.engine import check_attribute_maps

    orders = request.orders
    bad = check_attribute_maps((o.attributes for o in orders), rules.ruleset)
    out = []
    for i, key, message in bad:
        ident = orders[i].id
        who = f"order {ident}" if ident else f"order at index {i}"
        out.append(FieldViolation(f"orders[{i}].attributes[{key}]", f"{who}: {message}"))
    return out


def _check_rule_files(request: pb.ValidateRulesRequest) -> list[FieldViolation]:
    """Names present, unique and printable; sizes within limits."""
    out: list[FieldViolation] = []
    if len(request.files) > MAX_RULE_FILES:
        return [
            FieldViolation(
                "files", f"{len(request.files)} files; at most {MAX_RULE_FILES} are accepted"
            )
        ]
    seen: dict[str, int] = {}
    for i, file in enumerate(request.files):
        name = file.name
        if not name.strip() or not name.isprintable() or len(name) > 200:
            out.append(
                FieldViolation(
                    f"files[{i}].name", f"file at index {i}: a printable name (<= 200) is required"
                )
            )
        elif name in seen:
            out.append(
                FieldViolation(
                    f"files[{i}].name", f"file {name}: duplicate name (also files[{seen[name]}])"
                )
            )
        else:
            seen[name] = i
        size = len(file.content.encode("utf-8"))
        if size > MAX_RULE_FILE_BYTES:
            out.append(
                FieldViolation(
                    f"files[{i}].content",
                    f"file {name}: {size:,} bytes; at most {MAX_RULE_FILE_BYTES:,} are accepted",
                )
            )
    return out


def _rule_issues(issues: Iterable[Issue]) -> list[pb.RuleIssue]:
    return [
        pb.RuleIssue(file=i.file, line=i.line, where=i.where, message=i.message) for i in issues
    ]


def _rules_response(report: Report) -> pb.ValidateRulesResponse:
    return pb.ValidateRulesResponse(
        valid=report.ok,
        version=report.version,
        issues=_rule_issues(report.issues),
        tests=[
            pb.RuleTestResult(
                name=t.name, file=t.file, line=t.line, passed=t.passed, messages=list(t.messages)
            )
            for t in report.tests
        ],
        tables=report.tables,
        rows=report.rows,
    )


def _rule_store(rules_dir: Path, poll_s: float) -> RuleStore:
    from rules.store import RuleStore

    return RuleStore(rules_dir, poll_interval_s=poll_s, on_event=_log_rules_event)


def _log_rules_event(event: str, status: StoreStatus) -> None:
    """One structlog line per swap or rejected edit, from this worker process."""
    if event == "rejected":
        log.warning(
            "rules_rejected",
            directory=status.directory,
            serving_version=status.version,
            rejected_version=status.rejected_version,
            errors=list(status.last_error),
            pid=os.getpid(),
        )
    else:
        log.info(
            "rules_reloaded",
            directory=status.directory,
            version=status.version,
            tests_passed=status.tests_passed,
            pid=os.getpid(),
        )


# --- process pool plumbing: one Worker per process, built by the initializer ----------------

_worker: Worker | None = None


def init_process(
    rules_dir: Path | None,
    limits: Limits,
    rules_poll_s: float = 1.0,
    log_format: str = "console",
    rates_dir: Path | None = BUNDLED_RATES_DIR,
    max_answer_bytes: int | None = None,
) -> None:
    """Pool initializer: ignore Ctrl-C (the server drains), log like the server, build and
    warm the worker."""
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logs.configure(log_format)
    _worker = Worker(rules_dir, limits, rules_poll_s, rates_dir, max_answer_bytes)
    _worker.warm_up()


def decide_in_process(
    request_bytes: bytes, budget_cap_s: float | None, submitted: float | None = None
) -> Result:
    """`submitted`: `time.monotonic()` (one clock for all processes) when the server queued the
    call, so time spent waiting for a free worker comes off the deadline's budget too."""
    assert _worker is not None, "init_process did not run"
    if budget_cap_s is not None and submitted is not None:
        budget_cap_s -= time.monotonic() - submitted
    return _worker.decide(request_bytes, budget_cap_s)


def validate_rules_in_process(request_bytes: bytes) -> Result:
    assert _worker is not None, "init_process did not run"
    return _worker.validate_rules(request_bytes)


def ping() -> int:
    """A no-op task: returns once the process is up and warmed."""
    return 1 if _worker is not None else 0
