"""Every way Warroom writes a length of time, in one place, each written once.

They differ on purpose: a check's table reads to the tenth of a second, the timeline in whole minutes, a
page's relative times in words (static/warroom/warroom.js mirrors `span`), and kubectl's AGE column copies
kubectl (targets/kubernetes/kubectl.py), so that it reads the same as in a terminal.
"""

from __future__ import annotations

import datetime as dt


def human_seconds(seconds: float | None) -> str:
    """'4.2 s', '2 h 5 min', '1 d 3 h': for a check's table, where a count of seconds is hard to read."""
    if seconds is None:
        return ""
    s = int(seconds)
    if s < 60:
        return f"{seconds:.1f} s" if seconds < 10 and not isinstance(seconds, int) else f"{s} s"
    for unit, size, sub, sub_size in (("d", 86400, "h", 3600), ("h", 3600, "min", 60), ("min", 60, "s", 1)):
        if s >= size:
            rest = (s % size) // sub_size
            return f"{s // size} {unit}" + (f" {rest} {sub}" if rest else "")
    return f"{s} s"  # pragma: no cover - unreachable


def minutes(delta: dt.timedelta) -> str:
    """Whole minutes, rounded down: '12 min', '2 h 0 min' (timeline texts keep this form)."""
    whole = int(delta.total_seconds() // 60)
    if whole < 60:
        return f"{whole} min"
    hours, whole = divmod(whole, 60)
    return f"{hours} h {whole} min"


def minutes_left(delta: dt.timedelta) -> str:
    """What is left of a wait, rounded up, so that '0 min to go' is never said while time remains."""
    return minutes(delta + dt.timedelta(seconds=59))


def span(seconds: float) -> str:
    """A relative time in words: 'a moment', 'under a minute', '12 min', '3 h 5 min', '3 days'."""
    seconds = abs(int(seconds))
    if seconds < 60:
        return "under a minute" if seconds >= 5 else "a moment"
    whole = seconds // 60
    if whole < 60:
        return f"{whole} min"
    hours, whole = divmod(whole, 60)
    if hours < 48:
        return f"{hours} h {whole} min" if whole else f"{hours} h"
    return f"{hours // 24} days"
