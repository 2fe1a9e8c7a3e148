"""Alertmanager's label matchers: `=`, `!=`, `=~`, `!~`; regexes match the whole value; a missing label is ""."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


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
        found = self.pattern.fullmatch(actual) is not None  # anchored, as Alertmanager's (RE2) are
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
        found.append(Matcher(label, op, value, pattern))
    return tuple(found)


def all_match(matchers: tuple[Matcher, ...], labels: dict[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)
