"""Is a pod's memory growing steadily? A least-squares line through its samples, how well it fits (R²), and when
it would reach its limit at that pace. Pure and typed: numbers in, numbers and a sentence out.

Time is in seconds, memory in bytes; slopes are reported in MiB per minute, the unit people read on a chart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Fit:
    slope: float  # bytes per second
    intercept: float  # bytes at t = 0
    r2: float  # 0..1; 1 for a perfect line (and for a flat series, which a constant fits exactly)
    n: int


def least_squares(points: Sequence[tuple[float, float]]) -> Fit | None:
    """The ordinary least-squares line y = intercept + slope·t, and R² = 1 − SSres/SStot; None for fewer than two
    points or when they all share one time (no line to draw)."""
    n = len(points)
    if n < 2:
        return None
    mean_t = sum(t for t, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    stt = sum((t - mean_t) ** 2 for t, _ in points)
    if stt == 0:
        return None
    sty = sum((t - mean_t) * (y - mean_y) for t, y in points)
    slope = sty / stt
    intercept = mean_y - slope * mean_t
    ss_tot = sum((y - mean_y) ** 2 for _, y in points)
    ss_res = sum((y - (intercept + slope * t)) ** 2 for t, y in points)
    r2 = 1.0 if ss_tot == 0 else max(0.0, 1.0 - ss_res / ss_tot)
    return Fit(slope, intercept, r2, n)


@dataclass(frozen=True)
class Thresholds:
    min_slope_mib_per_min: float = 1.0  # slower than this is not worth a flag
    min_r2: float = 0.8  # a worse fit is noise, not a trend
    min_points: int = 4  # one minute at 15 s
    min_seconds: float = 60.0


@dataclass(frozen=True)
class Growth:
    pod: str
    points: int
    seconds: float  # first to last sample
    slope_mib_per_min: float | None
    r2: float | None
    last_bytes: int
    limit_bytes: int | None
    minutes_to_limit: int | None  # at this pace, from the last sample; None when not growing or no limit
    steady: bool  # growing above the threshold with a good fit, over long enough

    @property
    def sentence(self) -> str:
        """"api-7f9c: +12 MiB/min for 9 min, limit reached in ~14 min"."""
        minutes = round(self.seconds / 60)
        if self.slope_mib_per_min is None:
            return f"{self.pod}: not enough samples yet ({self.points})"
        trend = f"{self.slope_mib_per_min:+.1f}".rstrip("0").rstrip(".")
        text = f"{self.pod}: {trend} MiB/min for {minutes} min"
        if not self.steady:
            return text + (f" (R² {self.r2:.2f}: no steady growth)" if self.r2 is not None else "")
        if self.limit_bytes is None:
            return text + ", no memory limit"
        if self.minutes_to_limit is not None and self.minutes_to_limit <= 0:
            return text + ", at its limit"
        return text + f", limit reached in ~{self.minutes_to_limit} min"


def minutes_to_limit(last_bytes: float, limit_bytes: float | None, slope_bytes_per_second: float) -> int | None:
    """Whole minutes (rounded) until last_bytes grows to limit_bytes at this slope; 0 when already there; None with
    no limit or no growth."""
    if limit_bytes is None or slope_bytes_per_second <= 0:
        return None
    if last_bytes >= limit_bytes:
        return 0
    return round((limit_bytes - last_bytes) / slope_bytes_per_second / 60)


def assess(pod: str, samples: Sequence[tuple[float, int]], limit_bytes: int | None,
           thresholds: Thresholds = Thresholds()) -> Growth:
    """One pod's series (seconds, bytes), oldest first: its slope, fit and the estimate, and whether to flag it."""
    fit = least_squares([(t, float(y)) for t, y in samples])
    seconds = samples[-1][0] - samples[0][0] if samples else 0.0
    last = samples[-1][1] if samples else 0
    if fit is None:
        return Growth(pod, len(samples), seconds, None, None, last, limit_bytes, None, False)
    per_min = fit.slope * 60 / MIB
    steady = (len(samples) >= thresholds.min_points and seconds >= thresholds.min_seconds
              and per_min >= thresholds.min_slope_mib_per_min and fit.r2 >= thresholds.min_r2)
    eta = minutes_to_limit(last, limit_bytes, fit.slope) if steady else None
    return Growth(pod, len(samples), seconds, round(per_min, 2), round(fit.r2, 3), last, limit_bytes, eta, steady)


def is_finite(value: float) -> bool:
    return not (math.isnan(value) or math.isinf(value))
