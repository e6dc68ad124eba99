"""A faster drop-in for medspaCy's ConText component (same rules, same modifiers, same output).

medspaCy's ConText spends ~90% of its time in spaCy's token `Matcher`, which starts every one of
its ~90 token patterns at every token, and then asks `doc[i].sent` per modifier (each call
scans the whole doc's sentence annotation). Here the rules are compiled once into:
- an index from a token's lower-case form to the token patterns and literal phrases that can
  start there (so a token is tested only against the few rules it can begin), and
- per-document arrays of sentence bounds, so each modifier's scope is computed directly.

Everything after matching — overlap pruning, scopes, `limit_scope`, `apply_modifiers`, the
`Span._.modifiers`/`Doc._.context_graph` extensions and default span attributes — is
medspaCy's own code, so assertions cannot drift. The matcher supports the token-pattern
features our rule set uses (LOWER as a string or IN/NOT_IN, SPACY, IS_PUNCT, IS_SPACE, and the
ops ?, * and +); `FastContext` refuses a rule it cannot compile rather than mis-match it.
tests/nlp/test_nlp_assertion.py checks it against medspaCy's matcher on sample notes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from spacy.attrs import IS_PUNCT, IS_SPACE, LOWER, SENT_START, SPACY
from spacy.tokens import Doc, Span

Predicate = Callable[[str, int, int, int], bool]  # (lower, SPACY, IS_PUNCT, IS_SPACE) as 0/1
_SUPPORTED_OPS = {None, "?", "*", "+"}
_ATTRS = [LOWER, SPACY, IS_PUNCT, IS_SPACE]
_CACHE_SIZE = 200_000  # LOWER hashes -> strings, bounded for long backfills


class UnsupportedPattern(ValueError):
    pass


def _spec_predicate(spec: dict[str, Any]) -> tuple[Predicate, frozenset[str] | None]:
    """A token spec's test, and the lower-case forms it can match (None: not limited)."""
    tests: list[Predicate] = []
    lowers: frozenset[str] | None = None
    for key, value in spec.items():
        if key == "OP":
            continue
        if key == "LOWER":
            if isinstance(value, str):
                lowers = frozenset({value})
            elif isinstance(value, dict) and set(value) == {"IN"}:
                lowers = frozenset(value["IN"])
            elif isinstance(value, dict) and set(value) == {"NOT_IN"}:
                banned = frozenset(value["NOT_IN"])
                tests.append(lambda low, ws, p, s, banned=banned: low not in banned)
            else:
                raise UnsupportedPattern(f"LOWER {value!r}")
        elif key == "SPACY" and isinstance(value, bool):
            tests.append(lambda low, ws, p, s, want=value: bool(ws) == want)
        elif key == "IS_PUNCT" and isinstance(value, bool):
            tests.append(lambda low, ws, p, s, want=value: p == want)
        elif key == "IS_SPACE" and isinstance(value, bool):
            tests.append(lambda low, ws, p, s, want=value: s == want)
        else:
            raise UnsupportedPattern(f"{key}: {value!r}")
    if lowers is not None:
        allowed = lowers
        tests.insert(0, lambda low, ws, p, s, allowed=allowed: low in allowed)
    if not tests:
        return (lambda low, ws, p, s: True), None
    if len(tests) == 1:
        return tests[0], lowers
    return (lambda low, ws, p, s, tests=tuple(tests): all(t(low, ws, p, s) for t in tests)), lowers


