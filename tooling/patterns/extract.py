"""The values of an event at the key paths some rule references, the way event-ruler reads an event.

event-ruler (Event.java) walks the event and names each leaf by its keys joined with ".", every key
included: `{"": {"b": 1}}` is ".b", not "b", and `{"a.b": 1}` is "a.b" like `{"a": {"b": 1}}`. It skips a
key that no rule of the machine uses as a step (GenericMachine.isFieldStepUsed: the steps are the rules' key
paths split at ".", as Java's split drops trailing empty strings), so a value is seen only when each of its
keys is such a step. Array membership is recorded for objects and arrays inside arrays, not for the scalar
elements themselves (model.py's trails).

A Plan is compiled once from the rules' paths. Its walk follows only the keys that lead to a referenced path
(a trie of the paths' steps, one dictionary lookup per step) and falls back to reading every key of an
object when one of its keys holds a "." (which can join into a referenced path) or when the event comes as
a jsontext.Pairs (an object whose duplicate keys are all kept).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import count
from typing import Any

from tooling.patterns.jsontext import Pairs, floats_need_exact, read_event, read_event_exactly
from tooling.patterns.model import Flat, Trail
from tooling.patterns.numbers import SAFE_INTEGER, SMALLEST_NORMAL, event_number

_MISSING = object()


def java_split(path: str) -> list[str]:
    """Java's path.split("\\\\.") (event-ruler's step names): trailing empty strings are dropped."""
    if not path:
        return [""]
    parts = path.split(".")
    while parts and parts[-1] == "":
        parts.pop()
    return parts


class _Node:
    __slots__ = ("children", "is_path", "path")

    def __init__(self, path: str | None) -> None:
        self.path = path  # the joined path of the steps leading here; None at the root
        self.is_path = False
        self.children: list[tuple[str, _Node]] = []


class Plan:
    """How to read the values an event holds at a set of key paths."""

    __slots__ = ("_root", "_used", "paths", "prefixes")

    def __init__(self, paths: Iterable[str]) -> None:
        self.paths = frozenset(paths)
        self.prefixes = frozenset(p[:i] for p in self.paths for i, char in enumerate(p) if char == ".")
        used: set[str] = set()
        for path in self.paths:
            used.update(java_split(path))
        self._used = frozenset(used)
        self._root = _Node(None)
        for path in sorted(self.paths):
            node = self._root
            for step in path.split("."):
                if step not in used:
                    break  # event-ruler never reads this key: the path is never seen
                child = next((c for s, c in node.children if s == step), None)
                if child is None:
                    child = _Node(step if node.path is None else f"{node.path}.{step}")
                    node.children.append((step, child))
                node = child
            else:
                node.is_path = True

    def is_used(self, key: str) -> bool:
        """event-ruler's isFieldStepUsed: the key itself, or every piece of a dotted key, is a rule's step."""
        if key in self._used:
            return True
        return "." in key and all(part in self._used for part in java_split(key))

    def values(self, event: Mapping[str, Any] | Pairs) -> Flat:
        """path -> [(value, trail)] for the referenced paths the event holds."""
        out: Flat = {}
        arrays = count()
        if isinstance(event, Pairs):
            self._general(event, None, (), out, arrays)
        else:
            self._object(event, self._root, (), out, arrays)
        return out

    def values_json(self, data: bytes | str) -> Flat:
        """values() of an event's JSON text, read as event-ruler reads it (jsontext)."""
        event, raw = read_event(data)
        flat = self.values(event)
        if raw is not None:
            floats = [value for bucket in flat.values() for value, _ in bucket if type(value) is float]
            if floats and floats_need_exact(raw, floats):
                flat = self.values(read_event_exactly(raw))
        return flat

    # -- the walk along the trie ----------------------------------------------------------------------------

    def _object(
        self, obj: Mapping[str, Any], node: _Node, trail: Trail, out: Flat, arrays: count[int]
    ) -> None:
        try:
            dotted = "." in "".join(obj)
        except TypeError:  # keys that are not strings (a dict built in Python): read them one by one
            dotted = True
        if dotted:
            self._general(obj.items(), node.path, trail, out, arrays)
            return
        for step, child in node.children:
            value = obj.get(step, _MISSING)
            if value is not _MISSING:
                self._visit(value, child, trail, out, arrays)

    def _visit(self, value: Any, node: _Node, trail: Trail, out: Flat, arrays: count[int]) -> None:
        kind = type(value)
        if kind is dict or (kind is not list and kind is not Pairs and isinstance(value, Mapping)):
            if node.children:
                self._object(value, node, trail, out, arrays)
        elif kind is list:
            array = next(arrays)
            for index, item in enumerate(value):
                if type(item) in (dict, list, Pairs) or isinstance(item, Mapping):
                    self._visit(item, node, (*trail, (array, index)), out, arrays)
                elif node.is_path:
                    _record(out, node.path, item, trail)  # type: ignore[arg-type]  # is_path nodes have one
        elif kind is Pairs:
            if node.children:
                self._general(value, node.path, trail, out, arrays)
        elif node.is_path:
            _record(out, node.path, value, trail)  # type: ignore[arg-type]  # is_path nodes have a path

    # -- reading every key ----------------------------------------------------------------------------------

    def _general(
        self,
        items: Iterable[tuple[Any, Any]],
        prefix: str | None,
        trail: Trail,
        out: Flat,
        arrays: count[int],
    ) -> None:
        paths, prefixes = self.paths, self.prefixes
        for key, value in items:
            key = str(key)
            path = key if prefix is None else f"{prefix}.{key}"
            if (path in paths or path in prefixes) and self.is_used(key):
                self._general_value(value, path, trail, out, arrays)

    def _general_value(self, value: Any, path: str, trail: Trail, out: Flat, arrays: count[int]) -> None:
        if type(value) is Pairs:
            if path in self.prefixes:
                self._general(value, path, trail, out, arrays)
        elif isinstance(value, Mapping):
            if path in self.prefixes:
                self._general(value.items(), path, trail, out, arrays)
        elif type(value) is list:
            array = next(arrays)
            for index, item in enumerate(value):
                if type(item) in (list, Pairs) or isinstance(item, Mapping):
                    self._general_value(item, path, (*trail, (array, index)), out, arrays)
                elif path in self.paths:
                    _record(out, path, item, trail)
        elif path in self.paths:
            _record(out, path, value, trail)


def _record(out: Flat, path: str, value: Any, trail: Trail) -> None:
    kind = type(value)
    if kind is int:
        if not -SAFE_INTEGER <= value <= SAFE_INTEGER:
            value = event_number(value)
    elif kind is float:
        if value - value != 0.0 or (value and -SMALLEST_NORMAL < value < SMALLEST_NORMAL):
            value = event_number(value)
    elif kind is not str and isinstance(value, int) and not isinstance(value, bool):
        value = event_number(int(value))  # an int subclass (IntEnum): its number
    bucket = out.get(path)
    if bucket is None:
        out[path] = [(value, trail)]
    else:
        bucket.append((value, trail))
