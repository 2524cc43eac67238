"""Rate cards as data files (`rules/rates/*.yaml`): load, validate, hot-reload, keep the last good.

A file holds `rate_cards:`, a list of cards; a folder may split them over files as it likes
(one file per partner contract reads best). Every field of the `RateCard` message is here,
with the same names and units (cents are integers, hours are local hours of the request's
time zone)::

    rate_cards:
      - id: rc-gigdrop            # what Carrier.rate_card_id names
        currency: EUR
        base_cents: 250
        distance_bands:           # cents per km inside each band; the last may omit up_to_km
          - {up_to_km: 3, per_km_cents: 25}
          - {per_km_cents: 50}
        weight_tiers:             # flat cents by chargeable weight; the last may omit up_to_kg
          - {up_to_kg: 5, cents: 0}
          - {cents: 160}
        dim_divisor: 5000         # volumetric kg = litres * 1000 / divisor; 0 = weight only
        zone_surcharges: {steglitz-zehlendorf: 60}
        same_day_premium_cents: 50
        window_premium_cents: 80
        peaks:                    # weekdays: 1..7 or mon..sun; empty = every day
          - {weekdays: [mon, tue, wed, thu, fri], from_hour: 17, to_hour: 21, multiplier: 1.2}
        fuel_surcharge_pct: 2.0
        min_charge_cents: 390
        addons: {PHOTO_POD: 15}   # Capability name -> cents

Cards from files are the service's defaults; a request's `rate_cards` replace the file card of
the same id for that request only (`service.convert`). Files are read as plain data
(`rules.yamlio`: no tags, anchors or merge keys), and every problem is reported as
`file:line: card/field: message`, with "did you mean" for misspelt keys. `RateStore` polls the
folder like `rules.store.RuleStore`: a broken edit is rejected with its problems and the last
good set keeps serving.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import math
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from rules.model import Issue
from rules.watch import Poller, fingerprint
from rules.yamlio import LineDict, LineList, load_yaml
from solver.domain import Capability

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import TracebackType
    from typing import TextIO

log = logging.getLogger(__name__)

#: The rate cards bundled with the service, next to the rule tables.
BUNDLED_RATES_DIR: Final = Path(__file__).resolve().parent / "rates"
RATE_SUFFIXES: Final = (".yaml", ".yml")
MAX_CENTS: Final = 1_000_000_000  # exclusive, as service.validate
MAX_DIM_DIVISOR: Final = 1e6
MAX_PEAK_MULTIPLIER: Final = 10.0
MAX_KM_OR_KG: Final = 1e6
_CURRENCY_RE: Final = re.compile(r"[A-Z]{3}")
_ID_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}")
_WEEKDAYS: Final = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
_FILE_KEYS: Final = ("rate_cards",)
_CARD_KEYS: Final = (
    "id",
    "currency",
    "base_cents",
    "distance_bands",
    "weight_tiers",
    "dim_divisor",
    "zone_surcharges",
    "same_day_premium_cents",
    "window_premium_cents",
    "peaks",
    "fuel_surcharge_pct",
    "min_charge_cents",
    "addons",
)
_BAND_KEYS: Final = ("up_to_km", "per_km_cents")
_TIER_KEYS: Final = ("up_to_kg", "cents")
_PEAK_KEYS: Final = ("weekdays", "from_hour", "to_hour", "multiplier")


# --- the validated form ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Peak:
    """Multiplier for deliveries in local hours [from_hour, to_hour) of these ISO weekdays."""

    weekdays: tuple[int, ...]  # 1 = Monday .. 7 = Sunday; empty = every day
    from_hour: int
    to_hour: int
    multiplier: float


@dataclass(frozen=True, slots=True)
class RateCard:
    """One partner price list, the same fields and units as `lastmile.v1.RateCard`.

    Unbounded bands and tiers have `inf` as their upper bound. `source` is `file:line` for
    cards from files and `request` for per-request overrides.
    """

    id: str
    currency: str
    base_cents: int = 0
    distance_bands: tuple[tuple[float, int], ...] = ()  # (up_to_km, per_km_cents)
    weight_tiers: tuple[tuple[float, int], ...] = ()  # (up_to_kg, cents)
    dim_divisor: float = 0.0
    zone_surcharges: tuple[tuple[str, int], ...] = ()  # (zone_id, cents)
    same_day_premium_cents: int = 0
    window_premium_cents: int = 0
    peaks: tuple[Peak, ...] = ()
    fuel_surcharge_pct: float = 0.0
    min_charge_cents: int = 0
    addons: tuple[tuple[int, int], ...] = ()  # (Capability value, cents)
    source: str = ""


@dataclass(frozen=True, slots=True)
class RateSet:
    """The cards of one folder version; `version` hashes the file contents."""

    cards: tuple[RateCard, ...]
    version: str
    files: tuple[str, ...]

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(card.id for card in self.cards)


EMPTY_RATES: Final = RateSet(cards=(), version="none", files=())


class RatesInvalidError(Exception):
    """The rate files could not be loaded; `lines` holds every problem as `file:line: ...`."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("invalid rate cards:\n" + "\n".join(lines))
        self.lines = lines


