"""E-commerce events as PutEvents entries: realistic generators per kind, mixes, JSON-lines files, sizes.

Generators are driven by one seeded `random.Random`, so `--seed` reproduces the business content of a run
(kinds, detail-types, ids, amounts, items). Two fields are deliberately fresh on every run: `timestamp`
(when the event happened) and `idempotencyKey` (the producer's id for this event, which consumers dedupe on).
A retried entry keeps its key, so a consumer sees at most one effect per event; a re-run is new traffic.

Entry size follows AWS's documented calculation ("Calculating PutEvents event entry size"): Time counts
14 bytes when present; Source, DetailType, Detail and each Resources item count their UTF-8 bytes.
"""

from __future__ import annotations

import bisect
import itertools
import json
import os
import random
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal, get_args

import orjson

from tooling import input_files, strict_json
from tooling.errors import UsageError
from tooling.publish.arguments import read_json_object

Entry = dict[str, Any]
EventKind = Literal["order", "user", "payment", "inventory"]
KINDS: tuple[EventKind, ...] = get_args(EventKind)

SOURCES: dict[EventKind, str] = {
    "order": "ecommerce.orders",
    "user": "ecommerce.users",
    "payment": "ecommerce.payments",
    "inventory": "ecommerce.inventory",
}
# Detail-types per kind with their share of realistic traffic (most orders are created, few cancelled).
DETAIL_TYPES: dict[EventKind, tuple[tuple[str, int], ...]] = {
    "order": (("Order Created", 60), ("Order Updated", 25), ("Order Cancelled", 15)),
    "user": (("User Registered", 1),),
    "payment": (("Payment Processed", 1),),
    "inventory": (("Stock Updated", 85), ("Stock Depleted", 15)),
}
DEFAULT_MIX: dict[EventKind, float] = {"order": 40, "user": 20, "payment": 25, "inventory": 15}
PRODUCER = "tooling-publish"
# Positions per content generator in `mixed` (see EventFactory._chunk_rng); processes split work on these.
CONTENT_CHUNK = 1000
TIME_BYTES = 14
ENTRY_KEYS = frozenset({"Source", "DetailType", "Detail", "Resources", "Time", "TraceHeader", "EventBusName"})

_FIRST_NAMES = ("Ana", "Ben", "Chen", "Dara", "Elif", "Femi", "Goran", "Hana", "Ivan", "Jia", "Kofi", "Lena")
_LAST_NAMES = ("Silva", "Okafor", "Nguyen", "Novak", "Schmidt", "Haddad", "Kim", "Rossi", "Berg", "Moreau")
_CURRENCIES = (("USD", 70), ("EUR", 20), ("GBP", 10))
_PAYMENT_METHODS = (("credit_card", 60), ("paypal", 20), ("apple_pay", 12), ("bank_transfer", 8))
_PAYMENT_STATUS = (("completed", 92), ("failed", 6), ("pending", 2))
_SIGNUP_METHODS = (("email", 55), ("google", 30), ("apple", 15))
_WAREHOUSES = ("wh-east-1", "wh-west-1", "wh-central-1", "wh-eu-1")
_ORDER_STATUS = {"Order Created": "created", "Order Updated": "processing", "Order Cancelled": "cancelled"}


def entry_size(entry: Mapping[str, Any]) -> int:
    """The entry's size as AWS computes it against the PutEvents request limit."""
    size = TIME_BYTES if entry.get("Time") is not None else 0
    size += _utf8_length(entry.get("Source", ""))
    size += _utf8_length(entry.get("DetailType", ""))
    if entry.get("Detail") is not None:
        size += _utf8_length(entry["Detail"])
    for resource in entry.get("Resources") or ():
        if resource is not None:
            size += _utf8_length(resource)
    return size


def _utf8_length(value: Any) -> int:
    text = str(value)
    # An ASCII string's UTF-8 length is its length; encoding every Detail only to count it cost ~2 µs/event.
    return len(text) if text.isascii() else len(text.encode())


def kind_of(name: str) -> EventKind:
    """Accept a kind by its singular or plural name (`order`, `orders`, `inventory`)."""
    key = name.strip().lower()
    for kind in KINDS:
        if key in (kind, kind + "s"):
            return kind
    raise UsageError(f"unknown event kind {name!r}; use one of {', '.join(KINDS)}")


def detail_types(kind: EventKind) -> tuple[str, ...]:
    return tuple(name for name, _ in DETAIL_TYPES[kind])


