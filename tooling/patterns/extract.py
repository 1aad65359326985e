"""The values of an event at the key paths some rule references, the way event-ruler reads an event.

event-ruler (Event.java) walks the event and names each leaf by its keys joined with ".", every key
included: `{"": {"b": 1}}` is ".b", not "b", and `{"a.b": 1}` is "a.b" like `{"a": {"b": 1}}`. It skips a
key that no rule of the machine uses as a step (GenericMachine.isFieldStepUsed: the steps are the rules' key
paths split at ".", as Java's split drops trailing empty strings), so a value is seen only when each of its
keys is such a step. Array membership is recorded for objects and arrays inside arrays, not for the scalar
elements themselves (model.py's trails).

A Plan is compiled once from the rules' paths. Its walk follows only the keys that lead to a referenced path
(a trie of the paths' steps, one dictionary lookup per step) and falls back to reading every key of an
object when it holds a key with a "." that joins into a referenced path (`{"a.b": 1}` for the path "a.b"),
or when the event comes as a jsontext.Pairs (an object whose duplicate keys are all kept). For a plan that
reads many events (a RuleSet's), compile() generates the trie walk as Python source (each object of the trie
walked inline, a function per array), since a generic recursive walk spent most of its time on calls and
type tests; generate_walk is shared with the RuleSet's scanner.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from itertools import count
from typing import Any

from tooling.patterns.jsontext import Pairs, floats_need_exact, read_event, read_event_exactly
from tooling.patterns.model import Flat, Trail
from tooling.patterns.numbers import SAFE_INTEGER, SMALLEST_NORMAL, event_number

MAX_DOUBLE = 1.7976931348623157e308

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
    __slots__ = ("children", "dotted", "is_path", "path")

    def __init__(self, path: str | None) -> None:
        self.path = path  # the joined path of the steps leading here; None at the root
        self.is_path = False
        self.children: list[tuple[str, _Node]] = []
        # Keys holding a "." that would join into a referenced path from here ("a.b" for the path "x.a.b"
        # at node "x"): an object with one of them is read key by key.
        self.dotted: set[str] = set()


class Plan:
    """How to read the values an event holds at a set of key paths."""

    __slots__ = ("_root", "_used", "_walk", "paths", "prefixes")

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
        for path in self.paths:
            steps = path.split(".")
            node = self._root
            for depth in range(len(steps)):
                node.dotted.update(".".join(steps[depth:end]) for end in range(depth + 2, len(steps) + 1))
                child = next((c for s, c in node.children if s == steps[depth]), None)
                if child is None:
                    break
                node = child
        self._walk: Any = None  # the generated walk, once compile() made it

    def compile(self) -> None:
        """Generate the walk as code (module docstring): compiling it costs milliseconds, worth it for a plan
        that reads many events."""
        if self._walk is None:
            self._walk = _generate(self)

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
        elif type(event) is dict:
            walk = self._walk
            if walk is None:
                self._object(event, self._root, (), out, arrays)
            else:
                walk(event, out, arrays, ())
        else:
            self._object(event, self._root, (), out, arrays)
        return out

    def values_json(self, data: bytes | str) -> Flat:
        """values() of an event's JSON text, read as event-ruler reads it (jsontext)."""
        return self.values_read(*read_event(data))

    def values_read(self, event: dict[str, Any] | Pairs, raw: bytes | None) -> Flat:
        """values() of what jsontext.read_event returned (its text again when floats may need it)."""
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
        if not node.dotted.isdisjoint(obj):
            self._general(obj.items(), node.path, trail, out, arrays)
            return
        for step, child in node.children:
            value = obj.get(step, _MISSING)
            if value is not _MISSING:
                self._visit(value, child, trail, out, arrays)

    def _visit(self, value: Any, node: _Node, trail: Trail, out: Flat, arrays: count[int]) -> None:
        kind = type(value)
        if kind is list:
            array = next(arrays)
            for index, item in enumerate(value):
                self._visit_item(item, node, trail, array, index, out, arrays)
        elif kind is Pairs:
            if node.children:
                self._general(value, node.path, trail, out, arrays)
        elif kind is dict or (kind not in _SCALARS and isinstance(value, Mapping)):
            if node.children:
                self._object(value, node, trail, out, arrays)
        elif node.is_path:
            _record(out, node.path, value, trail)  # type: ignore[arg-type]  # is_path nodes have a path

    def _visit_item(
        self, item: Any, node: _Node, trail: Trail, array: int, index: int, out: Flat, arrays: count[int]
    ) -> None:
        """An element of an array: objects and arrays enter it (their trail gains the step), scalars do not."""
        kind = type(item)
        if (
            kind is dict
            or kind is list
            or kind is Pairs
            or (kind not in _SCALARS and isinstance(item, Mapping))
        ):
            self._visit(item, node, (*trail, (array, index)), out, arrays)
        elif node.is_path:
            _record(out, node.path, item, trail)  # type: ignore[arg-type]  # is_path nodes have a path

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


