"""`make bench`: every benchmark, each writing JSON under the results folder and a short table.

Each benchmark runs in its own process (clean JIT and allocator state), one after the other so
they never share the two cores. `--only decide,pricing` runs a subset (routing, the long one,
takes about 45 minutes: 62 instances x 2 budgets, our router and OR-Tools GLS, and VROOM).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

# (module, extra args); routing is last: it is the long one (all Solomon instances).
BENCHMARKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bench.decide", ()),
    ("bench.pricing", ()),
    ("bench.rules", ()),
    ("bench.fleet", ()),
    ("bench.routing", ()),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="results", help="folder for the JSON results")
    parser.add_argument("--only", default="", help="comma-separated names, e.g. decide,pricing")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    only = {name for name in args.only.split(",") if name}
    failed = []
    for module, extra in BENCHMARKS:
        name = module.rsplit(".", 1)[1]
        if only and name not in only:
            continue
        if importlib.util.find_spec(module) is None:
            print(f"== {name}: not present, skipped", flush=True)
            continue
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        command = [sys.executable, "-m", module, "--out", str(out / f"{name}.json"), *extra]
        code = subprocess.call(command)
        print(f"== {name}: exit {code} in {time.perf_counter() - started:.1f} s\n", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
