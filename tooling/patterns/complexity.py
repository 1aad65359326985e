"""How complex a field's wildcard patterns are, the way EventBridge decides "Rule is too complex".

EventBridge compiles every wildcard of a field into one byte automaton and rejects the rule when some input
could keep too many wildcard states alive at once (event-ruler's MachineComplexityEvaluator). This module
measures the same quantity on a plain NFA: the largest number of live (pattern, position) states reachable by
any input, explored over the patterns' own characters plus one character they do not contain. It is a faithful
estimate rather than a port: limits close to the threshold may be judged differently from AWS.
"""

from __future__ import annotations

from collections import deque

State = tuple[int, int]  # (pattern index, position in its tokens)


def wildcard_complexity(patterns: list[list[str | None]], cap: int) -> int:
    """The largest live-state count over all inputs (stops early once it exceeds `cap`). Each pattern is a
    wildcard's tokens (parse.wildcard_tokens: its characters, None for each `*`)."""
    alphabet = sorted({token for tokens in patterns for token in tokens if token is not None})
    other = "\x00"
    while other in alphabet:
        other = chr(ord(other) + 1)
    letters = [*alphabet, other]

    def closure(states: set[State]) -> frozenset[State]:
        todo = list(states)
        seen = set(states)
        while todo:
            index, position = todo.pop()
            tokens = patterns[index]
            if position < len(tokens) and tokens[position] is None:
                nxt = (index, position + 1)
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return frozenset(seen)

    start = closure({(index, 0) for index in range(len(patterns))})
    worst = len(start)
    seen_sets = {start}
    queue = deque([start])
    budget = 20000  # explored state sets; ample for real patterns
    while queue and budget > 0:
        budget -= 1
        current = queue.popleft()
        for letter in letters:
            moved: set[State] = set()
            for index, position in current:
                tokens = patterns[index]
                if position < len(tokens):
                    token = tokens[position]
                    if token is None:
                        moved.add((index, position))
                    elif token == letter:
                        moved.add((index, position + 1))
            if not moved:
                continue
            following = closure(moved)
            worst = max(worst, len(following))
            if worst > cap:
                return worst
            if following not in seen_sets:
                seen_sets.add(following)
                queue.append(following)
    return worst
