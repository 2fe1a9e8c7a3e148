"""The least-squares slope, its fit (R²) and the "limit reached in ~N min" estimate, checked by arithmetic."""

import pytest

from diagnostics.trend import MIB, Thresholds, assess, least_squares, minutes_to_limit


def test_least_squares_by_hand():
    # (0,0) (1,2) (2,1) (3,3): mean 1.5, 1.5; Stt = 5, Sty = 4 → slope 0.8, intercept 0.3;
    # residuals −0.3, 0.9, −0.9, 0.3 → SSres 1.8; SStot 5 → R² = 1 − 1.8/5 = 0.64
    fit = least_squares([(0, 0), (1, 2), (2, 1), (3, 3)])
    assert fit is not None
    assert fit.slope == pytest.approx(0.8) and fit.intercept == pytest.approx(0.3) and fit.r2 == pytest.approx(0.64)


def test_least_squares_needs_two_times():
    assert least_squares([]) is None
    assert least_squares([(5, 1)]) is None
    assert least_squares([(5, 1), (5, 2)]) is None
    flat = least_squares([(0, 7), (15, 7), (30, 7)])
    assert flat is not None and flat.slope == 0 and flat.r2 == 1.0


def series(mib_per_min: float, minutes: int, start_mib: float = 200, every: int = 15) -> list[tuple[float, int]]:
    return [(t, int((start_mib + mib_per_min * t / 60) * MIB)) for t in range(0, minutes * 60 + 1, every)]


def test_steady_growth_and_its_estimate():
    # +12 MiB/min for 9 min from 200 MiB: last 308 MiB; limit 640 MiB → (640 − 308) / 12 = 27.67 → ~28 min
    growth = assess("api-7f9c", series(12, 9), 640 * MIB)
    assert growth.slope_mib_per_min == 12.0 and growth.r2 == 1.0 and growth.steady
    assert growth.points == 37 and growth.seconds == 540
    assert growth.minutes_to_limit == 28
    assert growth.sentence == "api-7f9c: +12 MiB/min for 9 min, limit reached in ~28 min"


def test_flat_is_not_growth():
    growth = assess("api-a", series(0, 9), 640 * MIB)
    assert growth.slope_mib_per_min == 0 and not growth.steady and growth.minutes_to_limit is None
    assert growth.sentence == "api-a: +0 MiB/min for 9 min (R² 1.00: no steady growth)"


def test_noise_is_not_growth():
    # ±50 MiB around 300 MiB, a tiny upward drift: the line explains almost nothing
    samples = [(t, int((300 + (50 if i % 2 else -50) + t / 600) * MIB)) for i, t in enumerate(range(0, 541, 15))]
    growth = assess("api-b", samples, 640 * MIB)
    assert growth.r2 is not None and growth.r2 < 0.8 and not growth.steady


def test_thresholds_on_both_sides():
    limits = Thresholds(min_slope_mib_per_min=1.0, min_r2=0.8, min_points=4, min_seconds=60)
    assert assess("p", series(1.0, 5), 640 * MIB, limits).steady
    assert not assess("p", series(0.9, 5), 640 * MIB, limits).steady
    assert assess("p", series(12, 1), 640 * MIB, limits).steady  # 5 points over 60 s
    assert not assess("p", series(12, 1, every=30), 640 * MIB, limits).steady  # 3 points: too few
    short = [(t, y) for t, y in series(12, 1) if t <= 45]
    assert not assess("p", short, 640 * MIB, limits).steady  # 45 s: too short


def test_minutes_to_limit():
    assert minutes_to_limit(600 * MIB, 640 * MIB, 10 * MIB / 60) == 4
    assert minutes_to_limit(640 * MIB, 640 * MIB, 10 * MIB / 60) == 0
    assert minutes_to_limit(700 * MIB, 640 * MIB, 10 * MIB / 60) == 0
    assert minutes_to_limit(600 * MIB, None, 10 * MIB / 60) is None
    assert minutes_to_limit(600 * MIB, 640 * MIB, 0) is None
    assert minutes_to_limit(600 * MIB, 640 * MIB, -1) is None


def test_no_limit_and_at_limit_sentences():
    assert assess("p", series(12, 5), None).sentence == "p: +12 MiB/min for 5 min, no memory limit"
    assert assess("p", series(12, 5, start_mib=700), 640 * MIB).sentence == "p: +12 MiB/min for 5 min, at its limit"


def test_boundaries_of_the_fit_itself():
    two = least_squares([(0, 0), (1, 2)])  # two points make a line
    assert two is not None and two.slope == 2 and two.r2 == 1.0
    exact = Thresholds(min_slope_mib_per_min=1.0, min_r2=1.0, min_points=4, min_seconds=60)
    assert assess("p", series(12, 1, every=20), 640 * MIB, exact).steady  # exactly 4 points, R² exactly 1.0
    assert not assess("p", [*series(12, 1, every=20)[:3], (60, 2000 * MIB)], 640 * MIB, exact).steady
