"""Built-in eligibility against a plain per-pair reference on the sample day."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from service.convert import to_snapshot
from solver.checks import BuiltinPolicy
from solver.domain import Capability, CarrierKind, Reason, Requirement, ServiceLevel, bit

if TYPE_CHECKING:
    from lastmile.v1 import orchestrator_pb2 as pb


def _reference_reason(snap, requirement_bits: int, i: int, c: int) -> Reason:  # type: ignore[no-untyped-def]
    """Plain Python: the first failing check, in the documented order."""
    o, k = snap.orders, snap.carriers
    zone = int(o.zone_idx[i])
    if not (k.serves_all_zones[c] or (zone >= 0 and k.serves_zone[c, zone])):
        return Reason.ZONE_NOT_SERVED
    if o.weight_kg[i] > k.max_weight_kg[c]:
        return Reason.OVER_WEIGHT_LIMIT
    if o.volume_l[i] > k.max_volume_l[c]:
        return Reason.OVER_VOLUME_LIMIT
    if o.max_length_cm[i] > k.max_length_cm[c] or o.parcel_count[i] > k.max_parcels[c]:
        return Reason.OVER_SIZE_LIMIT
    needed = 0
    for req, cap in (
        (Requirement.AGE_VERIFICATION, Capability.AGE_VERIFICATION),
        (Requirement.ID_CHECK, Capability.AGE_VERIFICATION),
        (Requirement.COLD_CHAIN, Capability.COLD_CHAIN),
        (Requirement.TWO_PERSON, Capability.TWO_PERSON),
        (Requirement.SIGNATURE_POD, Capability.SIGNATURE_POD),
        (Requirement.PHOTO_POD, Capability.PHOTO_POD),
        (Requirement.HAZMAT_CERT, Capability.HAZMAT),
    ):
        if requirement_bits & bit(req):
            needed |= bit(cap)
    if needed & ~int(k.capability_bits[c]):
        return Reason.MISSING_CAPABILITY
    age = bit(Requirement.AGE_VERIFICATION) | bit(Requirement.ID_CHECK)
    if requirement_bits & age and k.kind[c] == CarrierKind.GIG:
        return Reason.CARRIER_KIND_EXCLUDED
    low = k.emissions_g_per_km[c] <= 100 or int(k.capability_bits[c]) & bit(Capability.EV)
    if o.green[i] and not low:
        return Reason.NOT_LOW_EMISSION
    return Reason.OK


def test_builtin_matches_plain_reference(sample_request: pb.DecideRequest) -> None:
    """Every order x carrier reason equals the per-pair reference."""
    snap = to_snapshot(sample_request)
    result = BuiltinPolicy().evaluate(snap)
    for i in range(snap.orders.count):
        for c in range(snap.carriers.count):
            expected = _reference_reason(snap, int(result.requirement_bits[i]), i, c)
            assert result.reason[i, c] == expected, (snap.orders.ids[i], snap.carriers.ids[c])
            assert (result.source[i, c] >= 0) == (expected != Reason.OK)


def test_regulated_goods_never_go_to_gig(sample_request: pb.DecideRequest) -> None:
    """Age-checked orders exclude the gig platform, and say why."""
    snap = to_snapshot(sample_request)
    result = BuiltinPolicy().evaluate(snap)
    gig = np.flatnonzero(snap.carriers.kind == CarrierKind.GIG)
    alcohol = (snap.orders.tag_bits & np.uint64(snap.tag_bit("alcohol"))) != 0
    assert alcohol.any() and gig.size
    assert np.all(result.reason[np.ix_(alcohol, gig)] != Reason.OK)
    assert np.all(result.service_level[alcohol] != ServiceLevel.STANDARD)
    has_age = (result.requirement_bits[alcohol] & bit(Requirement.AGE_VERIFICATION)) != 0
    assert has_age.all()


def test_every_order_is_explained(sample_request: pb.DecideRequest) -> None:
    """Each order has a service-level note naming its source check."""
    snap = to_snapshot(sample_request)
    result = BuiltinPolicy().evaluate(snap)
    assert len(result.notes) == snap.orders.count
    assert all(notes[0].stage == "service_level" for notes in result.notes)
