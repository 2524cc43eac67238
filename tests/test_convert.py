"""Proto to snapshot: one pass, read-only arrays, the request's own clock and zone."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from service.convert import to_snapshot

if TYPE_CHECKING:
    from lastmile.v1 import orchestrator_pb2 as pb


def test_sample_snapshot_shapes(sample_request: pb.DecideRequest) -> None:
    """Counts, index maps and ragged windows match the request."""
    snap = to_snapshot(sample_request)
    assert snap.orders.count == len(sample_request.orders)
    assert snap.carriers.count == len(sample_request.carriers)
    assert snap.fleet.count == len(sample_request.vehicles)
    assert snap.slots.count == len(sample_request.capacity)
    offsets = snap.orders.window_offsets
    assert offsets[0] == 0 and offsets[-1] == snap.orders.window_start_ts.size
    # One row per promised window; a deadline has none (deadline_ts says so).
    windows = [len(o.promise.windows) for o in sample_request.orders]
    assert np.diff(offsets).tolist() == windows and 0 in windows
    assert ((snap.orders.deadline_ts >= 0) == (np.array(windows) == 0)).all()
    assert np.all(snap.orders.window_end_ts > snap.orders.window_start_ts)
    assert np.all(snap.orders.promise_end_ts > snap.orders.promise_start_ts)
    assert snap.now_ts == sample_request.now.seconds


def test_sample_snapshot_values(sample_request: pb.DecideRequest) -> None:
    """Weights sum parcels x count; tags become bits; zones index the vocabulary."""
    snap = to_snapshot(sample_request)
    for i in (0, 17, 123):
        order = sample_request.orders[i]
        kg = sum(p.weight_kg * (p.count or 1) for p in order.parcels)
        assert snap.orders.weight_kg[i] == pytest.approx(kg)
        tags = {t for t in snap.tag_names if int(snap.orders.tag_bits[i]) & snap.tag_bit(t)}
        assert tags == set(order.tags)
        assert snap.zone_ids[snap.orders.zone_idx[i]] == order.destination.zone_id


def test_local_midnight_in_the_request_timezone(sample_request: pb.DecideRequest) -> None:
    """The local day starts at midnight Europe/Berlin (UTC+1 in November)."""
    snap = to_snapshot(sample_request)
    assert snap.utc_offset_s == 3600
    assert (snap.local_midnight_ts + snap.utc_offset_s) % 86_400 == 0
    assert 0 <= snap.now_ts - snap.local_midnight_ts < 86_400


def test_snapshot_arrays_are_read_only(sample_request: pb.DecideRequest) -> None:
    """No stage can change another stage's input."""
    snap = to_snapshot(sample_request)
    with pytest.raises(ValueError, match="read-only"):
        snap.orders.weight_kg[0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        snap.carriers.serves_zone[0, 0] = True
