"""Case-insensitive matching (equals-ignore-case, and prefix/suffix/anything-but with it) as event-ruler does it.

event-ruler (aws/event-ruler, `input/EqualsIgnoreCaseParser.java`, which EventBridge runs) folds the *pattern*
only: it walks the pattern value one Java `char` (UTF-16 code unit) at a time, and each position then accepts
the UTF-8 bytes of that unit's `toLowerCase(Locale.ROOT)` or of its `toUpperCase(Locale.ROOT)`. The event's
value is compared as it is. Consequences worth knowing, all reproduced here:

- one character can stand for several: pattern "\u00df" (sharp s) accepts itself or "SS" (its upper case),
  but not "ss";
- it is not symmetric: pattern "SS" accepts "ss", "sS", "Ss", "SS", but not the sharp s;
- Greek sigma: capital sigma accepts the small or the capital one; final sigma accepts itself or the capital;
  a lone unit is never "final", so capital sigma never accepts final sigma;
- a title-case letter (U+01C5, say) accepts its lower or upper form, not itself;
- a character outside the BMP is two surrogate units, each of which Java encodes as "?" on its own, so such
  a pattern character accepts only "??" (a quirk of event-ruler; AWS behaves the same).

Python's `str.lower()`/`str.upper()` apply the same full, locale-independent Unicode mappings as Java's
`String.toLowerCase/toUpperCase(Locale.ROOT)` (SpecialCasing included: sharp s -> "SS", capital I with dot
above -> "i" + combining dot).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

Anchor = Literal["equals", "prefix", "suffix"]
_SURROGATE = "?"  # what Java's UTF-8 encoder writes for an unpaired surrogate


def alternatives(pattern: str) -> list[tuple[str, ...]]:
    """Per UTF-16 code unit of the pattern, the strings that position accepts (lower case first)."""
    units = pattern.encode("utf-16-le")
    found: list[tuple[str, ...]] = []
    for index in range(0, len(units), 2):
        unit = int.from_bytes(units[index : index + 2], "little")
        if 0xD800 <= unit <= 0xDFFF:
            found.append((_SURROGATE,))
            continue
        char = chr(unit)
        lower, upper = char.lower(), char.upper()
        found.append((lower,) if lower == upper else (lower, upper))
    return found


@lru_cache(maxsize=4096)
def _regex(pattern: str, anchor: Anchor) -> re.Pattern[str]:
    body = "".join(
        re.escape(options[0]) if len(options) == 1 else "(?:" + "|".join(map(re.escape, options)) + ")"
        for options in alternatives(pattern)
    )
    return re.compile(
        {"equals": rf"\A{body}\Z", "prefix": rf"\A{body}", "suffix": rf"{body}\Z"}[anchor], re.DOTALL
    )


def matches(value: str, pattern: str, anchor: Anchor = "equals") -> bool:
    """Does the event value match the pattern value ignoring case, the way event-ruler decides it?"""
    return _regex(pattern, anchor).search(value) is not None


def indexable(pattern: str) -> bool:
    """ASCII patterns can be looked up by `value.lower()` (a matching value is ASCII letters of the same
    length); others, whose forms change length or are not symmetric, are verified one by one instead."""
    return pattern.isascii()