class _TokenPattern:
    """One token pattern; `ends(i)` gives every end at which it matches starting at token i."""

    def __init__(self, pattern: Sequence[dict[str, Any]]) -> None:
        self.specs: list[tuple[Predicate, str | None]] = []
        first: set[str] = set()
        limits: list[frozenset[str] | None] = []  # per spec, the lower-case forms it allows
        first_open = True  # still collecting the lower-case forms a match can start with
        self.anywhere = False  # can start at a token whose lower form is not known up front
        for spec in pattern:
            op = spec.get("OP")
            if op not in _SUPPORTED_OPS:
                raise UnsupportedPattern(f"OP {op!r}")
            predicate, lowers = _spec_predicate(spec)
            self.specs.append((predicate, op))
            limits.append(lowers)
            if first_open:
                if lowers is None:
                    self.anywhere = True
                    first_open = False
                else:
                    first |= lowers
                    if op in (None, "+"):
                        first_open = False
        if first_open:  # every spec optional: spaCy still needs one token; test everywhere
            self.anywhere = True
        self.first = frozenset(first)
        self.fixed = bool(self.specs) and all(op is None for _, op in self.specs)
        # One required word and nothing else to test: found wherever its word is ("is").
        self.single_word = (
            len(pattern) == 1 and pattern[0].get("OP") is None and set(pattern[0]) == {"LOWER"}
        )
        # The lower-case forms the second token of a match can take, where every path through
        # the pattern limits them and no match is one token long: most patterns that start at
        # a common word ("is", "and", ",") fail there, without exploring them in `ends`.
        ops = [op for _, op in self.specs]
        self.second = None if self.anywhere else _second_lowers(ops, limits)

    def ends(self, i: int, toks: Sequence[tuple[str, int, int, int]]) -> set[int]:
        n = len(toks)
        specs = self.specs
        if self.fixed:  # no optional or repeated token: one possible end
            end = i + len(specs)
            if end > n:
                return set()
            for k, (test, _) in enumerate(specs):
                if not test(*toks[i + k]):
                    return set()
            return {end}
        found: set[int] = set()
        # (spec index, token index); every path through the optional/repeat ops is explored.
        stack = [(0, i)]
        seen: set[tuple[int, int]] = set()
        while stack:
            state = stack.pop()
            if state in seen:
                continue
            seen.add(state)
            k, j = state
            if k == len(specs):
                if j > i:
                    found.add(j)
                continue
            test, op = specs[k]
            ok = j < n and test(*toks[j])
            if op is None:
                if ok:
                    stack.append((k + 1, j + 1))
            elif op == "?":
                stack.append((k + 1, j))
                if ok:
                    stack.append((k + 1, j + 1))
            elif op == "*":
                stack.append((k + 1, j))
                if ok:
                    stack.append((k, j + 1))
            else:  # "+"
                if ok:
                    stack.append((k + 1, j + 1))
                    stack.append((k, j + 1))
        return found


class RuleMatcher:
    """All (rule, start, end) matches of ConText rules in a doc, as medspaCy's matcher finds
    them before its overlap pruning: token-pattern matches first, then literal phrases."""

    def __init__(self, rules: Iterable[Any], tokenize: Callable[[str], Doc]) -> None:
        self.patterns: list[tuple[Any, _TokenPattern]] = []
        self.by_first: dict[str, list[tuple[Any, _TokenPattern]]] = {}
        self.anywhere: list[tuple[Any, _TokenPattern]] = []
        self.phrases: dict[tuple[str, ...], list[Any]] = {}
        self.phrase_first: dict[str, list[tuple[str, ...]]] = {}
        for rule in rules:
            if rule.on_match is not None:
                raise UnsupportedPattern("on_match callbacks")
            if rule.pattern is None:
                words = tuple(t.lower_ for t in tokenize(rule.literal.lower()))
                if words:
                    if words not in self.phrases:
                        self.phrase_first.setdefault(words[0], []).append(words)
                    self.phrases.setdefault(words, []).append(rule)
            elif isinstance(rule.pattern, list):
                entry = (rule, _TokenPattern(rule.pattern))
                self.patterns.append(entry)
                if entry[1].anywhere:
                    self.anywhere.append(entry)
                else:
                    for low in entry[1].first:
                        self.by_first.setdefault(low, []).append(entry)
            else:
                raise UnsupportedPattern("regular-expression rules")
        self.order = {id(rule): n for n, (rule, _) in enumerate(self.patterns)}
        self.starters = frozenset(self.by_first) | frozenset(self.phrase_first)
        self._lower_of: dict[int, str] = {}

    def __call__(self, doc: Doc) -> list[tuple[Any, int, int]]:
        toks = _token_tuples(doc, self._lower_of)
        n = len(toks)
        token_hits: list[tuple[int, int, int, Any]] = []
        phrase_hits: list[tuple[Any, int, int]] = []
        by_first, anywhere, phrase_first = self.by_first, self.anywhere, self.phrase_first
        order = self.order
        # Most tokens start no rule: find the few that can in one pass, then test those.
        starters = self.starters
        if anywhere:
            positions: Iterable[int] = range(n)
        else:
            positions = [i for i, tok in enumerate(toks) if tok[0] in starters]
        for i in positions:
            low = toks[i][0]
            candidates = by_first.get(low, ())
            after = toks[i + 1][0] if i + 1 < n else None
            for group in (candidates, anywhere):
                for rule, pattern in group:
                    if pattern.single_word:
                        token_hits.append((i, i + 1, order[id(rule)], rule))
                        continue
                    if pattern.second is not None and after not in pattern.second:
                        continue
                    for end in pattern.ends(i, toks):
                        token_hits.append((i, end, order[id(rule)], rule))
            for words in phrase_first.get(low, ()):
                end = i + len(words)
                if end <= n and all(toks[i + k][0] == w for k, w in enumerate(words)):
                    for rule in self.phrases[words]:
                        phrase_hits.append((rule, i, end))
        # spaCy's Matcher lists a pattern's matches by start, then end, then pattern order.
        token_hits.sort(key=lambda hit: hit[:3])
        return [(rule, s, e) for s, e, _, rule in token_hits] + phrase_hits