_SCALARS = frozenset({str, int, float, bool, type(None)})


# The numbers a walk passes on as they are (ints within 2**53, finite normal doubles and zero); any other
# goes through numbers.event_number.
FAST_NUMBER = (
    f"(-{SAFE_INTEGER} <= {{v}} <= {SAFE_INTEGER} if t is int else ({SMALLEST_NORMAL!r} <= {{v}} <= "
    f"{MAX_DOUBLE!r} or -{MAX_DOUBLE!r} <= {{v}} <= -{SMALLEST_NORMAL!r} or {{v}} == 0.0))"
)


# What a generated walk does at a leaf: emit(node, var, kind, trail, where, indent, lines) appends the code
# for one scalar value `var` of the kind "str", "number" (int or float) or "other" (bool, null) at a
# referenced path; `where` says whether the trail expression is known "empty", known "inside" an array, or
# not known ("either").
LeafCode = Callable[[Any, str, str, str, str, str, list[str]], None]


def generate_walk(
    plan: Plan,
    leaf: LeafCode,
    escape: str,
    namespace: dict[str, Any],
    name: str,
    prelude: str = "",
    element: str = "",
) -> Any:
    """A walk of the plan's trie as generated source: `walk(event_dict, out, arrays, trail)` (module
    docstring). An object of the trie is walked inline (its keys looked up one by one); each node has a
    function for an array found there, whose objects are walked inline in its loop. `escape` is the code for
    what the trie cannot read (an object with a dotted key, a value of another type): with {obj} and {node},
    and for array elements {item}. `namespace` holds the names the leaf code uses; `prelude` starts each
    array function (before its loop), `element` the walk of each object of an array."""
    lines: list[str] = []
    numbered: dict[int, _Node] = {}

    def number(node: _Node) -> int:
        for n, known in numbered.items():
            if known is node:
                return n
        numbered[len(numbered)] = node
        return len(numbered) - 1

    def scalars(node: _Node, var: str, trail: str, where: str, ind: str, first: bool) -> None:
        """The branches for the scalar kinds (the first one an `if`, unless `first` is False)."""
        for kind, test in (
            ("str", "t is str"),
            ("number", "t is int or t is float"),
            ("other", f"t is bool or {var} is None"),
        ):
            lines.append(f"{ind}{'if' if first else 'elif'} {test}:")
            first = False
            if node.is_path:
                leaf(node, var, kind, trail, where, ind + "    ", lines)
            else:
                lines.append(f"{ind}    pass")

    def walk_object(node: _Node, obj: str, trail: str, where: str, depth: int, ind: str) -> None:
        if node.dotted:
            lines.append(f"{ind}if not nodes[{number(node)}].dotted.isdisjoint({obj}):")
            lines.append(f"{ind}    " + escape.format(obj=obj, node=number(node), trail=trail, item="None"))
            lines.append(f"{ind}else:")
        else:
            lines.append(f"{ind}if True:")
        for step, child in node.children:
            var = f"v{depth}"
            lines.append(f"{ind}    {var} = {obj}.get({step!r}, M)")
            lines.append(f"{ind}    if {var} is not M:")
            walk_value(child, var, trail, where, depth, ind + "        ")

    def walk_value(node: _Node, var: str, trail: str, where: str, depth: int, ind: str) -> None:
        n = number(node)
        lines.append(f"{ind}t = type({var})")
        if node.children:  # an object is the likely value here
            lines.append(f"{ind}if t is dict:")
            walk_object(node, var, trail, where, depth + 1, ind + "    ")
            scalars(node, var, trail, where, ind, first=False)
        else:
            scalars(node, var, trail, where, ind, first=True)
            lines.append(f"{ind}elif t is dict:")
            lines.append(f"{ind}    pass")
        lines.append(f"{ind}elif t is list:")
        lines.append(f"{ind}    l{n}({var}, out, arrays, {trail})")
        lines.append(f"{ind}else:")
        lines.append(f"{ind}    " + escape.format(obj=var, node=n, trail=trail, item="None"))

    def walk_list(node: _Node) -> None:
        # Objects and arrays of an array gain the element's step in their trail; its scalars do not.
        n = number(node)
        lines.append(f"def l{n}(lst, out, arrays, trail):")
        if prelude:
            lines.append(f"    {prelude}")
        lines.append("    a = next(arrays)")
        lines.append("    for i, e in enumerate(lst):")
        lines.append("        t = type(e)")
        lines.append("        if t is dict:")
        if node.children:
            lines.append("            inner = (*trail, (a, i))")
            if element:
                lines.append(f"            {element}")
            walk_object(node, "e", "inner", "inside", 1, "            ")
        else:
            lines.append("            pass")
        lines.append("        elif t is list:")
        lines.append(f"            l{n}(e, out, arrays, (*trail, (a, i)))")
        scalars(node, "e", "trail", "either", "        ", first=False)
        lines.append("        else:")
        lines.append("            " + escape.format(obj="e", node=n, trail="trail", item="(a, i)"))
        for _, child in node.children:
            walk_list(child)

    lines.append("def walk(obj, out, arrays, trail):")
    if plan._root.children:
        walk_object(plan._root, "obj", "trail", "empty", 0, "    ")
    else:
        lines.append("    pass")
    walk_list(plan._root)
    namespace = {**namespace, "M": _MISSING, "nodes": numbered}
    run_source("\n".join(lines), name, namespace)
    return namespace["walk"]


