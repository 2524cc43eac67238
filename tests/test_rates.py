"""Rate cards as files: loading, file:line errors, per-request overrides, hot reload."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from clients.client import load_request
from lastmile.v1 import orchestrator_pb2 as pb
from rules.rates import (
    BUNDLED_RATES_DIR,
    RatesInvalidError,
    RateStore,
    check_rates,
    load_rates,
    parse_file,
)
from service import convert
from service.validate import InputError, Limits, validate_decide
from solver.domain import Capability

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "sample_day.json"

GOOD = """\
rate_cards:
  - id: rc-test
    currency: EUR
    base_cents: 300
    distance_bands:
      - {up_to_km: 5, per_km_cents: 20}
      - {per_km_cents: 40}
    weight_tiers:
      - {up_to_kg: 10, cents: 0}
      - {cents: 200}
    dim_divisor: 5000
    zone_surcharges: {north: 50}
    same_day_premium_cents: 100
    window_premium_cents: 70
    peaks:
      - {weekdays: [mon, 2, Fri], from_hour: 17, to_hour: 21, multiplier: 1.2}
    fuel_surcharge_pct: 5.5
    min_charge_cents: 450
    addons: {TWO_PERSON: 2000, signature_pod: 80}
"""


@pytest.fixture(scope="module")
def sample() -> pb.DecideRequest:
    return load_request(SAMPLE)


def _messages(text: str) -> list[str]:
    return [str(i) for i in parse_file("rules/rates/x.yaml", text)[1]]


def test_bundled_files_load_and_match_the_sample_cards(sample: pb.DecideRequest) -> None:
    """The shipped rate files are valid and equal the sample day's own cards, field by field."""
    rates, issues = load_rates(BUNDLED_RATES_DIR)
    assert issues == []
    assert rates is not None
    assert len(rates.cards) == 5
    files = {card.id: card for card in rates.cards}
    for card in sample.rate_cards:
        from_request = convert.rate_card(card)
        from_file = files[card.id]
        assert from_file.source.startswith(f"rules/rates/{card.id.removeprefix('rc-')}.yaml:")
        for name in from_request.__slots__:
            if name == "source":
                continue
            a, b = getattr(from_request, name), getattr(from_file, name)
            if name == "zone_surcharges" or name == "addons":
                a, b = sorted(a), sorted(b)
            assert a == b, (card.id, name)


