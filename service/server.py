"""Server bootstrap: the Orchestrator service, health, reflection, drain on SIGTERM.

`create_server` builds and starts a server and returns it with its port, so tests bind port 0;
`serve` adds signal handling and blocks. The Decide and ValidateRules handlers only move bytes
to a worker and map the result to a gRPC status; the work happens in `service.worker`.
"""

from __future__ import annotations

import concurrent.futures
import faulthandler
import multiprocessing
import signal
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import grpc
import structlog
from google.rpc import status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status

from lastmile.v1 import orchestrator_pb2
from service import worker
from service.health import NOT_SERVING, SERVING, Health

if TYPE_CHECKING:
    from service.settings import Settings

NO_DEADLINE_S = 7 * 86_400.0
SERVICE_NAME = orchestrator_pb2.DESCRIPTOR.services_by_name["Orchestrator"].full_name
log = structlog.get_logger("lastmile")

_CODES = {
    worker.INVALID_ARGUMENT: grpc.StatusCode.INVALID_ARGUMENT,
    worker.DEADLINE_EXCEEDED: grpc.StatusCode.DEADLINE_EXCEEDED,
    worker.RESOURCE_EXHAUSTED: grpc.StatusCode.RESOURCE_EXHAUSTED,
    worker.INTERNAL: grpc.StatusCode.INTERNAL,
}


class Decider:
    """Runs decisions inline or in a process pool; the pool is warmed before SERVING."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._inline: worker.Worker | None = None

    def start(self) -> float:
        started = time.perf_counter()
        s = self._settings
        if s.workers == 0:
            self._inline = worker.Worker(
                s.rules_dir, s.limits, s.rules_poll_s, s.rates_dir, s.max_message_bytes
            )
            self._inline.warm_up()
        else:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=s.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=worker.init_process,
                initargs=(
                    s.rules_dir,
                    s.limits,
                    s.rules_poll_s,
                    s.log_format,
                    s.rates_dir,
                    s.max_message_bytes,
                ),
            )
            for future in [self._pool.submit(worker.ping) for _ in range(s.workers)]:
                future.result()
        return time.perf_counter() - started

    def decide(self, request_bytes: bytes, budget_cap_s: float | None) -> worker.Result:
        if self._inline is not None:
            return self._inline.decide(request_bytes, budget_cap_s)
        assert self._pool is not None
        future = self._pool.submit(
            worker.decide_in_process, request_bytes, budget_cap_s, time.monotonic()
        )
        timeout = None if budget_cap_s is None else budget_cap_s + 5.0
        return future.result(timeout=timeout)

    def validate_rules(self, request_bytes: bytes, timeout_s: float | None) -> worker.Result:
        if self._inline is not None:
            return self._inline.validate_rules(request_bytes)
        assert self._pool is not None
        future = self._pool.submit(worker.validate_rules_in_process, request_bytes)
        return future.result(timeout=timeout_s)

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._inline is not None:
            self._inline.close()


@dataclass(frozen=True, slots=True)
class Running:
    """A started server and what stopping it needs."""

    server: grpc.Server
    port: int
    health: Health
    decider: Decider

    def stop(self, grace_s: float, drain_delay_s: float = 0.0) -> None:
        """Drain: NOT_SERVING, wait for balancers to notice, finish in-flight calls, stop."""
        self.health.set_all(NOT_SERVING)
        if drain_delay_s:
            time.sleep(drain_delay_s)
        self.health.close()
        self.server.stop(grace_s).wait()
        self.decider.stop()


def _finish(
    event: str, result: worker.Result, started: float, context: grpc.ServicerContext
) -> bytes:
    """Log one line for the call and return the payload, or abort with the worker's status."""
    fields = dict(result.log)
    trace = fields.pop("trace", None)
    fields["elapsed_ms"] = round((time.perf_counter() - started) * 1000.0, 3)
    fields["code"] = result.code
    if result.code == worker.OK:
        log.info(event, **fields)
        return result.payload
    if result.code == worker.INTERNAL:
        log.error(event, trace=trace, **fields)
    else:
        log.warning(event, message=result.message, **fields)
    if result.payload:
        status = status_pb2.Status()
        status.ParseFromString(result.payload)
        context.abort_with_status(rpc_status.to_status(status))
    context.abort(_CODES[result.code], result.message)
    raise AssertionError("unreachable")


def _time_left(context: grpc.ServicerContext, settings: Settings) -> float | None:
    """Seconds the call may still use (its deadline less the margins; may be <= 0), None without
    a deadline. No deadline reads as None or as "forever" (about 2**63 ns): both mean no cap.
    The share keeps room for what grows with the work (the answer's bytes, a loaded machine)."""
    remaining = context.time_remaining()
    if remaining is None or remaining > NO_DEADLINE_S:
        return None
    return float(remaining) * (1.0 - settings.deadline_margin_share) - settings.deadline_margin_s


