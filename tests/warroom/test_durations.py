"""Every way Warroom writes a length of time, at the edges where one form turns into the next."""

import datetime as dt

import pytest

from warroom import durations

S = dt.timedelta(seconds=1)


@pytest.mark.parametrize(("delta", "text"), [
    (dt.timedelta(0), "0 min"), (59 * S, "0 min"), (60 * S, "1 min"), (3599 * S, "59 min"),
    (3600 * S, "1 h 0 min"), (dt.timedelta(hours=2, minutes=5, seconds=59), "2 h 5 min"),
])
def test_minutes_round_down(delta, text):
    assert durations.minutes(delta) == text


@pytest.mark.parametrize(("delta", "text"), [
    (dt.timedelta(0), "0 min"), (S, "1 min"), (60 * S, "1 min"), (61 * S, "2 min"), (3599 * S, "1 h 0 min"),
])
def test_minutes_left_round_up_so_time_left_is_never_called_zero(delta, text):
    assert durations.minutes_left(delta) == text


@pytest.mark.parametrize(("seconds", "text"), [
    (4, "a moment"), (5, "under a minute"), (59, "under a minute"), (60, "1 min"), (-90, "1 min"),
    (3600, "1 h"), (3660, "1 h 1 min"), (47 * 3600, "47 h"), (48 * 3600, "2 days"),
])
def test_span_in_words(seconds, text):
    assert durations.span(seconds) == text