def test_a_valid_file_reads_every_field() -> None:
    """Every RateCard field is read, with names and units as in the proto."""
    cards, issues = parse_file("rules/rates/x.yaml", GOOD)
    assert issues == []
    (card,) = cards
    assert card.base_cents == 300
    assert card.distance_bands == ((5.0, 20), (float("inf"), 40))
    assert card.weight_tiers == ((10.0, 0), (float("inf"), 200))
    assert card.dim_divisor == 5000.0
    assert card.zone_surcharges == (("north", 50),)
    assert (card.same_day_premium_cents, card.window_premium_cents) == (100, 70)
    assert card.peaks[0].weekdays == (1, 2, 5)
    assert (card.peaks[0].from_hour, card.peaks[0].to_hour, card.peaks[0].multiplier) == (
        17,
        21,
        1.2,
    )
    assert card.fuel_surcharge_pct == 5.5
    assert card.min_charge_cents == 450
    assert dict(card.addons) == {Capability.TWO_PERSON: 2000, Capability.SIGNATURE_POD: 80}
    assert card.source == "rules/rates/x.yaml:2"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    base_cents: 300",
            "    base_cent: 300",
            "rules/rates/x.yaml:4: rc-test/base_cent: unknown key 'base_cent'; "
            "did you mean 'base_cents'?",
        ),
        (
            "    currency: EUR",
            "    currency: euro",
            "rules/rates/x.yaml:3: rc-test/currency: expected an ISO 4217 code like EUR, "
            "got 'euro'",
        ),
        (
            "      - {up_to_km: 5, per_km_cents: 20}",
            "      - {up_to_km: 5, per_km_cents: 20.5}",
            "rules/rates/x.yaml:6: rc-test/distance_bands[0].per_km_cents: expected whole "
            "cents (an integer), got 20.5",
        ),
        (
            "      - {up_to_kg: 10, cents: 0}\n      - {cents: 200}",
            "      - {cents: 0}\n      - {up_to_kg: 10, cents: 200}",
            "rules/rates/x.yaml:9: rc-test/weight_tiers[0].up_to_kg: only the last entry may "
            "be unbounded (give 'up_to_kg')",
        ),
        (
            "from_hour: 17, to_hour: 21",
            "from_hour: 21, to_hour: 17",
            "rules/rates/x.yaml:16: rc-test/peaks[0].to_hour: expected an hour in (21, 24] "
            "(after from_hour), got 17",
        ),
        (
            "[mon, 2, Fri]",
            "[mon, 9, Fri]",
            "rules/rates/x.yaml:16: rc-test/peaks[0].weekdays: 9 is not a weekday (1..7 with "
            "1 = Monday, or mon..sun)",
        ),
        (
            "    fuel_surcharge_pct: 5.5",
            "    fuel_surcharge_pct: 150",
            "rules/rates/x.yaml:17: rc-test/fuel_surcharge_pct: 150 is out of range [0, 100]",
        ),
        (
            "TWO_PERSON: 2000",
            "TWO_PERSONS: 2000",
            "rules/rates/x.yaml:19: rc-test/addons.TWO_PERSONS: unknown capability "
            "'TWO_PERSONS'; did you mean 'TWO_PERSON'?",
        ),
        (
            "    min_charge_cents: 450",
            "    min_charge_cents: -1",
            "rules/rates/x.yaml:18: rc-test/min_charge_cents: -1 is out of range "
            "[0, 1,000,000,000)",
        ),
        (
            "    dim_divisor: 5000",
            "    dim_divisor: !!python/object:os.system 5000",
            "rules/rates/x.yaml:11: unsupported YAML tag",
        ),
        (
            "rate_cards:",
            "rate_card:",
            "rules/rates/x.yaml:1: rate_card: unknown key 'rate_card'; did you mean 'rate_cards'?",
        ),
    ],
)
def test_each_mistake_is_reported_with_file_and_line(old: str, new: str, expected: str) -> None:
    """A broken field is named as file:line: card/field: message, with a hint."""
    assert old in GOOD
    messages = _messages(GOOD.replace(old, new))
    assert any(m.startswith(expected) for m in messages), messages


def test_duplicate_ids_across_files_are_rejected(tmp_path: Path) -> None:
    """Two files defining the same card id: the second is reported with the first's place."""
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD)
    problems = check_rates(tmp_path)
    assert len(problems) == 1
    label = f"{tmp_path.parent.name}/{tmp_path.name}"
    assert problems == [
        f"{label}/b.yaml:2: rc-test/id: duplicate rate card id (first at {label}/a.yaml:2)"
    ]


def test_request_card_overrides_the_file_card_of_the_same_id(sample: pb.DecideRequest) -> None:
    """Files are the defaults; a request card with the same id wins, others still come from
    files, and a request without cards is priced from the files alone."""
    rates, _ = load_rates(BUNDLED_RATES_DIR)
    assert rates is not None
    request = pb.DecideRequest()
    request.CopyFrom(sample)
    del request.rate_cards[:]
    validate_decide(request, Limits(), rates.ids)
    with pytest.raises(InputError, match="names no rate card"):
        validate_decide(request, Limits())
    card = request.rate_cards.add(id="rc-gigdrop", currency="EUR", base_cents=12_345)
    card.distance_bands.add(up_to_km=0, per_km_cents=1)
    snapshot = convert.to_snapshot(request, rates.cards)
    rc = snapshot.rates
    assert len(rc.ids) == 5
    gig = rc.ids.index("rc-gigdrop")
    assert rc.base_cents[gig] == 12_345
    assert rc.tier_offsets[gig + 1] == rc.tier_offsets[gig]  # the file's tiers are gone
    national = rc.ids.index("rc-paket-national")
    assert rc.base_cents[national] == 420  # still the file's
    carrier = snapshot.carriers.ids.index("gigdrop")
    assert snapshot.carriers.rate_card_idx[carrier] == gig
    both = convert.to_snapshot(sample, rates.cards)
    only_files = convert.to_snapshot(_without_cards(sample), rates.cards)
    order = [only_files.rates.ids.index(i) for i in both.rates.ids]
    for name in ("base_cents", "min_charge_cents", "zone_surcharge_cents", "addon_cents"):
        np.testing.assert_array_equal(
            getattr(both.rates, name), getattr(only_files.rates, name)[order]
        )


