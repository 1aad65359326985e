"""Numbers as EventBridge compares them (event-ruler's ComparableNumber).

event-ruler reads a JSON number's text as a decimal and compares it as a double only when the double is that
very number: the text's value must equal the value of the double's own decimal form, as Java's
`Double.toString` writes it (`BigDecimal.valueOf(d).compareTo(new BigDecimal(text)) == 0`). Any other number
(beyond the double range like `1e400` or a 400-digit integer, or more digits than a double holds like
9007199254740993 or 2**60) is not a number there at all: it never satisfies `numeric`, never equals a number
of a pattern, and is different from every value of an `anything-but` list; only the very same text written
as a pattern value matches it. In a pattern, such a number is refused in `numeric` and `anything-but`
("Cannot compare number : <text>") and kept as text in a list of values.

`comparable_int`/`comparable_text` decide it; `TextNumber` stands for an event number that is not comparable.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# Every integer up to 2**53 is a double whose decimal form is the integer itself.
SAFE_INTEGER = 2**53
SMALLEST_NORMAL = 2.2250738585072014e-308


class TextNumber:
    """An event number that is not exactly a double: equal only to a pattern number with the same text."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextNumber) and other.text == self.text

    def __hash__(self) -> int:
        return hash(("TextNumber", self.text))

    def __repr__(self) -> str:
        return f"TextNumber({self.text})"


def _java_decimal(value: float) -> Decimal:
    """The value of Java's Double.toString(value): the shortest decimal that reads back as the same double
    (Python's repr), except that Java writes at least two significant digits in scientific notation, which
    only changes the value of subnormal numbers (4.9E-324, where repr says 5e-324)."""
    if value != 0.0 and abs(value) < SMALLEST_NORMAL:
        digits = repr(value).split("e")[0].replace(".", "").replace("-", "").lstrip("0")
        if len(digits) < 2:
            return Decimal(f"{value:.1e}")
    return Decimal(repr(value))


def comparable_text(text: str) -> float | None:
    """The double a JSON number's text stands for when event-ruler compares it as a number, else None."""
    try:
        exact = Decimal(text)
    except InvalidOperation:
        return None
    value = float(exact)  # beyond the double range: inf, never an error
    if value - value != 0.0:
        return None
    return value if _java_decimal(value) == exact else None


def comparable_int(value: int) -> bool:
    """Whether an integer (a JSON integer's value) is compared as a number by event-ruler."""
    if -SAFE_INTEGER <= value <= SAFE_INTEGER:
        return True
    return comparable_text(str(value)) is not None


def event_number(value: int | float) -> int | float | TextNumber:
    """An event's number as the matchers take it: itself when comparable, else a TextNumber."""
    if type(value) is int:
        if -SAFE_INTEGER <= value <= SAFE_INTEGER:
            return value
        # Compared as the double, as event-ruler does: 10**30 is then equal to 1e30, not below it.
        return float(value) if comparable_int(value) else TextNumber(str(value))
    text = repr(value)
    if value - value != 0.0:
        return TextNumber(text)
    # A finite double written as its shortest form (repr) is that number, subnormals aside (_java_decimal).
    if value and -SMALLEST_NORMAL < value < SMALLEST_NORMAL and comparable_text(text) is None:
        return TextNumber(text)
    return value
