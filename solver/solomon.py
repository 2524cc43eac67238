"""Solomon / Gehring-Homberger VRPTW reader, shared by the routing tests and the benchmark.

Distances follow the DIMACS convention of ``bks.csv`` (``distance_dimacs_trunc1``): every arc is
``floor(10 * euclid)`` as an integer and travel time equals distance, so times and windows are
scaled by 10 as well. Computing the truncation with integer square roots keeps it exact.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from solver.routing import RoutingProblem

I64 = npt.NDArray[np.int64]

#: Directory of the shared instance files; ``LASTMILE_SOLOMON_DIR`` overrides it.
DEFAULT_SOLOMON_DIR = Path(__file__).resolve().parents[1].parent / "shared/benchmarks/solomon"
DIMACS_CONVENTION = "distance_dimacs_trunc1"


@dataclass(frozen=True, slots=True)
class SolomonInstance:
    """One instance as read from the text file (row 0 is the depot, in original units)."""

    name: str
    num_vehicles: int
    capacity: int
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    demand: I64
    ready: I64
    due: I64
    service: I64

    @property
    def num_customers(self) -> int:
        """Customers, i.e. rows without the depot."""
        return int(self.x.shape[0]) - 1


@dataclass(frozen=True, slots=True)
class BestKnown:
    """A best-known solution from ``bks.csv`` (distance in original units, one decimal)."""

    vehicles: int
    distance: float


def solomon_dir() -> Path:
    """Return the instance directory, honouring ``LASTMILE_SOLOMON_DIR``."""
    override = os.environ.get("LASTMILE_SOLOMON_DIR")
    return Path(override) if override else DEFAULT_SOLOMON_DIR


def instance_path(name: str, directory: Path | None = None) -> Path:
    """Return the file of instance ``name`` (GH 200 instances live in ``gh200/``)."""
    base = directory if directory is not None else solomon_dir()
    flat = base / f"{name}.txt"
    return flat if flat.exists() else base / "gh200" / f"{name}.txt"


def read_solomon(path: Path) -> SolomonInstance:
    """Parse a Solomon-format text file.

    Parameters
    ----------
    path
        File in the original Solomon layout (CRLF line endings are fine).

    Returns
    -------
    SolomonInstance
        Parsed instance, depot in row 0.

    Raises
    ------
    ValueError
        If the file does not have the expected sections.
    """
    lines = [ln.split() for ln in path.read_text().splitlines()]
    lines = [ln for ln in lines if ln]
    name = lines[0][0]
    try:
        v_at = next(i for i, ln in enumerate(lines) if ln[0].upper() == "VEHICLE")
        c_at = next(i for i, ln in enumerate(lines) if ln[0].upper() == "CUSTOMER")
    except StopIteration as exc:
        raise ValueError(f"Expected VEHICLE and CUSTOMER sections in {path}") from exc
    num_vehicles, capacity = int(lines[v_at + 2][0]), int(lines[v_at + 2][1])
    rows = [ln for ln in lines[c_at + 1 :] if ln[0].isdigit()]
    table = np.array([[float(v) for v in ln[:7]] for ln in rows], dtype=np.float64)
    if table.shape[0] < 2 or table[0, 0] != 0:
        raise ValueError(f"Expected the depot as customer 0 followed by customers in {path}")
    return SolomonInstance(
        name=name,
        num_vehicles=num_vehicles,
        capacity=capacity,
        x=table[:, 1].copy(),
        y=table[:, 2].copy(),
        demand=table[:, 3].astype(np.int64),
        ready=table[:, 4].astype(np.int64),
        due=table[:, 5].astype(np.int64),
        service=table[:, 6].astype(np.int64),
    )


def dimacs_distances(inst: SolomonInstance) -> I64:
    """Return ``floor(10 * euclid)`` for every pair, exact for integer coordinates."""
    dx = inst.x[:, None] - inst.x[None, :]
    dy = inst.y[:, None] - inst.y[None, :]
    if np.all(inst.x == np.round(inst.x)) and np.all(inst.y == np.round(inst.y)):
        sq = (100 * (dx * dx + dy * dy)).astype(np.int64)
        root = np.floor(np.sqrt(sq.astype(np.float64))).astype(np.int64)
        root -= (root * root > sq).astype(np.int64)  # float sqrt may overshoot by one
        root += ((root + 1) * (root + 1) <= sq).astype(np.int64)
        return root
    return np.floor(10.0 * np.hypot(dx, dy)).astype(np.int64)


def to_routing_problem(inst: SolomonInstance, num_customers: int | None = None) -> RoutingProblem:
    """Build a pure-distance :class:`RoutingProblem` (cost in cents == DIMACS distance).

    ``cost_per_km = 1000`` makes the per-metre cost 1, so the objective equals the summed
    truncated distances; every customer is mandatory and the fleet is the header fleet.

    Parameters
    ----------
    inst
        Parsed instance.
    num_customers
        Keep only the first ``num_customers`` customers (for small tests); all by default.

    Returns
    -------
    RoutingProblem
        Locations are the file rows (0 = depot), orders are customers 1..n.
    """
    n = inst.num_customers if num_customers is None else min(num_customers, inst.num_customers)
    keep = np.arange(n + 1)
    dist = dimacs_distances(inst)[np.ix_(keep, keep)]
    v = inst.num_vehicles
    horizon = int(inst.due[0]) * 10
    zeros_v = np.zeros(v, dtype=np.int64)
    return RoutingProblem(
        travel_s=dist,
        distance_m=dist.copy(),
        vehicle_start_loc=zeros_v.copy(),
        vehicle_end_loc=zeros_v.copy(),
        shift_start_s=np.full(v, int(inst.ready[0]) * 10, dtype=np.int64),
        shift_end_s=np.full(v, horizon, dtype=np.int64),
        vehicle_capacity=np.full((v, 1), inst.capacity, dtype=np.int64),
        vehicle_skills=np.zeros(v, dtype=np.uint64),
        fixed_cost=zeros_v.copy(),
        cost_per_km=np.full(v, 1000, dtype=np.int64),
        cost_per_hour=zeros_v.copy(),
        max_duration_s=zeros_v.copy(),
        break_start_s=np.full(v, -1, dtype=np.int64),
        break_end_s=np.full(v, -1, dtype=np.int64),
        break_duration_s=zeros_v.copy(),
        order_loc=np.arange(1, n + 1, dtype=np.int64),
        order_demand=inst.demand[1 : n + 1].reshape(n, 1).copy(),
        service_s=inst.service[1 : n + 1] * 10,
        window_offsets=np.arange(n + 1, dtype=np.int64),
        window_start_s=inst.ready[1 : n + 1] * 10,
        window_end_s=inst.due[1 : n + 1] * 10,
        required_skills=np.zeros(n, dtype=np.uint64),
        max_ride_s=np.zeros(n, dtype=np.int64),
        outsource_cost=np.full(n, -1, dtype=np.int64),
        lateness_cost_per_min=0,
    )


def read_bks(
    directory: Path | None = None, convention: str = DIMACS_CONVENTION
) -> dict[str, BestKnown]:
    """Read ``bks.csv`` rows of one objective convention.

    Parameters
    ----------
    directory
        Instance directory; :func:`solomon_dir` by default.
    convention
        Value of the ``objective_convention`` column to keep.

    Returns
    -------
    dict[str, BestKnown]
        Best-known solution per instance name.
    """
    base = directory if directory is not None else solomon_dir()
    out: dict[str, BestKnown] = {}
    with (base / "bks.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["objective_convention"] == convention:
                out[row["instance"]] = BestKnown(int(row["vehicles"]), float(row["distance"]))
    return out


def gap_pct(found_dimacs: int, bks: BestKnown) -> float:
    """Gap in percent of a DIMACS integer distance (tenths) against a best-known distance."""
    best_tenths = round(bks.distance * 10)
    return 100.0 * (found_dimacs - best_tenths) / best_tenths