def test_sample_decides_the_same_from_files_alone(sample: pb.DecideRequest) -> None:
    """The sample day without its own cards (files only) is priced and assigned the same."""
    from solver import assign, optimize, pricing
    from solver.checks import BuiltinPolicy

    rates, _ = load_rates(BUNDLED_RATES_DIR)
    assert rates is not None
    results = []
    for request in (sample, _without_cards(sample)):
        snapshot = convert.to_snapshot(request, rates.cards)
        eligibility = BuiltinPolicy().evaluate(snapshot)
        table = pricing.price(snapshot, eligibility)
        scores = assign.score(snapshot, table)
        chosen = optimize.optimal(snapshot, eligibility, table, scores, 10.0)
        results.append((table, chosen))
    (a, x), (b, y) = results
    np.testing.assert_array_equal(a.price_cents, b.price_cents)
    np.testing.assert_array_equal(x.carrier_idx, y.carrier_idx)
    assert x.objective == y.objective


def _without_cards(request: pb.DecideRequest) -> pb.DecideRequest:
    out = pb.DecideRequest()
    out.CopyFrom(request)
    del out.rate_cards[:]
    return out


def test_store_keeps_the_last_good_set_after_a_broken_edit(tmp_path: Path) -> None:
    """A broken edit is rejected with its file:line problems; the previous cards keep serving;
    the next good edit swaps in."""
    rates_dir = tmp_path / "rates"
    shutil.copytree(BUNDLED_RATES_DIR, rates_dir)
    events: list[str] = []
    with RateStore(rates_dir, poll_interval_s=0, on_event=lambda e, _: events.append(e)) as store:
        good = store.current()
        target = rates_dir / "gigdrop.yaml"
        text = target.read_text()
        target.write_text(text.replace("base_cents: 250", "base_cents: lots"))
        _touch(target)
        assert store.reload() is False
        assert store.current() is good
        status = store.status()
        assert status.failures == 1
        assert any(
            "rates/gigdrop.yaml:5: rc-gigdrop/base_cents: expected whole cents" in line
            for line in status.last_error
        ), status.last_error
        target.write_text(text.replace("base_cents: 250", "base_cents: 260"))
        _touch(target)
        assert store.reload() is True
        new = store.current()
        assert new.version != good.version
        assert {c.id: c.base_cents for c in new.cards}["rc-gigdrop"] == 260
        assert store.status().last_error == ()
    assert events == ["rejected", "reloaded"]


def test_store_refuses_to_start_on_broken_files(tmp_path: Path) -> None:
    """With nothing good to serve, the store raises with every problem."""
    (tmp_path / "bad.yaml").write_text("rate_cards:\n  - id: rc-x\n    currency: eur\n")
    with pytest.raises(RatesInvalidError, match=r"bad.yaml:3: rc-x/currency"):
        RateStore(tmp_path, poll_interval_s=0)


