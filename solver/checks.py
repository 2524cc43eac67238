"""Built-in eligibility: fixed checks on capabilities, zones and limits.

The fallback policy when no rule files are configured, and the reference the rule files were
first written against. Columnar: every check is a numpy expression over orders x carriers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from solver.domain import (
    CAPABILITY_FOR_REQUIREMENT,
    Capability,
    CarrierKind,
    Reason,
    Requirement,
    ServiceLevel,
    bit,
)
from solver.eligibility import Eligibility, Note

if TYPE_CHECKING:
    from solver.snapshot import Snapshot

DAY_S = 86_400
BULKY_KG = 30.0
BULKY_CM = 150.0
LOW_EMISSION_G_PER_KM = 100.0
FROZEN_RIDE_S = 90 * 60
CHILLED_RIDE_S = 180 * 60

# (source, message) of each exclusion check, in the order they are applied: the first failing
# check names the reason of a pair.
_CHECKS: tuple[tuple[Reason, str, str], ...] = (
    (Reason.ZONE_NOT_SERVED, "check:zone", "does not serve the delivery zone"),
    (Reason.OVER_WEIGHT_LIMIT, "check:max_weight", "order weight is over the carrier's limit"),
    (Reason.OVER_VOLUME_LIMIT, "check:max_volume", "order volume is over the carrier's limit"),
    (Reason.OVER_SIZE_LIMIT, "check:max_size", "a parcel or the parcel count is over the limit"),
    (Reason.MISSING_CAPABILITY, "check:capabilities", "cannot meet a handling requirement"),
    (Reason.CARRIER_KIND_EXCLUDED, "check:gig_regulated", "gig couriers cannot check age or ID"),
    (Reason.NOT_LOW_EMISSION, "check:green", "green order, carrier is not low-emission"),
)


class BuiltinPolicy:
    """Service levels, requirements and eligibility from fixed checks."""

    version = "builtin-1"

    def evaluate(self, snapshot: Snapshot) -> Eligibility:
        orders, carriers = snapshot.orders, snapshot.carriers
        tags = orders.tag_bits

        def has(*names: str) -> np.ndarray:
            mask = 0
            for name in names:
                mask |= snapshot.tag_bit(name)
            found: np.ndarray = (tags & np.uint64(mask)) != 0
            return found

        bulky = (
            has("furniture") | (orders.weight_kg >= BULKY_KG) | (orders.max_length_cm >= BULKY_CM)
        )
        regulated = has("alcohol", "tobacco", "pharma", "hazmat")
        day_end = snapshot.next_midnight_ts
        same_day = orders.promise_end_ts <= day_end
        next_day = orders.promise_end_ts <= snapshot.clock.next_midnight(snapshot.now_ts, 1)
        windowed = (orders.deadline_ts < 0) & (
            orders.promise_end_ts - orders.promise_start_ts < DAY_S
        )
        level_rows: tuple[tuple[np.ndarray, ServiceLevel, str], ...] = (
            (has("b2b"), ServiceLevel.REPLENISHMENT, "b2b order: store replenishment"),
            (regulated, ServiceLevel.REGULATED, "regulated goods"),
            (bulky, ServiceLevel.BULKY, f"furniture, >= {BULKY_KG:g} kg or >= {BULKY_CM:g} cm"),
            (same_day, ServiceLevel.SAME_DAY, "promise ends today"),
            (windowed, ServiceLevel.SCHEDULED_WINDOW, "promise is a delivery window"),
            (next_day, ServiceLevel.NEXT_DAY, "promise ends tomorrow"),
            (orders.green, ServiceLevel.GREEN, "customer asked for green delivery"),
        )
        level = np.full(orders.count, int(ServiceLevel.STANDARD), dtype=np.int64)
        level_row = np.full(orders.count, -1, dtype=np.int64)
        for r in range(len(level_rows) - 1, -1, -1):  # first match wins
            mask, value, _ = level_rows[r]
            level[mask] = value
            level_row[mask] = r

        requirement_rows: tuple[tuple[np.ndarray, Requirement, str], ...] = (
            (has("alcohol", "tobacco"), Requirement.AGE_VERIFICATION, "age-restricted goods"),
            (has("pharma"), Requirement.ID_CHECK, "pharmacy goods: ID check at the door"),
            (has("frozen", "chilled"), Requirement.COLD_CHAIN, "frozen or chilled goods"),
            (bulky, Requirement.TWO_PERSON, "bulky: two-person delivery"),
            (has("hazmat"), Requirement.HAZMAT_CERT, "hazardous materials"),
            (
                has("high_value", "alcohol") | orders.signature_wanted,
                Requirement.SIGNATURE_POD,
                "high value, alcohol or customer asked to sign",
            ),
            (orders.contactless, Requirement.PHOTO_POD, "contactless: photo proof"),
        )
        requirement_bits = np.zeros(orders.count, dtype=np.int64)
        for mask, requirement, _ in requirement_rows:
            requirement_bits[mask] |= bit(requirement)
        max_ride = np.full(orders.count, -1, dtype=np.int64)
        max_ride[has("chilled")] = CHILLED_RIDE_S
        max_ride[has("frozen")] = FROZEN_RIDE_S

        reason, source = self._exclusions(snapshot, requirement_bits)
        notes = tuple(
            self._notes(i, level_rows, level_row[i], requirement_rows) for i in range(orders.count)
        )
        del carriers
        return Eligibility(
            service_level=level,
            requirement_bits=requirement_bits,
            reason=reason,
            source=source,
            sources=tuple(check for _, check, _ in _CHECKS),
            messages=tuple(message for _, _, message in _CHECKS),
            notes=notes,
            max_ride_s=max_ride,
            version=self.version,
        )

    @staticmethod
    def _exclusions(snapshot: Snapshot, requirement_bits: np.ndarray) -> tuple[np.ndarray, ...]:
        orders, carriers = snapshot.orders, snapshot.carriers
        n, c = orders.count, carriers.count
        needed = np.zeros(n, dtype=np.uint64)
        for requirement, capability in CAPABILITY_FOR_REQUIREMENT.items():
            needed[(requirement_bits & bit(requirement)) != 0] |= np.uint64(bit(capability))
        zone = orders.zone_idx[:, None]
        if carriers.serves_zone.shape[1]:
            in_zone = carriers.serves_zone[:, np.maximum(orders.zone_idx, 0)].T & (zone >= 0)
        else:
            in_zone = np.zeros((n, c), dtype=np.bool_)
        age_or_id = bit(Requirement.AGE_VERIFICATION) | bit(Requirement.ID_CHECK)
        low_emission = (carriers.emissions_g_per_km <= LOW_EMISSION_G_PER_KM) | (
            (carriers.capability_bits & np.uint64(bit(Capability.EV))) != 0
        )
        failing = (
            ~(in_zone | carriers.serves_all_zones[None, :]),
            orders.weight_kg[:, None] > carriers.max_weight_kg[None, :],
            orders.volume_l[:, None] > carriers.max_volume_l[None, :],
            (orders.max_length_cm[:, None] > carriers.max_length_cm[None, :])
            | (orders.parcel_count[:, None] > carriers.max_parcels[None, :]),
            (needed[:, None] & ~carriers.capability_bits[None, :]) != 0,
            ((requirement_bits & age_or_id) != 0)[:, None]
            & (carriers.kind == CarrierKind.GIG)[None, :],
            orders.green[:, None] & ~low_emission[None, :],
        )
        reason = np.zeros((n, c), dtype=np.int64)
        source = np.full((n, c), -1, dtype=np.int64)
        for k in range(len(_CHECKS) - 1, -1, -1):  # the first failing check names the reason
            mask = np.broadcast_to(failing[k], (n, c))
            reason[mask] = _CHECKS[k][0]
            source[mask] = k
        return reason, source

    @staticmethod
    def _notes(
        i: int,
        level_rows: tuple[tuple[np.ndarray, ServiceLevel, str], ...],
        row: int,
        requirement_rows: tuple[tuple[np.ndarray, Requirement, str], ...],
    ) -> tuple[Note, ...]:
        if row >= 0:
            _, level, why = level_rows[row]
            notes = [Note("service_level", f"check:{level.name.lower()}", f"{level.name}: {why}")]
        else:
            notes = [Note("service_level", "check:standard", "STANDARD: no other level applies")]
        notes.extend(
            Note("requirements", f"check:{req.name.lower()}", f"{req.name}: {why}")
            for mask, req, why in requirement_rows
            if mask[i]
        )
        return tuple(notes)