def _token_tuples(doc: Doc, cache: dict[int, str]) -> list[tuple[str, int, int, int]]:
    """(lower, SPACY, IS_PUNCT, IS_SPACE) per token, read as arrays: a Token object per
    token cost more than the matching. `cache` maps LOWER hashes to their strings."""
    if not len(doc):
        return []
    strings = doc.vocab.strings
    table = doc.to_array(_ATTRS)
    keys = table[:, 0].tolist()  # by column: a 2-D tolist() costs 6x as much
    lowers = list(map(cache.get, keys))  # C-level lookups; misses filled in below
    for i, text in enumerate(lowers) if None in lowers else ():
        if text is None:
            text = lowers[i] = strings[keys[i]]
            if len(cache) < _CACHE_SIZE:
                cache[keys[i]] = text
    columns = (table[:, 1].tolist(), table[:, 2].tolist(), table[:, 3].tolist())
    return list(zip(lowers, *columns, strict=True))


def _second_lowers(
    ops: list[str | None], limits: list[frozenset[str] | None]
) -> frozenset[str] | None:
    """The lower-case forms a match's second token can take over every path through the
    specs (their `OP`s and `LOWER` limits), or None if a match can be one token long or some
    reachable spec takes any form."""

    def closure(states: set[int]) -> set[int]:  # add the states reachable by skipping ?/*
        out, todo = set(), list(states)
        while todo:
            k = todo.pop()
            if k not in out:
                out.add(k)
                if k < len(ops) and ops[k] in ("?", "*"):
                    todo.append(k + 1)
        return out

    after_first: set[int] = set()
    for k in closure({0}) - {len(ops)}:
        after_first |= {k, k + 1} if ops[k] in ("*", "+") else {k + 1}
    lowers: set[str] = set()
    for k in closure(after_first):
        limit = limits[k] if k < len(ops) else None
        if limit is None:
            return None
        lowers |= limit
    return frozenset(lowers)


def prune_overlapping(matches: list[tuple[Any, int, int]]) -> list[tuple[Any, int, int]]:
    """medspaCy's `prune_overlapping_matches` ("longest"), on (rule, start, end) tuples: one
    pass keeps the longer of each overlapping neighbour pair; passes repeat until none drops."""
    while True:
        pruned = _prune_pass(matches)
        if len(pruned) == len(matches):
            return pruned
        matches = pruned


def _prune_pass(matches: list[tuple[Any, int, int]]) -> list[tuple[Any, int, int]]:
    if not matches:
        return matches
    unpruned = sorted(matches, key=lambda x: (x[1], x[2]))
    pruned = []
    curr = unpruned[0]
    pos = 1
    total = len(unpruned)
    while True:
        if pos == total:
            pruned.append(curr)
            break
        nxt = unpruned[pos]
        pos += 1
        if curr[1] <= nxt[1] < curr[2] or curr[1] < nxt[2] <= curr[2]:
            pruned.append(max(curr, nxt, key=lambda x: x[2] - x[1]))
            if pos == total:
                break
            curr = unpruned[pos]
            pos += 1
        else:
            pruned.append(curr)
            curr = nxt
    return pruned


