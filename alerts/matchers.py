"""Alertmanager's label matchers: `=`, `!=`, `=~`, `!~`; regexes match the whole value; a missing label is ""."""

from __future__ import annotations

import re
import re._constants as sre  # type: ignore[import-not-found]  # the parsed tree's opcodes (Python's own)
import re._parser as sre_parse  # type: ignore[import-not-found]
from dataclasses import dataclass
from functools import lru_cache

# Python's regexes backtrack (Alertmanager's RE2 does not): `(a+)+$` against "aaaa…!" runs for hours. So a rule's
# regex is refused when saved if it could backtrack without bound (a repeat or an alternation inside a repeat, a
# backreference or a lookaround, which RE2 has neither of, or more than two open-ended repeats), and a label value
# is tested against a regex only up to REGEX_SUBJECT_MAX characters (a longer one matches no `=~` and every `!~`).
# Together: at most about n² steps with n ≤ 4,096, a few milliseconds.
OPEN_REPEATS_MAX = 2
REGEX_SUBJECT_MAX = 4096
_REPEATS = {sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT}
_REFUSED = {sre.GROUPREF: "a backreference", sre.GROUPREF_EXISTS: "a backreference",
            sre.ASSERT: "a lookahead or lookbehind", sre.ASSERT_NOT: "a lookahead or lookbehind"}


class MatcherError(ValueError):
    """A matcher that cannot be read; the message names the line."""


_LINE = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*,?\s*$')


@dataclass(frozen=True)
class Matcher:
    label: str
    op: str
    value: str
    pattern: re.Pattern | None = None

    def matches(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        assert self.pattern is not None
        found = len(actual) <= REGEX_SUBJECT_MAX and self.pattern.fullmatch(actual) is not None  # anchored, as RE2
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        return f'{self.label}{self.op}"{self.value}"'


def _unquote(text: str, line: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            return text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
        except UnicodeDecodeError as exc:
            raise MatcherError(f"{line!r}: the quoted value has a bad escape") from exc
    if '"' in text:
        raise MatcherError(f"{line!r}: a quoted value must be wholly in double quotes")
    return text


def _subpatterns(item) -> list:
    """The parsed pieces an opcode's argument holds (a repeat's body, a group's, each branch)."""
    found = []
    for part in item if isinstance(item, list | tuple) else [item]:
        if isinstance(part, sre_parse.SubPattern):
            found.append(part)
        elif isinstance(part, list | tuple):
            found += _subpatterns(part)
    return found


def _walk(pattern, inside_repeat: bool, open_repeats: list[int]) -> str | None:
    for op, argument in pattern:
        if op in _REFUSED:
            return _REFUSED[op]
        if op == sre.BRANCH and inside_repeat:  # (a|aa)+: two ways to read each "a"
            return "an alternation inside a repeat"
        repeats = op in _REPEATS
        if repeats:
            low, high, _ = argument
            if high != low and inside_repeat:
                return "a repeat inside a repeat"
            if high == sre.MAXREPEAT or high - low > 100:
                open_repeats.append(1)
        for sub in _subpatterns(argument):
            problem = _walk(sub, inside_repeat or (repeats and argument[1] > 1), open_repeats)
            if problem:
                return problem
    return None


def backtracking_risk(value: str) -> str | None:
    """Why this regex could backtrack without bound, or None."""
    open_repeats: list[int] = []
    problem = _walk(sre_parse.parse(value), False, open_repeats)
    if problem is None and len(open_repeats) > OPEN_REPEATS_MAX:
        problem = f"{len(open_repeats)} open-ended repeats (at most {OPEN_REPEATS_MAX})"
    return problem


@lru_cache(maxsize=256)
def parse_matchers(text: str) -> tuple[Matcher, ...]:
    """One matcher a line (blank lines ignored); the rule matches when all of them do."""
    found = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parsed = _LINE.match(line)
        if not parsed:
            raise MatcherError(f"{line.strip()!r} is not a matcher: write label=\"value\" (or !=, =~, !~)")
        label, op, raw = parsed.groups()
        value = _unquote(raw, line.strip())
        pattern = None
        if op in ("=~", "!~"):
            try:
                pattern = re.compile(value)
            except re.error as exc:
                raise MatcherError(f"{line.strip()!r}: the regex does not compile ({exc})") from exc
            risk = backtracking_risk(value)
            if risk:
                raise MatcherError(f"{line.strip()!r}: the regex has {risk}, which can make matching take hours; "
                                   "write it without (Alertmanager's RE2 would not need it either)")
        found.append(Matcher(label, op, value, pattern))
    return tuple(found)


def all_match(matchers: tuple[Matcher, ...], labels: dict[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)
