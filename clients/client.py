"""A typed Python client for lastmile.v1.Orchestrator.

Every call has a deadline; errors come back as `OrchestratorError` with the gRPC code and, for
INVALID_ARGUMENT, the field violations (path and description) the server reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import grpc
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from lastmile.v1 import orchestrator_pb2, orchestrator_pb2_grpc

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from types import TracebackType

SERVICE = "lastmile.v1.Orchestrator"

# Retries on UNAVAILABLE (a replica restarting) with backoff; a generous throttle so a burst's
# retries are not cut off (shared/notes/grpc-production.md).
SERVICE_CONFIG = {
    "methodConfig": [
        {
            "name": [{"service": SERVICE}],
            "timeout": "30s",
            "retryPolicy": {
                "maxAttempts": 4,
                "initialBackoff": "0.05s",
                "maxBackoff": "0.5s",
                "backoffMultiplier": 2,
                "retryableStatusCodes": ["UNAVAILABLE"],
            },
        }
    ],
    "retryThrottling": {"maxTokens": 100, "tokenRatio": 0.1},
}


@dataclass(frozen=True, slots=True)
class FieldViolation:
    field: str
    description: str


class OrchestratorError(Exception):
    """A failed call: gRPC code, message and any field violations."""

    def __init__(
        self, code: grpc.StatusCode, message: str, violations: tuple[FieldViolation, ...] = ()
    ) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.violations = violations


def _error(error: grpc.RpcError) -> OrchestratorError:
    call: grpc.Call = error  # type: ignore[assignment]
    violations: list[FieldViolation] = []
    status = rpc_status.from_call(call)
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                violations.extend(
                    FieldViolation(v.field, v.description) for v in bad.field_violations
                )
    return OrchestratorError(call.code(), call.details() or "", tuple(violations))


class Client:
    """Connects to one address (or a `ipv4:a,b` list, balanced round robin)."""

    def __init__(self, address: str, *, max_message_bytes: int = 64 * 1024 * 1024) -> None:
        options: list[tuple[str, object]] = [
            ("grpc.service_config", json.dumps(SERVICE_CONFIG)),
            ("grpc.enable_retries", 1),
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
        ]
        if "," in address:
            options.append(("grpc.lb_policy_name", "round_robin"))
        self._channel = grpc.insecure_channel(address, options=options)
        self._stub = orchestrator_pb2_grpc.OrchestratorStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Block until the channel connects (not until the service is SERVING)."""
        grpc.channel_ready_future(self._channel).result(timeout=timeout_s)

    def decide(
        self, request: orchestrator_pb2.DecideRequest, *, timeout_s: float = 30.0
    ) -> orchestrator_pb2.DecideResponse:
        """Decide one snapshot.

        Raises
        ------
        OrchestratorError
            With the gRPC code; INVALID_ARGUMENT carries the field violations.
        """
        try:
            response: orchestrator_pb2.DecideResponse = self._stub.Decide(
                request, timeout=timeout_s
            )
        except grpc.RpcError as error:
            raise _error(error) from None
        return response

    def validate_rules(
        self, files: Mapping[str, str] | None = None, *, timeout_s: float = 30.0
    ) -> orchestrator_pb2.ValidateRulesResponse:
        """Validate rule files on the server and run their test cases; deploys nothing.

        Parameters
        ----------
        files
            {file name: YAML text}, the complete set (schema and every table); names appear
            in the messages as given. None or empty: report on the rules the server is
            serving (`serving_version` and the problems of its last rejected reload).

        Raises
        ------
        OrchestratorError
            With the gRPC code; INVALID_ARGUMENT carries the field violations.
        """
        request = orchestrator_pb2.ValidateRulesRequest(
            files=[
                orchestrator_pb2.RuleFile(name=name, content=text)
                for name, text in sorted((files or {}).items())
            ]
        )
        try:
            response: orchestrator_pb2.ValidateRulesResponse = self._stub.ValidateRules(
                request, timeout=timeout_s
            )
        except grpc.RpcError as error:
            raise _error(error) from None
        return response

    def health(self, service: str = "", *, timeout_s: float = 5.0) -> str:
        """SERVING, NOT_SERVING or SERVICE_UNKNOWN."""
        try:
            answer = self._health.Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout_s
            )
        except grpc.RpcError as error:
            raise _error(error) from None
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status))


def load_request(path: Path) -> orchestrator_pb2.DecideRequest:
    """A DecideRequest from protobuf JSON (the format grpcurl and the samples use)."""
    request = orchestrator_pb2.DecideRequest()
    json_format.Parse(path.read_text(encoding="utf-8"), request)
    return request