def sentence_bounds(doc: Doc) -> tuple[list[int], list[int]]:
    """Per token, the start and end token of its sentence (as `doc[i].sent` would give)."""
    n = len(doc)
    starts = [0] * n
    ends = [n] * n
    if not n:
        return starts, ends
    # Token.is_sent_start is True exactly where SENT_START is 1; read as one array.
    flags = doc.to_array(SENT_START).tolist()
    begin = 0
    for i in range(1, n):
        if flags[i] == 1:
            ends[begin:i] = [i] * (i - begin)
            begin = i
        starts[i] = begin
    return starts, ends


def scope_of(rule: Any, start: int, end: int, sent_start: int, sent_end: int) -> tuple[int, int]:
    """ConTextModifier's scope for a match (its `__set_scope`, sentence-bounded case)."""
    direction = rule.direction.lower()
    max_scope = rule.max_scope
    if direction == "forward":
        lo, hi = end, sent_end
        if max_scope is not None and hi - lo > max_scope:
            hi = end + max_scope
    elif direction == "backward":
        lo, hi = sent_start, start
        if max_scope is not None and hi - lo > max_scope:
            lo = start - max_scope
    else:
        lo, hi = sent_start, sent_end
        if max_scope is not None and start - lo > max_scope:
            lo = start - max_scope
        if max_scope is not None and hi - end > max_scope:
            hi = end + max_scope
    return lo, hi


def resolve_graph(graph: Any) -> None:
    """`graph.update_scopes(); graph.apply_modifiers()` with the same results, in fewer calls.

    medspaCy tests every modifier pair and every target/modifier pair through method calls;
    most pairs are in different sentences. Here a pair goes to medspaCy's own `limit_scope` /
    `modifies` only when their first test (scope overlap, `util.tuple_overlaps`) passes, which
    is re-checked inline on the current scopes; pairs failing it return False in medspaCy
    without side effects, so skipping them changes nothing.
    """
    modifiers = graph.modifiers
    count = len(modifiers)
    for i in range(count - 1):
        first = modifiers[i]
        for j in range(i + 1, count):
            second = modifiers[j]
            # _overlaps inlined (this runs for every pair); scopes re-read after each call.
            a0, a1, b0, b1 = (
                first._scope_start, first._scope_end, second._scope_start, second._scope_end
            )  # fmt: skip
            if a0 <= b0 < a1 or a0 < b1 <= a1:
                first.limit_scope(second)
                a0, a1 = first._scope_start, first._scope_end
            if b0 <= a0 < b1 or b0 < a1 <= b1:
                second.limit_scope(first)
    if graph.prune_on_modifier_overlap:  # medspaCy's own pass, unchanged (off by default)
        for i in range(len(modifiers) - 1, -1, -1):
            start, end = modifiers[i].modifier_span
            if any(_overlaps(t.start, t.end, start, end) for t in graph.targets):
                modifiers.pop(i)
    for target in graph.targets:
        t_start, t_end = target.start, target.end
        for modifier in modifiers:
            if _overlaps(modifier._scope_start, modifier._scope_end, t_start, t_end) and (
                modifier.modifies(target)
            ):
                if _names_it(modifier, target):
                    continue
                modifier.modify(target)
    edges = []
    for modifier in modifiers:
        modifier.reduce_targets()
        edges.extend((target, modifier) for target in modifier._targets)
    graph.edges = edges


def _names_it(modifier: Any, target: Any) -> bool:
    """A negation inside the problem's own name ("migraine without aura", G43.009; "major
    depressive disorder, recurrent severe without psychotic features", F33.2) is not one of the
    problem: its words are in the name of the code it was given. (Only negation: a history or
    family trigger is not part of a name. Not a span the model read over a negation,
    "genitalia without abnormalities", which no code names.)"""
    start, end = modifier.modifier_span
    if not (target.start <= start and end <= target.end):
        return False
    if modifier.category != "NEGATED_EXISTENCE":
        return False
    codes = getattr(target._, "icd10cm", None) if Span.has_extension("icd10cm") else None
    if not codes:
        return False
    trigger = target.doc[start:end].text.lower()
    return trigger in codes[0].description.lower()


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    """medspaCy's `tuple_overlaps((a0, a1), (b0, b1))` (note: not symmetric)."""
    return a0 <= b0 < a1 or a0 < b1 <= a1