# --- parsing -----------------------------------------------------------------------------------


def _did_you_mean(key: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; expected one of: {', '.join(allowed)}"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Card:
    """Reads one card mapping, reporting problems as `file:line: card/field: message`."""

    def __init__(self, file: str, where: str, issues: list[Issue]) -> None:
        self.file = file
        self.where = where
        self.issues = issues

    def err(self, line: int, field: str, message: str) -> None:
        self.issues.append(Issue(self.file, line, f"{self.where}/{field}", message))

    def keys(self, data: LineDict, allowed: tuple[str, ...], field: str) -> None:
        for key in data:
            if key not in allowed:
                name = f"{field}.{key}" if field else key
                self.err(
                    data.line_of(key), name, f"unknown key '{key}'{_did_you_mean(key, allowed)}"
                )

    def cents(self, value: object, line: int, field: str) -> int:
        if not _is_int(value):
            self.err(line, field, f"expected whole cents (an integer), got {value!r}")
            return 0
        assert isinstance(value, int)
        if not 0 <= value < MAX_CENTS:
            self.err(line, field, f"{value:,} is out of range [0, {MAX_CENTS:,})")
            return 0
        return value

    def number(
        self, value: object, line: int, field: str, lo: float, hi: float, *, lo_open: bool = False
    ) -> float:
        if not _is_number(value) or not math.isfinite(float(value)):  # type: ignore[arg-type]
            self.err(line, field, f"expected a number, got {value!r}")
            return lo
        x = float(value)  # type: ignore[arg-type]
        if x < lo or x > hi or (lo_open and x == lo):
            self.err(line, field, f"{x:g} is out of range {'(' if lo_open else '['}{lo:g}, {hi:g}]")
            return lo
        return x

    def mapping(self, value: object, line: int, field: str) -> LineDict | None:
        if not isinstance(value, LineDict):
            self.err(line, field, f"expected a mapping, got {type(value).__name__}")
            return None
        return value

    def bounds(
        self, value: object, line: int, field: str, keys: tuple[str, str]
    ) -> tuple[tuple[float, int], ...]:
        """Bands or tiers: upper bounds strictly increasing; only the last may omit its bound."""
        bound_key, cents_key = keys
        if not isinstance(value, LineList):
            self.err(line, field, "expected a list of {" + ", ".join(keys) + "}")
            return ()
        out: list[tuple[float, int]] = []
        prev = 0.0
        for k, (item, item_line) in enumerate(zip(value, value.item_lines, strict=True)):
            path = f"{field}[{k}]"
            entry = self.mapping(item, item_line, path)
            if entry is None:
                continue
            self.keys(entry, keys, path)
            if cents_key not in entry:
                self.err(entry.line, f"{path}.{cents_key}", f"missing '{cents_key}'")
            cents = self.cents(
                entry.get(cents_key, 0), entry.line_of(cents_key), f"{path}.{cents_key}"
            )
            raw = entry.get(bound_key)
            if raw is None or raw == 0:
                if k != len(value) - 1:
                    self.err(
                        entry.line_of(bound_key),
                        f"{path}.{bound_key}",
                        f"only the last entry may be unbounded (give '{bound_key}')",
                    )
                out.append((math.inf, cents))
                continue
            bound = self.number(
                raw,
                entry.line_of(bound_key),
                f"{path}.{bound_key}",
                0.0,
                MAX_KM_OR_KG,
                lo_open=True,
            )
            if out and bound <= prev:
                self.err(
                    entry.line_of(bound_key),
                    f"{path}.{bound_key}",
                    f"{bound:g} is not above the previous bound {prev:g}; bounds must increase",
                )
            prev = max(prev, bound)
            out.append((bound, cents))
        return tuple(out)

    def peaks(self, value: object, line: int) -> tuple[Peak, ...]:
        if not isinstance(value, LineList):
            self.err(line, "peaks", "expected a list of {" + ", ".join(_PEAK_KEYS) + "}")
            return ()
        out: list[Peak] = []
        for k, (item, item_line) in enumerate(zip(value, value.item_lines, strict=True)):
            path = f"peaks[{k}]"
            entry = self.mapping(item, item_line, path)
            if entry is None:
                continue
            self.keys(entry, _PEAK_KEYS, path)
            days: list[int] = []
            raw_days = entry.get("weekdays", LineList())
            if not isinstance(raw_days, list):
                self.err(
                    entry.line_of("weekdays"), f"{path}.weekdays", "expected a list of weekdays"
                )
                raw_days = []
            for day in raw_days:
                if isinstance(day, str) and day[:3].lower() in _WEEKDAYS and len(day) >= 3:
                    days.append(_WEEKDAYS[day[:3].lower()])
                elif _is_int(day) and 1 <= day <= 7:
                    days.append(int(day))
                else:
                    self.err(
                        entry.line_of("weekdays"),
                        f"{path}.weekdays",
                        f"{day!r} is not a weekday (1..7 with 1 = Monday, or mon..sun)",
                    )
            for key in ("from_hour", "to_hour", "multiplier"):
                if key not in entry:
                    self.err(entry.line, f"{path}.{key}", f"missing '{key}'")
            f = entry.get("from_hour", 0)
            t = entry.get("to_hour", 24)
            if not _is_int(f) or not 0 <= f < 24:
                self.err(
                    entry.line_of("from_hour"),
                    f"{path}.from_hour",
                    f"expected an hour in [0, 24), got {f!r}",
                )
                f = 0
            if not _is_int(t) or not f < t <= 24:
                self.err(
                    entry.line_of("to_hour"),
                    f"{path}.to_hour",
                    f"expected an hour in ({f}, 24] (after from_hour), got {t!r}",
                )
                t = 24
            mult = self.number(
                entry.get("multiplier", 1.0), entry.line_of("multiplier"), f"{path}.multiplier",
                0.0, MAX_PEAK_MULTIPLIER, lo_open=True,
            )  # fmt: skip
            out.append(Peak(tuple(sorted(set(days))), int(f), int(t), mult))
        return tuple(out)

    def zone_surcharges(self, value: object, line: int) -> tuple[tuple[str, int], ...]:
        data = self.mapping(value, line, "zone_surcharges")
        if data is None:
            return ()
        out = []
        for zone, cents in data.items():
            if not zone.strip():
                self.err(data.line_of(zone), "zone_surcharges", "empty zone id")
                continue
            out.append((zone, self.cents(cents, data.line_of(zone), f"zone_surcharges.{zone}")))
        return tuple(sorted(out))

    def addons(self, value: object, line: int) -> tuple[tuple[int, int], ...]:
        data = self.mapping(value, line, "addons")
        if data is None:
            return ()
        names = tuple(c.name for c in Capability)
        out = []
        for name, cents in data.items():
            key = name.upper().removeprefix("CAPABILITY_")
            if key not in names:
                self.err(
                    data.line_of(name),
                    f"addons.{name}",
                    f"unknown capability '{name}'{_did_you_mean(key, names)}",
                )
                continue
            out.append(
                (int(Capability[key]), self.cents(cents, data.line_of(name), f"addons.{name}"))
            )
        return tuple(sorted(out))


def _parse_card(file: str, data: object, line: int, k: int, issues: list[Issue]) -> RateCard | None:
    if not isinstance(data, LineDict):
        issues.append(Issue(file, line, f"rate_cards[{k}]", "expected a mapping (one rate card)"))
        return None
    ident = data.get("id")
    if not isinstance(ident, str) or not _ID_RE.fullmatch(ident):
        issues.append(
            Issue(file, data.line_of("id"), f"rate_cards[{k}]/id",
                  f"expected an id like rc-partner (letters, digits, . _ : / -), got {ident!r}")
        )  # fmt: skip
        ident = f"rate_cards[{k}]"
    card = _Card(file, ident, issues)
    card.keys(data, _CARD_KEYS, "")
    currency = data.get("currency")
    if not isinstance(currency, str) or not _CURRENCY_RE.fullmatch(currency):
        card.err(
            data.line_of("currency"),
            "currency",
            f"expected an ISO 4217 code like EUR, got {currency!r}",
        )
        currency = ""

    def cents(key: str) -> int:
        return card.cents(data.get(key, 0), data.line_of(key), key)

    dim = data.get("dim_divisor", 0)
    divisor = 0.0
    if dim != 0:
        divisor = card.number(dim, data.line_of("dim_divisor"), "dim_divisor", 1.0, MAX_DIM_DIVISOR)
    before = len(issues)
    result = RateCard(
        id=ident,
        currency=currency,
        base_cents=cents("base_cents"),
        distance_bands=card.bounds(
            data.get("distance_bands", LineList()), data.line_of("distance_bands"),
            "distance_bands", _BAND_KEYS,
        ),
        weight_tiers=card.bounds(
            data.get("weight_tiers", LineList()), data.line_of("weight_tiers"), "weight_tiers",
            _TIER_KEYS,
        ),
        dim_divisor=divisor,
        zone_surcharges=card.zone_surcharges(
            data.get("zone_surcharges", LineDict()), data.line_of("zone_surcharges")
        ),
        same_day_premium_cents=cents("same_day_premium_cents"),
        window_premium_cents=cents("window_premium_cents"),
        peaks=card.peaks(data.get("peaks", LineList()), data.line_of("peaks")),
        fuel_surcharge_pct=card.number(
            data.get("fuel_surcharge_pct", 0.0), data.line_of("fuel_surcharge_pct"),
            "fuel_surcharge_pct", 0.0, 100.0,
        ),
        min_charge_cents=cents("min_charge_cents"),
        addons=card.addons(data.get("addons", LineDict()), data.line_of("addons")),
        source=f"{file}:{data.line}",
    )  # fmt: skip
    return result if len(issues) == before else None


def parse_file(name: str, text: str) -> tuple[list[RateCard], list[Issue]]:
    """Read one rate file.

    Parameters
    ----------
    name
        How the file is named in messages, e.g. `rules/rates/gigdrop.yaml`.
    text
        Its content.

    Returns
    -------
    tuple
        The valid cards and every problem found (`file:line: card/field: message`).
    """
    issues: list[Issue] = []
    data, problems = load_yaml(text)
    issues.extend(Issue(name, p.line, "", p.message) for p in problems)
    if data is None:
        if not problems:
            issues.append(Issue(name, 1, "", "empty file; expected 'rate_cards:' with a list"))
        return [], issues
    if not isinstance(data, LineDict):
        issues.append(Issue(name, 1, "", "expected a mapping with 'rate_cards:'"))
        return [], issues
    for key in data:
        if key not in _FILE_KEYS:
            issues.append(
                Issue(
                    name,
                    data.line_of(key),
                    key,
                    f"unknown key '{key}'{_did_you_mean(key, _FILE_KEYS)}",
                )
            )
    cards_data: Any = data.get("rate_cards")
    if not isinstance(cards_data, LineList):
        issues.append(
            Issue(name, data.line_of("rate_cards"), "rate_cards", "expected a list of rate cards")
        )
        return [], issues
    cards = []
    for k, (item, line) in enumerate(zip(cards_data, cards_data.item_lines, strict=True)):
        card = _parse_card(name, item, line, k, issues)
        if card is not None:
            cards.append(card)
    return cards, issues


def parse_files(files: Mapping[str, str]) -> tuple[RateSet | None, list[Issue]]:
    """Read a set of rate files ({name: text}); None unless every file and card is valid.

    Raises
    ------
    Nothing: every problem is returned as an `Issue`.
    """
    issues: list[Issue] = []
    cards: list[RateCard] = []
    for name in sorted(files):
        found, problems = parse_file(name, files[name])
        cards.extend(found)
        issues.extend(problems)
    first: dict[str, str] = {}
    for card in cards:
        if card.id in first:
            file, _, line = card.source.rpartition(":")
            issues.append(
                Issue(
                    file,
                    int(line),
                    f"{card.id}/id",
                    f"duplicate rate card id (first at {first[card.id]})",
                )
            )
        first.setdefault(card.id, card.source)
    if issues:
        return None, issues
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\0{files[name]}\0".encode())
    return RateSet(tuple(cards), digest.hexdigest()[:12], tuple(sorted(files))), []


def _label(directory: Path) -> str:
    return "/".join(directory.resolve().parts[-2:])


def read_rate_dir(directory: str | Path) -> tuple[dict[str, str], list[Issue]]:
    """The *.yaml / *.yml files of a folder (not recursive) as {`rules/rates/x.yaml`: text}."""
    path = Path(directory)
    label = _label(path)
    if not path.is_dir():
        return {}, [Issue(label, 0, "", "rate card folder not found")]
    files: dict[str, str] = {}
    issues: list[Issue] = []
    for file in sorted(path.iterdir()):
        if file.suffix not in RATE_SUFFIXES or not file.is_file():
            continue
        try:
            files[f"{label}/{file.name}"] = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            issues.append(Issue(f"{label}/{file.name}", 0, "", f"cannot read: {exc}"))
    return files, issues


def load_rates(directory: str | Path) -> tuple[RateSet | None, list[Issue]]:
    """Read and validate every rate file of a folder (an empty folder is an empty set)."""
    files, issues = read_rate_dir(directory)
    if issues:
        return None, issues
    return parse_files(files)


def check_rates(directory: str | Path) -> list[str]:
    """Problems of a rate folder as `file:line: card/field: message` lines (empty = valid);
    for `lastmile rules check`."""
    return [str(issue) for issue in load_rates(directory)[1]]


def check_beside(rules_dir: str | Path, out: TextIO) -> bool:
    """For `lastmile rules check DIR`: validate the rate folder next to DIR (rules/tables ->
    rules/rates), when there is one; print its problems and a summary line.

    Returns
    -------
    bool
        False when the rate files have problems.
    """
    directory = Path(rules_dir).parent / "rates"
    if not directory.is_dir():
        return True
    rates, issues = load_rates(directory)
    for issue in issues:
        print(issue, file=out)
    if rates is None:
        n = len(issues)
        print(f"FAILED: {n} rate card problem{'s' * (n != 1)} in {_label(directory)}", file=out)
        return False
    print(
        f"OK: {len(rates.cards)} rate cards, {len(rates.files)} files in {_label(directory)}, "
        f"version {rates.version}",
        file=out,
    )
    return True


# --- hot reload --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RateStatus:
    """What the store serves and what went wrong last."""

    directory: str
    version: str
    cards: int
    loaded_at: float
    last_error: tuple[str, ...]  # problems of the last rejected edit; empty after a good load
    reloads: int
    failures: int
    last_issues: tuple[Issue, ...] = ()  # the same problems, structured (file, line, ...)


class RateStore:
    """The rate cards of one folder, polled for edits; a broken edit keeps the last good set.

    Same approach as `rules.store.RuleStore`: a cheap fingerprint (name, mtime, size) decides
    whether to re-read; a new set replaces the serving one only when every file is valid.

    Parameters
    ----------
    directory
        Where the rate files are (e.g. rules/rates).
    poll_interval_s
        How often a daemon thread looks for edits; 0 = no thread (call `reload()`).
    on_event
        Called with ("reloaded" | "rejected", status) after a swap or a rejected edit.

    Raises
    ------
    RatesInvalidError
        When the files are invalid at start: there is nothing to serve.
    ValueError
        If `poll_interval_s` is negative.
    """

    def __init__(
        self,
        directory: str | Path,
        poll_interval_s: float = 1.0,
        on_event: Callable[[str, RateStatus], None] | None = None,
    ) -> None:
        if poll_interval_s < 0:
            raise ValueError("Expected poll_interval_s >= 0")
        self.directory = Path(directory)
        self._on_event = on_event
        self._lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._fingerprint = fingerprint(self.directory, RATE_SUFFIXES)
        rates, issues = load_rates(self.directory)
        if rates is None:
            raise RatesInvalidError([str(i) for i in issues])
        self._current = rates
        self._loaded_at = time.time()
        self._last_error: tuple[str, ...] = ()
        self._last_issues: tuple[Issue, ...] = ()
        self._reloads = 0
        self._failures = 0
        self._poller = (
            Poller(self._poll, poll_interval_s, f"rates-poll:{self.directory}")
            if poll_interval_s > 0
            else None
        )

    def current(self) -> RateSet:
        """The serving cards (immutable; take it once per request)."""
        with self._lock:
            return self._current

    def status(self) -> RateStatus:
        with self._lock:
            return RateStatus(
                directory=str(self.directory),
                version=self._current.version,
                cards=len(self._current.cards),
                loaded_at=self._loaded_at,
                last_error=self._last_error,
                reloads=self._reloads,
                failures=self._failures,
                last_issues=self._last_issues,
            )

    def reload(self, *, force: bool = False) -> bool:
        """Look at the files now; returns True when a new set is serving."""
        with self._reload_lock:
            seen = fingerprint(self.directory, RATE_SUFFIXES)
            if seen == self._fingerprint and not force:
                return False
            self._fingerprint = seen
            rates, issues = load_rates(self.directory)
            if rates is None:
                lines = tuple(str(i) for i in issues)
                with self._lock:
                    repeated = lines == self._last_error
                    self._last_error = lines
                    self._last_issues = tuple(issues)
                    if not repeated:
                        self._failures += 1
                if not repeated:
                    log.warning(
                        "rate cards rejected, still serving %s: %s",
                        self._current.version,
                        lines[:5],
                    )
                    self._notify("rejected")
                return False
            with self._lock:
                changed = rates.version != self._current.version
                self._last_error = ()
                self._last_issues = ()
                if changed:
                    self._current = rates
                    self._loaded_at = time.time()
                    self._reloads += 1
            if changed:
                log.info("rate cards %s serving", rates.version)
                self._notify("reloaded")
            return changed

    def _notify(self, event: str) -> None:
        if self._on_event is None:
            return
        try:
            self._on_event(event, self.status())
        except Exception:  # a logging hook must never stop reloads
            log.exception("rates on_event hook failed")

    def _poll(self) -> None:
        try:
            self.reload()
        except (OSError, ValueError, RuntimeError) as exc:  # keep serving, say why
            log.warning("rate cards reload failed: %s", exc)
        except Exception as exc:  # our bug, not the author's: say so, keep the last good
            log.exception("rate cards reload failed")
            why = f"reload failed (internal error, see the server log): {exc!r}"
            with self._lock:
                if self._last_error != (why,):
                    self._failures += 1
                self._last_error = (why,)
                self._last_issues = ()

    def close(self) -> None:
        """Stop polling."""
        if self._poller is not None:
            self._poller.stop()

    def __enter__(self) -> RateStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
