"""The URL configuration walked once for every test that must cover each URL (the permission matrix, the login rule).

`walk()` yields every pattern, named or not, the admin's and DRF's routers included, with its full name and route;
`sample_path()` builds a path that resolves to that very pattern, from its converters or regex groups.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, PathConverter, SlugConverter, StringConverter, UUIDConverter
from django.urls.resolvers import RegexPattern, RoutePattern

# A value each converter accepts: an id for <int:…>, a word for the others.
_SAMPLES = {IntConverter: "1", StringConverter: "x", SlugConverter: "x", PathConverter: "x",
            UUIDConverter: "00000000-0000-0000-0000-000000000001"}
_CANDIDATES = ("1", "x")  # tried in turn for any other converter or regex group (DRF's [^/.]+ …)
_BY_NAME = {"format": ("json", ".json")}  # DRF's format suffix, as a regex group and as a converter


@dataclass(frozen=True)
class Walked:
    name: str  # "namespace:name", or "" for an unnamed pattern (the admin's redirects and catch-all)
    chain: tuple  # the patterns from the root down to this one
    pattern: URLPattern

    @property
    def namespace(self) -> str:
        return self.name.rpartition(":")[0]

    @property
    def route(self) -> str:
        """As Django's ResolverMatch.route says it, so a sample path can be checked to land here."""
        route = ""
        for p in self.chain:
            part = str(p.pattern)
            route = route + part.removeprefix("^") if route else part
        return route


def walk(urlconf: str | None = None) -> Iterator[Walked]:
    """Every pattern of the URL configuration (the project's by default), in resolution order."""
    return _walk(get_resolver(urlconf).url_patterns, "", ())


def _walk(patterns, prefix: str, chain: tuple) -> Iterator[Walked]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, f"{prefix}{p.namespace}:" if p.namespace else prefix, (*chain, p))
        elif isinstance(p, URLPattern):
            yield Walked(prefix + p.name if p.name else "", (*chain, p), p)


def url_names(skip_namespaces: frozenset[str] = frozenset()) -> set[str]:
    """Every named URL, e.g. "incidents:detail", leaving out whole namespaces (the permission matrix skips admin)."""
    return {w.name for w in walk() if w.name and not ({w.namespace.split(":")[0]} & skip_namespaces)}


def _fitting(name: str, regex: str) -> str:
    return next(c for c in (*_BY_NAME.get(name, ()), *_CANDIDATES) if re.fullmatch(regex, c))


def _group_end(regex: str, start: int) -> int:
    """The index of the parenthesis closing the group that opens at `start`."""
    depth, i = 0, start
    while i < len(regex):
        if regex[i] == "\\":
            i += 2
            continue
        depth += {"(": 1, ")": -1}.get(regex[i], 0)
        if depth == 0:
            return i
        i += 1
    raise ValueError(f"unbalanced group in {regex!r}")


def _regex_sample(regex: str) -> str:
    """A path matching a regex pattern: each named group gets its first literal alternative or a candidate."""
    out, i = [], 0
    while i < len(regex):
        if regex.startswith("(?P<", i):
            end = _group_end(regex, i)
            body = regex[regex.index(">", i) + 1:end]
            name = regex[i + 4:regex.index(">", i)]
            out.append(body.split("|")[0] if re.fullmatch(r"[\w|]+", body) else _fitting(name, body))
            i = end + 1
        elif regex[i] == "\\":
            out.append(regex[i + 1])
            i += 2
        elif regex[i] in "^$?":  # anchors; "?" makes the character before optional (DRF's "/?"): keep it
            i += 1
        else:
            out.append(regex[i])
            i += 1
    return "".join(out)


def _route_sample(pattern: RoutePattern) -> str:
    route = str(pattern)
    for name, converter in pattern.converters.items():
        sample = _SAMPLES.get(type(converter)) or _fitting(name, converter.regex)
        route = re.sub(rf"<(?:\w+:)?{name}>", sample, route)
    return route


def sample_path(walked: Walked) -> str:
    parts = []
    for p in walked.chain:
        pattern = p.pattern
        parts.append(_regex_sample(pattern._regex) if isinstance(pattern, RegexPattern) else _route_sample(pattern))
    return "/" + "".join(parts)
