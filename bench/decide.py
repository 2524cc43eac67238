"""Decide end to end on generated days: per-stage time, in process and through gRPC.

Sizes 1,000 and 10,000 orders (the sample day's mix, 12 vans); each size is decided `--repeat`
times after one warm-up, and the median is reported. The gRPC column adds serialization, the
loopback hop and the worker process. Then, once each through gRPC as a caller sends them
(explanations asked for, the default 10 s budget, stage times from the answer): the largest
request the default limits take (`--largest`, 50,000 orders, 30 vans) and a big fleet
(`--big-fleet`, 5,000 orders, 500 vans).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from bench import results
from clients.client import Client
from lastmile.v1 import orchestrator_pb2 as pb
from samples.generate import generate_day
from service import response
from service.convert import to_snapshot
from service.server import create_server
from service.settings import Settings
from solver.checks import BuiltinPolicy
from solver.decide import decide


def _in_process(request: pb.DecideRequest) -> dict[str, float]:
    started = time.perf_counter()
    snapshot = to_snapshot(request)
    snapshot_ms = (time.perf_counter() - started) * 1000
    outcome = decide(snapshot, BuiltinPolicy())
    built = time.perf_counter()
    response.build(outcome)
    stages = {"snapshot": snapshot_ms, **dict(outcome.stage_ms)}
    stages["response"] = (time.perf_counter() - built) * 1000
    stages["total"] = (time.perf_counter() - started) * 1000
    return stages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="results/decide.json")
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--largest", type=int, default=50_000, help="orders; 0 to skip")
    parser.add_argument("--big-fleet", type=int, default=500, help="vans; 0 to skip")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    running = create_server(Settings(address="127.0.0.1:0", workers=1))
    rows = []
    try:
        with Client(f"127.0.0.1:{running.port}") as client:
            for n in sizes:
                request = generate_day(seed=11, orders=n, vehicles=12)
                request.options.explain = False
                _in_process(request)
                runs = [_in_process(request) for _ in range(args.repeat)]
                stages = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                client.decide(request, timeout_s=120)
                grpc_ms = []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    answer = client.decide(request, timeout_s=120)
                    grpc_ms.append((time.perf_counter() - started) * 1000)
                rows.append(
                    {
                        "orders": n,
                        "carriers": len(request.carriers),
                        "stage_ms": {k: round(v, 2) for k, v in stages.items()},
                        "grpc_ms": round(statistics.median(grpc_ms), 2),
                        "assigned": answer.summary.assigned,
                        "total_cost_cents": answer.summary.total_cost.cents,
                        "policy": pb.AssignmentPolicy.Name(answer.summary.policy),
                        "baselines": {
                            pb.Baseline.Name(b.baseline): {
                                "cost_cents": b.cost.cents,
                                "assigned": b.assigned,
                                "savings_cents": b.savings.cents,
                                "common_orders": b.common_orders,
                                "common_savings_cents": b.common_savings.cents,
                                "common_savings_pct": round(b.common_savings_pct, 2),
                            }
                            for b in answer.summary.baselines
                        },
                    }
                )
            largest = _once(client, args.largest, 30) if args.largest else None
            big_fleet = _once(client, 5_000, args.big_fleet) if args.big_fleet else None
    finally:
        running.stop(grace_s=1.0)
    results.write(args.out, "decide", {"rows": rows, "largest": largest, "big_fleet": big_fleet})
    stage_names = sorted({k for row in rows for k in row["stage_ms"]})  # type: ignore[attr-defined]
    print(f"{'orders':>7} {'gRPC ms':>9} " + " ".join(f"{s:>18}" for s in stage_names))
    for row in rows:
        cells = " ".join(f"{row['stage_ms'].get(s, 0):>18.1f}" for s in stage_names)  # type: ignore[attr-defined]
        print(f"{row['orders']:>7} {row['grpc_ms']:>9.1f} {cells}")
    for row in rows:
        against = "; ".join(
            f"{name.removeprefix('BASELINE_')} {b['assigned']} orders, savings "
            f"{b['savings_cents'] / 100:,.2f}, on the {b['common_orders']:,} both deliver "
            f"{b['common_savings_cents'] / 100:,.2f} ({b['common_savings_pct']:.1f}%)"
            for name, b in row["baselines"].items()  # type: ignore[attr-defined]
        )
        print(f"{row['orders']:>7} orders: {row['assigned']} assigned; vs {against}")
    for name, once in (("largest", largest), ("big fleet", big_fleet)):
        if once is None:
            continue
        parts = ", ".join(f"{k} {v / 1000:.2f} s" for k, v in once["stage_ms"].items())
        print(
            f"{name}: {once['orders']:,} orders, {once['vans']} vans through gRPC in "
            f"{once['grpc_s']:.2f} s: {once['assigned']:,} assigned, {once['routes']} routes "
            f"({once['answer_bytes']:,} bytes, explanations omitted: "
            f"{once['explanations_omitted']}); {parts}"
        )
    return 0


def _once(client: Client, orders: int, vans: int) -> dict[str, Any]:
    """One request as a caller sends it (explanations on, default budget)."""
    request = generate_day(seed=3, orders=orders, vehicles=vans)
    started = time.perf_counter()
    answer = client.decide(request, timeout_s=120)
    grpc_s = time.perf_counter() - started
    stage_ms = dict(answer.summary.stage_ms)
    outside = ("snapshot", "response")
    return {
        "orders": orders,
        "vans": vans,
        "grpc_s": round(grpc_s, 3),
        "assigned": answer.summary.assigned,
        "routes": len(answer.routes),
        "total_cost_cents": answer.summary.total_cost.cents,
        "answer_bytes": answer.ByteSize(),
        "explanations_omitted": answer.summary.explanations_omitted,
        "stage_ms": {k: round(stage_ms[k], 1) for k in outside if k in stage_ms}
        | {"decide": round(sum(v for k, v in stage_ms.items() if k not in outside), 1)},
    }


if __name__ == "__main__":
    raise SystemExit(main())
