"""What every benchmark writes: its results as JSON with the machine they were measured on."""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path


def machine() -> dict[str, object]:
    """Where and under what load the numbers were taken (a shared box's load moves them)."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "load1_end": os.getloadavg()[0],
    }


def write(out: str | Path, benchmark: str, result: dict[str, object]) -> Path:
    """`result` under `out` (folders made), stamped with the benchmark, time and machine."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    stamped = {
        "benchmark": benchmark,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **result,
    }
    path.write_text(json.dumps(stamped, indent=1) + "\n")
    return path