def _touch(path: Path) -> None:
    """Make the edit visible to the mtime/size fingerprint even within one clock tick."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_rules_check_also_checks_the_rate_files(tmp_path: Path) -> None:
    """`lastmile rules check rules/tables` validates rules/rates beside it: a broken rate file
    prints its file:line problem and makes the exit code 1."""
    import io

    from rules.cli import main_check

    root = Path(__file__).resolve().parents[1] / "rules"
    shutil.copytree(root / "tables", tmp_path / "rules" / "tables")
    shutil.copytree(BUNDLED_RATES_DIR, tmp_path / "rules" / "rates")
    out = io.StringIO()
    assert main_check(tmp_path / "rules" / "tables", out) == 0
    assert out.getvalue().splitlines()[-1].startswith("OK: 5 rate cards, 5 files in rules/rates")
    broken = tmp_path / "rules" / "rates" / "kiez-kurier.yaml"
    broken.write_text(broken.read_text().replace("min_charge_cents", "min_charge"))
    out = io.StringIO()
    assert main_check(tmp_path / "rules" / "tables", out) == 1
    lines = out.getvalue().splitlines()
    assert any(
        line.startswith("rules/rates/kiez-kurier.yaml:")
        and "rc-kiez-kurier/min_charge: unknown key 'min_charge'; did you mean 'min_charge_cents'?"
        in line
        for line in lines
    ), lines
    assert lines[-1] == "FAILED: 1 rate card problem in rules/rates"


def test_rates_dir_setting_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """LASTMILE_RATES_DIR names the rate folder (default the bundled one; `none` = only the
    request's cards); an explicit `rates` override wins."""
    from service.settings import Settings

    monkeypatch.delenv("LASTMILE_RATES_DIR", raising=False)
    assert Settings.from_env().rates_dir == BUNDLED_RATES_DIR
    monkeypatch.setenv("LASTMILE_RATES_DIR", "/srv/rates")
    assert Settings.from_env().rates_dir == Path("/srv/rates")
    monkeypatch.setenv("LASTMILE_RATES_DIR", "NONE")
    assert Settings.from_env().rates_dir is None
    assert Settings.from_env(rates="/x").rates_dir == Path("/x")


def test_validate_rules_reports_a_rejected_rate_edit(tmp_path: Path) -> None:
    """End to end: a server on a copy of the rate folder serves it (a request without cards is
    priced from the files); a broken edit keeps serving the last good cards, and ValidateRules
    with an empty request lists the rejected edit in reload_issues with file:line; a good edit
    clears it."""
    import time

    from clients.client import Client
    from service.server import create_server
    from service.settings import Settings

    rates_dir = tmp_path / "rates"
    shutil.copytree(BUNDLED_RATES_DIR, rates_dir)
    settings = Settings(
        address="127.0.0.1:0", workers=1, grace_s=1.0, rates_dir=rates_dir, rules_poll_s=0.2
    )
    running = create_server(settings)
    try:
        with Client(f"127.0.0.1:{running.port}") as client:
            request = _without_cards(load_request(SAMPLE))
            before = client.decide(request, timeout_s=60)
            assert before.decisions
            assert not client.validate_rules().reload_issues
            target = rates_dir / "gigdrop.yaml"
            text = target.read_text()
            target.write_text(text.replace("base_cents: 250", "base_cents: lots"))
            _touch(target)
            deadline = time.monotonic() + 30
            answer = client.validate_rules()
            while not answer.reload_issues and time.monotonic() < deadline:
                time.sleep(0.2)
                answer = client.validate_rules()
            issues = [(i.file, i.line, i.where, i.message) for i in answer.reload_issues]
            assert any(
                file.endswith("gigdrop.yaml") and line == 5 and where == "rc-gigdrop/base_cents"
                for file, line, where, _ in issues
            ), issues
            after = client.decide(request, timeout_s=60)  # the last good cards keep serving
            assert _gigdrop_base_cents(after) == _gigdrop_base_cents(before) == {250}
            target.write_text(text)
            _touch(target)
            deadline = time.monotonic() + 30
            while client.validate_rules().reload_issues and time.monotonic() < deadline:
                time.sleep(0.2)
            assert not client.validate_rules().reload_issues
    finally:
        running.stop(grace_s=1.0)


def _gigdrop_base_cents(response: pb.DecideResponse) -> set[int]:
    return {
        line.amount.cents
        for d in response.decisions
        for c in d.candidates
        if c.carrier_id == "gigdrop"
        for line in c.price.lines
        if line.code == "BASE"
    }


def test_unexpected_reload_error_is_reported_and_the_cards_keep_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poll that fails on our bug says so in the status; the next good edit still loads."""
    import rules.rates

    rates_dir = tmp_path / "rates"
    shutil.copytree(BUNDLED_RATES_DIR, rates_dir)
    real_load = rules.rates.load_rates

    def broken(directory: object) -> object:
        raise AttributeError("a parser bug")

    with RateStore(rates_dir, poll_interval_s=0) as store:
        good = store.current()
        target = rates_dir / "gigdrop.yaml"
        text = target.read_text()
        monkeypatch.setattr(rules.rates, "load_rates", broken)
        target.write_text(text.replace("base_cents: 250", "base_cents: 260"))
        _touch(target)
        store._poll()  # what the polling thread runs
        [error] = store.status().last_error
        assert "internal error" in error and "a parser bug" in error
        assert store.status().failures == 1 and store.current() is good
        monkeypatch.setattr(rules.rates, "load_rates", real_load)
        target.write_text(text.replace("base_cents: 250", "base_cents: 270"))
        _touch(target)
        store._poll()
        assert {c.id: c.base_cents for c in store.current().cards}["rc-gigdrop"] == 270
        assert store.status().last_error == ()
