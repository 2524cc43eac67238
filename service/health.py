"""grpc.health.v1 that cannot deadlock during drain.

The stock servicer sends Watch updates while holding a lock the server needs at shutdown
(shared/notes/grpc-production.md: hung in 12 of 14 trials). Here updates go to per-watcher queues
under the lock and are sent from the watcher's own thread, outside it.
"""

from __future__ import annotations

import queue
import threading
from typing import TYPE_CHECKING

from grpc_health.v1 import health_pb2, health_pb2_grpc

if TYPE_CHECKING:
    from collections.abc import Iterator

    import grpc

Status = health_pb2.HealthCheckResponse.ServingStatus
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVICE_UNKNOWN = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN


class Health(health_pb2_grpc.HealthServicer):  # type: ignore[misc]
    """Health per service name; "" is the whole server."""

    def __init__(self, services: tuple[str, ...]) -> None:
        self._lock = threading.Lock()
        self._status: dict[str, int] = {name: NOT_SERVING for name in ("", *services)}
        self._watchers: dict[str, list[queue.SimpleQueue[int]]] = {}
        self._closed = threading.Event()

    def set(self, service: str, status: int) -> None:
        with self._lock:
            self._status[service] = status
            for q in self._watchers.get(service, ()):
                q.put(status)

    def set_all(self, status: int) -> None:
        with self._lock:
            names = list(self._status)
        for name in names:
            self.set(name, status)

    def close(self) -> None:
        """End every Watch stream, so draining never waits on a watcher."""
        self._closed.set()

    def status(self, service: str = "") -> int:
        with self._lock:
            status: int = self._status.get(service, SERVICE_UNKNOWN)
        return status

    def Check(
        self, request: health_pb2.HealthCheckRequest, context: grpc.ServicerContext
    ) -> health_pb2.HealthCheckResponse:
        with self._lock:
            status = self._status.get(request.service)
        if status is None:
            import grpc

            context.abort(grpc.StatusCode.NOT_FOUND, f"unknown service {request.service!r}")
        return health_pb2.HealthCheckResponse(status=status)

    def Watch(
        self, request: health_pb2.HealthCheckRequest, context: grpc.ServicerContext
    ) -> Iterator[health_pb2.HealthCheckResponse]:
        updates: queue.SimpleQueue[int] = queue.SimpleQueue()
        with self._lock:
            updates.put(self._status.get(request.service, SERVICE_UNKNOWN))
            self._watchers.setdefault(request.service, []).append(updates)
        try:
            last = None
            while context.is_active() and not self._closed.is_set():
                try:
                    status = updates.get(timeout=0.2)
                except queue.Empty:
                    continue
                if status != last:
                    last = status
                    yield health_pb2.HealthCheckResponse(status=status)
        finally:
            with self._lock:
                self._watchers[request.service].remove(updates)