_COMPILED: dict[str, Any] = {}


def run_source(source: str, name: str, namespace: dict[str, Any]) -> None:
    """Execute generated source (our own, built from the rules' keys with repr()) in the namespace. The
    compiled code is kept by its text: rule sets with the same paths and tables share it (compiling costs
    milliseconds; a test builds hundreds of rule sets)."""
    code = _COMPILED.get(source)
    if code is None:
        if len(_COMPILED) >= 256:
            _COMPILED.clear()
        code = _COMPILED[source] = compile(source, f"<tooling.patterns: {name}>", "exec")
    exec(code, namespace)


def _record_code(
    node: _Node, var: str, kind: str, trail: str, where: str, ind: str, lines: list[str]
) -> None:
    """Append a scalar to its path: strings, booleans, null and numbers that are their own double at once."""
    path = repr(node.path)
    if kind == "number":
        lines.append(f"{ind}if not ({FAST_NUMBER.format(v=var)}):")
        lines.append(f"{ind}    {var} = number({var})")
    lines.append(f"{ind}b = out.get({path})")
    lines.append(f"{ind}if b is None:")
    lines.append(f"{ind}    out[{path}] = [({var}, {trail})]")
    lines.append(f"{ind}else:")
    lines.append(f"{ind}    b.append(({var}, {trail}))")


def _generate(plan: Plan) -> Any:
    namespace = {
        "number": event_number,
        "general": plan._general,
        "visit": plan._visit,
        "item": plan._visit_item,
    }
    escape = (
        "general({obj}.items(), nodes[{node}].path, {trail}, out, arrays) if {item} is None and "
        "type({obj}) is dict else (visit({obj}, nodes[{node}], {trail}, out, arrays) if {item} is None "
        "else item({obj}, nodes[{node}], {trail}, *{item}, out, arrays))"
    )
    return generate_walk(plan, _record_code, escape, namespace, "trie walk")


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
