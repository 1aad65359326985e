"""IP addresses as EventBridge reads them (event-ruler's CIDR class, Java's InetAddress literals).

A string is an IP address only when it looks like one to event-ruler (`[0-9]+.[0-9]+.[0-9]+.[0-9]+`, or hex
digits and colons with at least one colon) and Java then reads it as a literal:

- IPv4: four decimal parts of at most 255, leading zeros allowed and read as decimal (`010.0.0.1` is
  10.0.0.1), at most 15 characters;
- IPv6: Java's reader (groups of hex digits worth at most 0xffff, one `::`); an IPv4-mapped address
  (`::ffff:a00:1`) is that IPv4 address. An IPv6 address with an embedded IPv4 part (`::ffff:10.0.0.1`) or a
  zone (`fe80::1%eth0`) does not look like an address, so it is an ordinary string.

event-ruler compares addresses as hex digit strings (8 for IPv4, 32 for IPv6) in a digit-by-digit automaton,
which has a visible consequence kept here: a range or address of one family tested against an address of the
other is decided on the digits both have, so `10.0.0.0/8` contains the IPv6 address `a00::`, and a wide IPv6
range can contain an IPv4 address (see `in_range`).
"""

from __future__ import annotations

import re

_IPV4 = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_IPV6 = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*")
_MAPPED = bytes(10) + b"\xff\xff"


class InvalidIp(Exception):
    """Looks like an IP address (event-ruler's test) but is not one (Java refuses the literal)."""


def looks_like_ip(text: str) -> bool:
    return _IPV4.fullmatch(text) is not None or _IPV6.fullmatch(text) is not None


def address_bytes(text: str) -> bytes | None:
    """4 or 16 bytes; None when the text does not look like an address; InvalidIp when it looks like one
    but is not (event-ruler's "Nonstandard IP address" and "Invalid IP address")."""
    if _IPV4.fullmatch(text) is not None:
        found = _ipv4(text)
    elif _IPV6.fullmatch(text) is not None:
        found = _ipv6(text)
    else:
        return None
    if found is None:
        raise InvalidIp(text)
    return found


def hex_digits(text: str) -> str | None:
    """The address as event-ruler's upper-case hex digits, or None when the text is not an address."""
    if not text or text[0] not in "0123456789abcdefABCDEF:":
        return None
    try:
        found = address_bytes(text)
    except InvalidIp:
        return None
    return None if found is None else found.hex().upper()


def _ipv4(text: str) -> bytes | None:
    # Java's IPAddressUtil.textToNumericFormatV4 on four decimal parts.
    if len(text) > 15:
        return None
    parts = [int(part) for part in text.split(".")]
    if any(part > 255 for part in parts):
        return None
    return bytes(parts)


def _ipv6(text: str) -> bytes | None:
    # Java's IPAddressUtil.textToNumericFormatV6, for text made of hex digits and colons only.
    if len(text) < 2:
        return None
    out = bytearray()
    gap = -1  # where '::' stands, in bytes written so far
    index = 0
    if text[0] == ":":
        if text[1] != ":":
            return None
        index = 1
    value = 0
    digits = False
    while index < len(text):
        char = text[index]
        index += 1
        if char != ":":
            value = (value << 4) | int(char, 16)
            if value > 0xFFFF:
                return None
            digits = True
            continue
        if not digits:
            if gap != -1:
                return None
            gap = len(out)
            continue
        if index == len(text) or len(out) + 2 > 16:
            return None
        out += value.to_bytes(2, "big")
        digits = False
        value = 0
    if digits:
        if len(out) + 2 > 16:
            return None
        out += value.to_bytes(2, "big")
    if gap != -1:
        if len(out) == 16:
            return None
        out[gap:gap] = bytes(16 - len(out))
    if len(out) != 16:
        return None
    return bytes(out[12:]) if out[:12] == _MAPPED else bytes(out)


_HEX = frozenset("0123456789ABCDEF")


def in_range(text: str, low: str, high: str, open_low: bool = False, open_high: bool = False) -> bool:
    """Whether text falls in the range [low, high] of hex digit strings (bounds of equal length) the way
    event-ruler's byte automaton decides it, reading the text one character at a time: at each position the
    character must be a hex digit; the match is made as soon as the text steps strictly inside the range
    (leaving the bounds' common prefix for a digit between them, or, after following one bound, moving past
    it inwards), or ends its walk on a bound that the range includes. An address longer than the bounds is
    so decided on its first len(low) digits; a shorter one (IPv4 against an IPv6 range) only when it steps
    inside within its own digits. Number text walks the same automaton (model.Cidr)."""
    size = len(low)
    follow = ""  # the bound followed since the bounds diverged
    for position in range(min(len(text), size)):
        char = text[position]
        if char not in _HEX:
            return False
        lo, hi = low[position], high[position]
        last = position == size - 1
        if not follow:
            if lo == hi:
                if char != lo:
                    return False
                if last:
                    return not (open_low or open_high)
                continue
            if lo < char < hi:
                return True
            if char == lo:
                follow = "low"
            elif char == hi:
                follow = "high"
            else:
                return False
        elif follow == "low":
            if char != lo:
                return char > lo
        elif char != hi:
            return char < hi
        if last:
            return not (open_high if follow == "high" else open_low)
    return False
