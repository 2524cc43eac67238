"""Server settings: frozen, passed explicitly, read once from flags and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from rules.rates import BUNDLED_RATES_DIR
from service.validate import Limits

BUILTIN_RULES = "builtin"  # LASTMILE_RULES_DIR / --rules value that selects the built-in checks
# The rule set bundled with the package (rules/tables), found next to the `rules` package.
BUNDLED_RULES_DIR = Path(__file__).resolve().parents[1] / "rules" / "tables"
NO_RATES = "none"  # LASTMILE_RATES_DIR value: no rate files, only the request's rate_cards


def rules_dir_from(text: str) -> Path | None:
    """`builtin` (any case) = the built-in checks (None); anything else is a rules directory."""
    value = text.strip()
    if not value:
        raise ValueError("Expected a rules directory or 'builtin'")
    return None if value.lower() == BUILTIN_RULES else Path(value)


def rates_dir_from(text: str) -> Path | None:
    """`none` (any case) = no rate files (None); anything else is a rate card directory."""
    value = text.strip()
    if not value:
        raise ValueError("Expected a rate card directory or 'none'")
    return None if value.lower() == NO_RATES else Path(value)


@dataclass(frozen=True, slots=True)
class Settings:
    """How one server process runs. No mutable globals: everything reads this."""

    address: str = "127.0.0.1:50051"
    rules_dir: Path | None = BUNDLED_RULES_DIR  # None = built-in checks (solver/checks.py)
    rules_poll_s: float = 1.0  # how often each worker looks for rule (and rate) edits; 0 = never
    rates_dir: Path | None = BUNDLED_RATES_DIR  # rate card files; None = the request's only
    workers: int = 2  # decision processes; 0 = decide in the server's own threads
    threads: int = 8  # gRPC handler threads
    max_concurrent_rpcs: int = 16  # beyond this, calls are refused with RESOURCE_EXHAUSTED
    max_message_bytes: int = 64 * 1024 * 1024
    drain_delay_s: float = 0.5  # NOT_SERVING this long before refusing new calls
    grace_s: float = 20.0  # in-flight calls get this long to finish: above the 10 s default budget
    max_connection_age_s: float = 120.0  # so clients rebalance onto new replicas
    deadline_margin_s: float = 0.05  # solver stops this long before the call's deadline,
    deadline_margin_share: float = 0.05  # and this share of the time left earlier still
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
        if self.deadline_margin_s < 0 or not 0 <= self.deadline_margin_share < 1:
            raise ValueError("Expected deadline_margin_s >= 0 and 0 <= deadline_margin_share < 1")
        if self.rules_poll_s < 0:
            raise ValueError("Expected rules_poll_s >= 0")
        if self.log_format not in ("console", "json"):
            raise ValueError("Expected log_format 'console' or 'json'")

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Defaults, then LASTMILE_* environment variables, then explicit overrides.

        `rules` (a str override, like LASTMILE_RULES_DIR) is a directory or `builtin`;
        `rates` (like LASTMILE_RATES_DIR) a directory or `none`; an override that is None
        keeps what the environment or the default says.
        """
        env: dict[str, object] = {}
        if value := os.environ.get("LASTMILE_ADDRESS"):
            env["address"] = value
        if value := os.environ.get("LASTMILE_RULES_DIR"):
            env["rules_dir"] = rules_dir_from(value)
        if value := os.environ.get("LASTMILE_RATES_DIR"):
            env["rates_dir"] = rates_dir_from(value)
        if value := os.environ.get("LASTMILE_RULES_POLL_S"):
            env["rules_poll_s"] = float(value)
        if value := os.environ.get("LASTMILE_WORKERS"):
            env["workers"] = int(value)
        if value := os.environ.get("LASTMILE_LOG_FORMAT"):
            env["log_format"] = value
        rules = overrides.pop("rules", None)
        if isinstance(rules, str):
            env["rules_dir"] = rules_dir_from(rules)
        rates = overrides.pop("rates", None)
        if isinstance(rates, str):
            env["rates_dir"] = rates_dir_from(rates)
        env.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**env)  # type: ignore[arg-type]