def check_detail_type(kind: EventKind, detail_type: str) -> str:
    allowed = detail_types(kind)
    if detail_type not in allowed:
        raise UsageError(
            f"--type {detail_type!r} is not a {kind} event; use one of: {', '.join(repr(t) for t in allowed)}"
        )
    return detail_type


def parse_mix(text: str) -> dict[EventKind, float]:
    """`orders=50,users=25,payments=25` -> weights per kind (kinds left out get none)."""
    mix: dict[EventKind, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        if not sep:
            raise UsageError(f"--mix: {part!r} is not NAME=WEIGHT, e.g. orders=50,users=25,payments=25")
        try:
            weight = float(value)
        except ValueError:
            raise UsageError(f"--mix: weight {value!r} of {name.strip()!r} is not a number") from None
        if weight < 0:
            raise UsageError(f"--mix: weight of {name.strip()!r} must not be negative")
        mix[kind_of(name)] = weight
    if not mix or sum(mix.values()) <= 0:
        raise UsageError("--mix needs at least one positive weight, e.g. orders=50,users=25,payments=25")
    return mix


def apportion(count: int, weights: Mapping[EventKind, float]) -> dict[EventKind, int]:
    """Split `count` by weight exactly (largest remainder), so `orders=50` of 100 gives 50 orders."""
    total = sum(weights.values())
    shares = {kind: count * weight / total for kind, weight in weights.items()}
    counts = {kind: int(share) for kind, share in shares.items()}
    by_remainder = sorted(shares, key=lambda k: (shares[k] - counts[k], weights[k]), reverse=True)
    for kind in by_remainder[: count - sum(counts.values())]:
        counts[kind] += 1
    return counts


# Version 4, RFC 4122 variant: the bits uuid.UUID(version=4) clears and sets.
_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID_V4 = (4 << 76) | (0x8000 << 48)
_COMPACT = json.JSONEncoder(separators=(",", ":"))
_CUMULATIVE: dict[tuple[tuple[str, int], ...], tuple[list[str], list[float]]] = {}


def _cumulative(weighted: tuple[tuple[str, int], ...]) -> tuple[list[str], list[float]]:
    """Names and cumulative weights of a weighted table, computed once per table."""
    found = _CUMULATIVE.get(weighted)
    if found is None:
        names = [name for name, _ in weighted]
        found = names, [float(w) for w in itertools.accumulate(w for _, w in weighted)]
        _CUMULATIVE[weighted] = found
    return found


def _compact(detail: dict[str, Any]) -> str:
    """Compact JSON of a generated detail, byte for byte what _COMPACT.encode writes (only ASCII strings,
    finite floats and small integers are generated; tests/unit/test_events.py compares them), 10x faster:
    encoding was the largest single cost of generating an event."""
    return orjson.dumps(detail).decode()


def _format_uuid(value: int) -> str:
    """A 128-bit value as a version-4 UUID string, as str(uuid.UUID(int=value, version=4)) writes it."""
    text = f"{(value & _UUID_CLEAR) | _UUID_V4:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


# Idempotency keys must be unique across runs and processes, so they come from os.urandom, not the seeded
# generator; but one getrandom call per event cost more than building the event (with sender threads waiting
# on the network, every system call also hands the GIL over). Keys are drawn KEYS_PER_DRAW at a time.
KEYS_PER_DRAW = 256
_keys: list[str] = []
# A forked worker must never hand out keys its parent (or a sibling) drew.
os.register_at_fork(after_in_child=_keys.clear)


def random_key() -> str:
    """A random version-4 UUID string, like str(uuid.uuid4()); thread-safe."""
    try:
        return _keys.pop()
    except IndexError:
        raw = os.urandom(16 * KEYS_PER_DRAW)
        drawn = [_format_uuid(int.from_bytes(raw[i : i + 16])) for i in range(0, len(raw), 16)]
        key = drawn.pop()
        _keys.extend(drawn)
        return key


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class EventFactory:
    """Builds realistic entries. `seed` makes the business content reproducible."""

    seed: int | None = None
    clock: Callable[[], str] = _utc_now
    new_key: Callable[[], str] = random_key

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    # -- building blocks ---------------------------------------------------------------------------------
    def _uuid(self) -> str:
        # uuid.UUID(int=..., version=4) formatted directly: the same string at a fifth of the cost.
        return _format_uuid(self._rng.getrandbits(128))

    def _int(self, low: int, high: int) -> int:
        # What randint(low, high) draws, from one random() call: randint's rejection sampling cost a fifth of
        # an event's generation, and a 53-bit float's bias over ranges this small is below 1e-10.
        return low + int(self._rng.random() * (high - low + 1))

    def _pick(self, weighted: tuple[tuple[str, int], ...]) -> str:
        names, cumulative = _cumulative(weighted)
        # What random.choices(names, weights=...) draws, without rebuilding the lists for every event.
        return names[bisect.bisect(cumulative, self._rng.random() * cumulative[-1], 0, len(names) - 1)]

    def _customer_id(self) -> str:
        return f"cust-{self._int(10000, 99999)}"

    def _product_id(self) -> str:
        return f"prod-{self._int(1000, 9999)}"

    def _items(self, amount: float | None) -> tuple[list[dict[str, Any]], float]:
        """Line items and their exact total; with `amount`, the items add up to it to the cent."""
        count = self._int(1, 4)
        items: list[dict[str, Any]]
        if amount is None:
            items = [
                {
                    "productId": self._product_id(),
                    "quantity": self._int(1, 5),
                    "price": self._int(499, 39999) / 100,
                }
                for _ in range(count)
            ]
            total_cents = sum(round(i["price"] * 100) * i["quantity"] for i in items)
            return items, total_cents / 100
        cents = round(amount * 100)
        count = max(1, min(count, cents))
        cuts = sorted(self._rng.sample(range(1, cents), count - 1)) if count > 1 else []
        parts = [b - a for a, b in zip([0, *cuts], [*cuts, cents], strict=True)]
        items = [{"productId": self._product_id(), "quantity": 1, "price": part / 100} for part in parts]
        return items, cents / 100

    def _common(self) -> dict[str, Any]:
        return {"timestamp": self.clock(), "producer": PRODUCER, "idempotencyKey": self.new_key()}

    # -- one detail per kind -------------------------------------------------------------------------------
    def order_detail(self, detail_type: str, amount: float | None = None) -> dict[str, Any]:
        items, total = self._items(amount)
        detail: dict[str, Any] = {
            "orderId": self._uuid(),
            "customerId": self._customer_id(),
            "totalAmount": total,
            "currency": self._pick(_CURRENCIES),
            "items": items,
            "status": _ORDER_STATUS[detail_type],
        }
        if detail_type == "Order Cancelled":
            detail["reason"] = self._rng.choice(("customer_request", "payment_failed", "out_of_stock"))
        return detail

    def user_detail(self, detail_type: str, amount: float | None = None) -> dict[str, Any]:
        first, last = self._rng.choice(_FIRST_NAMES), self._rng.choice(_LAST_NAMES)
        user_number = self._int(1000, 99999)
        return {
            "userId": self._uuid(),
            # example.com is reserved (RFC 2606): generated traffic never carries a real address.
            "email": f"{first.lower()}.{last.lower()}{user_number}@example.com",
            "firstName": first,
            "lastName": last,
            "registrationMethod": self._pick(_SIGNUP_METHODS),
            "marketingOptIn": self._rng.random() < 0.4,
        }

    def payment_detail(self, detail_type: str, amount: float | None = None) -> dict[str, Any]:
        value = amount if amount is not None else self._int(500, 250000) / 100
        return {
            "paymentId": self._uuid(),
            "orderId": self._uuid(),
            "customerId": self._customer_id(),
            "amount": round(value, 2),
            "currency": self._pick(_CURRENCIES),
            "paymentMethod": self._pick(_PAYMENT_METHODS),
            "status": self._pick(_PAYMENT_STATUS),
        }

    def inventory_detail(self, detail_type: str, amount: float | None = None) -> dict[str, Any]:
        depleted = detail_type == "Stock Depleted"
        available = 0 if depleted else self._int(1, 500)
        return {
            "productId": self._product_id(),
            "sku": f"SKU-{self._int(100000, 999999)}",
            "warehouseId": self._rng.choice(_WAREHOUSES),
            "quantityChange": -self._int(1, 20) if depleted else self._int(-20, 100),
            "quantityAvailable": available,
            "reorderLevel": self._rng.choice((10, 20, 50)),
            "status": "out_of_stock" if depleted else ("low_stock" if available < 20 else "in_stock"),
        }

    # -- entries ---------------------------------------------------------------------------------------------
    def entry(
        self,
        kind: EventKind,
        detail_type: str | None = None,
        *,
        amount: float | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> Entry:
        """One PutEvents entry. `overrides` are merged over the generated detail (top-level keys)."""
        chosen = check_detail_type(kind, detail_type) if detail_type else self._pick(DETAIL_TYPES[kind])
        builders: dict[EventKind, Callable[[str, float | None], dict[str, Any]]] = {
            "order": self.order_detail,
            "user": self.user_detail,
            "payment": self.payment_detail,
            "inventory": self.inventory_detail,
        }
        build = builders[kind]
        detail = {**build(chosen, amount), **self._common(), **(overrides or {})}
        return {
            "Source": SOURCES[kind],
            "DetailType": chosen,
            # A user's overrides keep the stdlib's encoding (ASCII escapes, NaN as NaN, any integer).
            "Detail": _COMPACT.encode(detail) if overrides else _compact(detail),
        }

    def mixed(
        self,
        count: int,
        mix: Mapping[EventKind, float] | None = None,
        *,
        start: int = 0,
        stop: int | None = None,
    ) -> Iterator[Entry]:
        """Entries [start, stop) of `count` entries whose kinds follow `mix` exactly, in a seeded random order;
        built lazily. Any range gives the same events as the whole run gives at those positions, so processes
        that each publish one range put the same traffic on the bus as one process would."""
        counts = apportion(count, mix or DEFAULT_MIX)
        kinds: list[EventKind] = [kind for kind, n in counts.items() for _ in range(n)]
        self._rng.shuffle(kinds)
        end = count if stop is None else min(stop, count)
        first = start - start % CONTENT_CHUNK  # a range that starts mid-chunk draws that chunk's head first
        for position in range(first, end):
            if position % CONTENT_CHUNK == 0:
                self._rng = self._chunk_rng(position // CONTENT_CHUNK)
            entry = self.entry(kinds[position])
            if position >= start:
                yield entry

    def mixed_by_chunk(
        self,
        count: int,
        mix: Mapping[EventKind, float] | None = None,
        *,
        start: int = 0,
        stop: int | None = None,
    ) -> Iterator[Entry]:
        """As `mixed`, but the kinds follow `mix` exactly within each chunk of CONTENT_CHUNK positions rather
        than over the whole run, so memory stays bounded however large `count` is (publish load plans
        rate x duration events and may send only a few of them)."""
        weights = mix or DEFAULT_MIX
        end = count if stop is None else min(stop, count)
        chunk = start // CONTENT_CHUNK
        while chunk * CONTENT_CHUNK < end:
            base = chunk * CONTENT_CHUNK
            self._rng = self._chunk_rng(chunk)
            counts = apportion(min(CONTENT_CHUNK, count - base), weights)
            kinds: list[EventKind] = [kind for kind, n in counts.items() for _ in range(n)]
            self._rng.shuffle(kinds)
            for offset, kind in enumerate(kinds[: end - base]):
                entry = self.entry(kind)
                if base + offset >= start:
                    yield entry
            chunk += 1

    def _chunk_rng(self, chunk: int) -> random.Random:
        # Content is drawn from one generator per chunk of CONTENT_CHUNK positions, seeded from (seed, chunk),
        # so a range starts at its chunk's beginning without drawing every earlier event. A str seed hashes
        # the same way in every process (unlike hash()).
        return random.Random(f"{self.seed}:{chunk}") if self.seed is not None else random.Random()


# -- JSON-lines files --------------------------------------------------------------------------------------


def parse_detail_override(text: str) -> dict[str, Any]:
    """`--detail` value: inline JSON object, or `@path` to a file holding one."""
    return read_json_object(text, "--detail")


def _entry_from_line(data: Any) -> Entry:
    """A PutEvents entry or an EventBridge envelope -> a PutEvents entry. Raises ValueError with a reason."""
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    if "Source" in data or "DetailType" in data:
        unknown = sorted(set(data) - ENTRY_KEYS)
        if unknown:
            raise ValueError(f"unknown PutEvents entry field(s): {', '.join(unknown)}")
        raw = {key: data.get(key) for key in ("Source", "DetailType", "Detail", "Resources", "Time")}
        trace = data.get("TraceHeader")
    elif "source" in data or "detail-type" in data:
        raw = {
            "Source": data.get("source"),
            "DetailType": data.get("detail-type"),
            "Detail": data.get("detail"),
            "Resources": data.get("resources"),
            "Time": data.get("time"),
        }
        trace = None
    else:
        raise ValueError("neither a PutEvents entry (Source, DetailType, Detail) nor an EventBridge event")
    entry: Entry = {}
    for key in ("Source", "DetailType"):
        if not isinstance(raw[key], str) or not raw[key]:
            raise ValueError(f"{key} must be a non-empty string")
        entry[key] = raw[key]
    detail = raw["Detail"] if raw["Detail"] is not None else {}
    if isinstance(detail, str):
        try:
            detail = strict_json.loads(detail, "Detail")
        except strict_json.JSONRefused as exc:
            raise ValueError(exc.message) from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"Detail is not valid JSON: {exc.msg}") from None
    if not isinstance(detail, dict):
        raise ValueError("Detail must be a JSON object (EventBridge ignores any other type)")
    entry["Detail"] = json.dumps(detail, separators=(",", ":"))
    if raw["Resources"] is not None:
        resources = raw["Resources"]
        if not isinstance(resources, list) or not all(isinstance(r, str) for r in resources):
            raise ValueError("Resources must be a list of strings (ARNs)")
        if resources:
            entry["Resources"] = resources
    if raw["Time"] is not None:
        entry["Time"] = _parse_time(raw["Time"])
    if trace is not None:
        if not isinstance(trace, str):
            raise ValueError("TraceHeader must be a string")
        entry["TraceHeader"] = trace
    # EventBusName is dropped on purpose: events go to the bus of the selected environment.
    return entry


def _parse_time(value: Any) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):  # beyond the platform's time_t or year 9999
            raise ValueError(f"Time {value!r} is out of range (epoch seconds from year 1 to 9999)") from None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"Time {value!r} is not an ISO 8601 timestamp") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ValueError("Time must be an ISO 8601 string or epoch seconds")


