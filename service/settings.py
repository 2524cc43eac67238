"""Server settings: frozen, passed explicitly, read once from flags and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from service.validate import Limits


@dataclass(frozen=True, slots=True)
class Settings:
    """How one server process runs. No mutable globals: everything reads this."""

    address: str = "127.0.0.1:50051"
    rules_dir: Path | None = None  # None = built-in checks
    workers: int = 2  # decision processes; 0 = decide in the server's own threads
    threads: int = 8  # gRPC handler threads
    max_concurrent_rpcs: int = 16  # beyond this, calls are refused with RESOURCE_EXHAUSTED
    max_message_bytes: int = 64 * 1024 * 1024
    drain_delay_s: float = 0.5  # NOT_SERVING this long before refusing new calls
    grace_s: float = 10.0  # in-flight calls get this long to finish
    max_connection_age_s: float = 120.0  # so clients rebalance onto new replicas
    deadline_margin_s: float = 0.05  # solver stops this long before the call's deadline
    log_format: str = "console"  # or "json"
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        if self.workers < 0:
            raise ValueError("Expected workers >= 0")
        if self.threads < 1:
            raise ValueError("Expected threads >= 1")
        if self.max_concurrent_rpcs < 1:
            raise ValueError("Expected max_concurrent_rpcs >= 1")
        if self.max_message_bytes < 1024:
            raise ValueError("Expected max_message_bytes >= 1024")
        if self.drain_delay_s < 0 or self.grace_s < 0:
            raise ValueError("Expected drain_delay_s >= 0 and grace_s >= 0")
        if self.log_format not in ("console", "json"):
            raise ValueError("Expected log_format 'console' or 'json'")

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Defaults, then LASTMILE_* environment variables, then explicit overrides."""
        env: dict[str, object] = {}
        if value := os.environ.get("LASTMILE_ADDRESS"):
            env["address"] = value
        if value := os.environ.get("LASTMILE_RULES_DIR"):
            env["rules_dir"] = Path(value)
        if value := os.environ.get("LASTMILE_WORKERS"):
            env["workers"] = int(value)
        if value := os.environ.get("LASTMILE_LOG_FORMAT"):
            env["log_format"] = value
        env.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**env)  # type: ignore[arg-type]
