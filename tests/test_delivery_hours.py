"""Allowed delivery hours of regulated goods, end to end through the real server (bundled
rules): the `age-check` row gives alcohol 08:00-22:00 local, and the ETA, the promise and the
explanation of every alcohol decision respect it, for partners with slots and for the vans."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from google.protobuf import json_format

from lastmile.v1 import orchestrator_pb2 as pb
from lastmile.v1 import types_pb2
from tests.conftest import ROOT, SAMPLE

if TYPE_CHECKING:
    from clients.client import Client

BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2026, 11, 24)  # a Tuesday, UTC+1 all day
SPRING_FORWARD = date(2026, 3, 29)  # a Sunday: 02:00 CET becomes 03:00 CEST (UTC+2)
ZONE = "tempelhof-schoeneberg"


def _ts(hhmm: str, day: date = DAY) -> str:
    """A UTC timestamp from local (Berlin) "HH:MM" of `day`."""
    h, m = (int(x) for x in hhmm.split(":"))
    local = datetime.combine(day, time(h, m), BERLIN)
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local_s(seconds: int) -> int:
    """Local seconds of the day of a UTC timestamp."""
    local = datetime.fromtimestamp(seconds, BERLIN)
    return local.hour * 3600 + local.minute * 60 + local.second


def _local_day_start(seconds: int) -> int:
    """UTC instant of the local midnight before a UTC timestamp."""
    local = datetime.fromtimestamp(seconds, BERLIN)
    return int(datetime.combine(local.date(), time(), BERLIN).timestamp())


def _order(
    order_id: str, windows: list[tuple[str, str]], alcohol: bool, day: date = DAY
) -> dict[str, Any]:
    return {
        "id": order_id,
        "originSiteId": "depot-tempelhof",
        "destination": {"location": {"lat": 52.4717, "lon": 13.3862}, "zoneId": ZONE},
        "parcels": [{"weightKg": 3.0, "volumeL": 10.0, "count": 1}],
        "promise": {"windows": [{"start": _ts(a, day), "end": _ts(b, day)} for a, b in windows]},
        "tags": ["alcohol"] if alcohol else [],
    }


# Customer windows that start before 08:00 or end after 22:00 local, each once with alcohol
# and once without (the control shows where the carrier would otherwise arrive).
WINDOWS: dict[str, list[tuple[str, str]]] = {
    "early": [("06:00", "10:00")],
    "late": [("20:00", "23:59")],
    "night-or-dawn": [("06:00", "07:30"), ("21:45", "23:15")],
}


def _request(partner: bool = True, vans: bool = False, day: date = DAY) -> pb.DecideRequest:
    """The orders above from an always-open depot; kiez-kurier (slots 06-08, 08-11, 20-23:30
    local) and/or the own fleet with one van on shift 05:00-23:30 local, all on `day`; now
    05:00 local that day, or 20:00 the evening before when `day` is not `DAY`."""
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    site = next(s for s in sample["sites"] if s["id"] == "depot-tempelhof")
    site.pop("openingHours", None)  # always open: only the delivery hours bind
    carriers = [c for c in sample["carriers"] if c["id"] == "kiez-kurier" and partner]
    vehicles = []
    if vans:
        own = next(c for c in sample["carriers"] if c["id"] == "own-fleet")
        carriers.append({**own, "zoneIds": [ZONE]})
        van = dict(sample["vehicles"][0])
        van.pop("driverBreak", None)
        van.pop("maxRouteDuration", None)
        van["depotSiteId"] = "depot-tempelhof"
        van["shift"] = {"start": _ts("05:00", day), "end": _ts("23:30", day)}
        vehicles.append(van)
    slots = [
        ("06:00", "08:00"),
        ("08:00", "11:00"),
        ("20:00", "23:30"),
    ]
    orders = []
    for name, windows in WINDOWS.items():
        orders.append(_order(f"ALC-{name}", windows, alcohol=True, day=day))
        orders.append(_order(f"CTL-{name}", windows, alcohol=False, day=day))
    now = _ts("05:00") if day == DAY else _ts("20:00", day - timedelta(days=1))
    body = {
        "requestId": "delivery-hours",
        "now": now,
        "timezone": "Europe/Berlin",
        "sites": [site],
        "orders": orders,
        "carriers": carriers,
        "capacity": [
            {
                "id": f"SLOT-kiez-{a}",
                "carrierId": "kiez-kurier",
                "zoneId": ZONE,
                "window": {"start": _ts(a, day), "end": _ts(b, day)},
                "remainingOrders": 20,
                "remainingWeightKg": 500.0,
            }
            for a, b in slots
            if partner
        ],
        "vehicles": vehicles,
        "rateCards": [r for r in sample["rateCards"] if r["id"] == "rc-kiez-kurier"],
        "options": {**sample["options"], "explain": True},
    }
    return json_format.ParseDict(body, pb.DecideRequest())


def _by_id(response: pb.DecideResponse) -> dict[str, pb.Decision]:
    return {d.order_id: d for d in response.decisions}


def _assert_in_hours(decision: pb.Decision | pb.Candidate) -> None:
    eta = decision.eta.seconds
    start, end = decision.promise.start.seconds, decision.promise.end.seconds
    assert 8 * 3600 <= _local_s(eta) < 22 * 3600, datetime.fromtimestamp(eta, tz=UTC)
    day0 = _local_day_start(eta)  # 23 h before the next one on the spring-forward day
    assert start <= eta <= end
    assert _local_s(start) >= 8 * 3600 and _local_s(end) <= 22 * 3600
    assert _local_day_start(start) == day0 == _local_day_start(end)


@pytest.mark.parametrize(
    ("partner", "vans", "day"),
    [(True, False, DAY), (False, True, DAY), (True, True, DAY), (True, True, SPRING_FORWARD)],
    ids=["partner-slots", "routed-vans", "both", "both-on-the-day-clocks-go-forward"],
)
def test_alcohol_eta_and_promise_stay_in_allowed_hours(
    client: Client, partner: bool, vans: bool, day: date
) -> None:
    """Alcohol orders get ETAs and promises inside 08:00-22:00 local (chosen carrier and every
    candidate) though their windows start earlier or end later, where the same orders without
    alcohol are delivered before 08:00 or promised past 22:00; on routed vans too, and on the
    day the clocks go forward, decided the evening before (22:00 is then 20:00 UTC, not 21:00)."""
    response = client.decide(_request(partner, vans, day), timeout_s=30)
    decisions = _by_id(response)
    assert len(decisions) == 2 * len(WINDOWS), [u.order_id for u in response.unassigned]
    if not partner:
        assert all(d.vehicle_id for d in decisions.values())
    for name in WINDOWS:
        alcohol = decisions[f"ALC-{name}"]
        _assert_in_hours(alcohol)
        for candidate in alcohol.candidates:
            _assert_in_hours(candidate)
    control = [decisions[f"CTL-{name}"] for name in WINDOWS]
    outside = [
        d
        for d in control
        if not 8 * 3600 <= _local_s(d.eta.seconds) < 22 * 3600
        or _local_s(d.promise.end.seconds) > 22 * 3600
        or _local_s(d.promise.end.seconds) < _local_s(d.eta.seconds)  # past midnight
    ]
    assert outside, [(d.order_id, d.eta, d.promise) for d in control]
    # The dawn window is out of hours entirely: alcohol waits for the evening window.
    dawn = decisions["ALC-night-or-dawn"]
    assert _local_s(dawn.eta.seconds) >= 21 * 3600 + 45 * 60


def test_explanation_names_the_rule_row_that_set_the_hours(client: Client) -> None:
    """The decision explains the hours with the requirements row (file:line id) that set them;
    orders without restricted hours get no such entry."""
    response = client.decide(_request(), timeout_s=30)
    decisions = _by_id(response)
    path = ROOT / "rules" / "tables" / "requirements.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if text.strip() == "- id: age-check")
    source = f"rules/tables/requirements.yaml:{line} age-check"
    for name in WINDOWS:
        notes = [e for e in decisions[f"ALC-{name}"].explanations if e.stage == "pricing"]
        assert [e.source for e in notes] == [source]
        assert notes[0].message.startswith("delivery allowed 08:00-22:00 local only: ETA ")
        control = decisions[f"CTL-{name}"].explanations
        assert not [e for e in control if e.stage == "pricing"]


def test_alcohol_with_no_time_in_hours_is_window_unreachable(client: Client) -> None:
    """An alcohol order whose only window lies before 08:00 cannot be delivered: unassigned,
    WINDOW_UNREACHABLE, and the why-not names the hours and the rule row."""
    request = _request()
    del request.orders[:]
    request.orders.append(
        json_format.ParseDict(
            _order("ALC-dawn-only", [("06:00", "07:45")], True), types_pb2.Order()
        )
    )
    response = client.decide(request, timeout_s=30)
    assert not response.decisions
    (item,) = response.unassigned
    assert item.reasons[0] == pb.REASON_CODE_WINDOW_UNREACHABLE
    assert "allowed delivery hours 08:00-22:00" in item.message
    assert "age-check" in item.message