def parse_entries(lines: Sequence[str], source: str = "<input>", max_problems: int = 10) -> list[Entry]:
    """JSON lines -> entries. Blank lines are skipped; every bad line is reported with its number."""
    entries: list[Entry] = []
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entries.append(_entry_from_line(strict_json.loads(line, "the line")))
        except strict_json.JSONRefused as exc:
            problems.append(f"{source}:{number}: {exc.message}")
        except json.JSONDecodeError as exc:
            problems.append(f"{source}:{number}: not valid JSON: {exc.msg} (column {exc.colno})")
        except ValueError as exc:
            problems.append(f"{source}:{number}: {exc}")
    if problems:
        shown = problems[:max_problems]
        more = f"\n  ... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        raise UsageError(
            f"{len(problems)} line(s) are not events:\n  " + "\n  ".join(shown) + more,
            hint="each line must be a PutEvents entry {Source, DetailType, Detail} or an EventBridge event",
        )
    return entries


def parse_document(text: str, source: str = "<input>") -> list[Entry]:
    """A file's events: JSON lines, one JSON array of events, or one (pretty-printed) JSON object."""
    stripped = text.strip()
    if stripped[:1] in ("[", "{"):
        try:
            whole = strict_json.loads(stripped, "the file")
        except strict_json.JSONRefused as exc:
            if "\n" not in stripped:  # one line: reported as JSON lines are, with its number
                return parse_entries(text.splitlines(), source=source)
            raise UsageError(f"{source}: {exc.message}", hint=exc.hint) from None
        except json.JSONDecodeError:
            whole = None  # not one JSON document: JSON lines (checked line by line below)
        if isinstance(whole, list | dict):
            items = whole if isinstance(whole, list) else [whole]
            entries: list[Entry] = []
            problems: list[str] = []
            for number, item in enumerate(items, start=1):
                try:
                    entries.append(_entry_from_line(item))
                except ValueError as exc:
                    problems.append(f"{source}: event {number}: {exc}")
            if problems:
                raise UsageError(
                    f"{len(problems)} event(s) are not events:\n  " + "\n  ".join(problems[:10]),
                    hint="each must be a PutEvents entry {Source, DetailType, Detail} or an EventBridge event",
                )
            return entries
    return parse_entries(text.splitlines(), source=source)


LINE_WHY = "one event is at most a 1 MiB PutEvents entry"


def read_entries(path: Path) -> list[Entry]:
    """The events of a file, or of standard input for `-`, read line by line with a byte cap per line and
    for the whole (tooling.input_files): `publish file /dev/zero` is refused after one line's worth."""
    if str(path) == "-":
        return read_entries_from(sys.stdin.buffer, "<stdin>")
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    with stream:
        return read_entries_from(stream, str(path))


def read_entries_from(stream: BinaryIO, source: str) -> list[Entry]:
    text = input_files.read_json_lines(
        stream, source, input_files.EVENT_BYTES, input_files.FILE_BYTES, LINE_WHY
    )
    return parse_document(text, source=source)