def _validate_rules_handler(
    settings: Settings, decider: Decider
) -> grpc.RpcMethodHandler[bytes, bytes]:
    def validate_rules(request_bytes: bytes, context: grpc.ServicerContext) -> bytes:
        started = time.perf_counter()
        left = _time_left(context, settings)
        timeout = None if left is None else max(left, 0.0)
        try:
            result = decider.validate_rules(request_bytes, timeout)
        except concurrent.futures.TimeoutError:
            result = worker.Result(worker.DEADLINE_EXCEEDED, b"", "deadline passed", ())
        except concurrent.futures.process.BrokenProcessPool:
            result = worker.Result(worker.INTERNAL, b"", "rules worker died", ())
        return _finish("validate_rules", result, started, context)

    return grpc.unary_unary_rpc_method_handler(
        validate_rules,
        request_deserializer=None,  # raw bytes: the worker parses
        response_serializer=None,
    )


def _decide_handler(settings: Settings, decider: Decider) -> grpc.RpcMethodHandler[bytes, bytes]:
    def decide(request_bytes: bytes, context: grpc.ServicerContext) -> bytes:
        started = time.perf_counter()
        try:
            result = decider.decide(request_bytes, _time_left(context, settings))
        except concurrent.futures.TimeoutError:
            result = worker.Result(worker.DEADLINE_EXCEEDED, b"", "deadline passed", ())
        except concurrent.futures.process.BrokenProcessPool:
            result = worker.Result(worker.INTERNAL, b"", "decision worker died", ())
        return _finish("decision", result, started, context)

    return grpc.unary_unary_rpc_method_handler(
        decide,
        request_deserializer=None,  # raw bytes: the worker parses
        response_serializer=None,
    )


def check_rules(settings: Settings) -> None:
    """Before any process starts: the rules directory must validate and pass its test cases,
    and the rate card directory must load.

    Raises
    ------
    rules.store.RulesInvalidError
        With one `file:line: ...` line per problem; there would be nothing good to serve.
    """
    from rules.store import RulesInvalidError

    if settings.rates_dir is not None:
        from rules.rates import load_rates

        rates, issues = load_rates(settings.rates_dir)
        if rates is None:
            raise RulesInvalidError([str(i) for i in issues])
    if settings.rules_dir is None:
        return
    from rules.api import test_dir

    report = test_dir(settings.rules_dir)
    if not report.ok:
        raise RulesInvalidError(report.lines())


def create_server(settings: Settings) -> Running:
    """Build, warm and start a server on settings.address (port 0 picks a free port).

    Raises
    ------
    rules.store.RulesInvalidError
        When the rules directory does not validate or its test cases fail.
    """
    check_rules(settings)
    decider = Decider(settings)
    health = Health((SERVICE_NAME,))
    server = grpc.server(
        concurrent.futures.ThreadPoolExecutor(
            max_workers=settings.threads, thread_name_prefix="grpc"
        ),
        maximum_concurrent_rpcs=settings.max_concurrent_rpcs,
        options=[
            ("grpc.max_receive_message_length", settings.max_message_bytes),
            ("grpc.max_send_message_length", settings.max_message_bytes),
            ("grpc.so_reuseport", 0),
            ("grpc.max_connection_age_ms", int(settings.max_connection_age_s * 1000)),
            ("grpc.max_connection_age_grace_ms", int(settings.grace_s * 1000)),
        ],
    )
    handler = grpc.method_handlers_generic_handler(
        SERVICE_NAME,
        {
            "Decide": _decide_handler(settings, decider),
            "ValidateRules": _validate_rules_handler(settings, decider),
        },
    )
    server.add_generic_rpc_handlers((handler,))
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    reflection.enable_server_reflection(
        (
            SERVICE_NAME,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ),
        server,
    )
    port = server.add_insecure_port(settings.address)
    if port == 0:
        raise RuntimeError(f"could not bind {settings.address}")
    server.start()  # health answers NOT_SERVING while the workers warm up
    warm_s = decider.start()
    health.set_all(SERVING)
    log.info(
        "serving",
        address=settings.address,
        port=port,
        workers=settings.workers,
        rules=str(settings.rules_dir or "builtin"),
        rates=str(settings.rates_dir or "none"),
        warm_up_s=round(warm_s, 3),
    )
    return Running(server=server, port=port, health=health, decider=decider)


def serve(settings: Settings) -> int:
    """Run until SIGTERM or SIGINT, then drain and return 0."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    from rules.store import RulesInvalidError

    try:
        running = create_server(settings)
    except RulesInvalidError as exc:
        log.error(
            "rules_invalid",
            directory=str(settings.rules_dir),
            rates=str(settings.rates_dir),
            errors=exc.lines,
        )
        return 1
    stop.wait()
    log.info("draining", grace_s=settings.grace_s, drain_delay_s=settings.drain_delay_s)
    # If draining hangs anyway, dump every thread's stack and exit rather than hang forever.
    faulthandler.dump_traceback_later(settings.drain_delay_s + settings.grace_s + 5.0, exit=True)
    running.stop(settings.grace_s, settings.drain_delay_s)
    faulthandler.cancel_dump_traceback_later()
    log.info("stopped")
    return 0
