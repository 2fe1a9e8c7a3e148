"""The SVG geometry: bars as tall as their values, lines broken where there is no value, readable durations."""

import pytest

from postmortems.charts import Series, bar_chart, duration_unit, human_duration, line_chart, nice_step


@pytest.mark.parametrize(("rough", "integer", "step"), [
    (0, True, 1), (0.3, True, 1), (1, True, 1), (1.2, True, 2), (2.2, True, 5), (2.2, False, 2.5),
    (7, True, 10), (30, True, 50), (0.03, False, 0.05),
])
def test_axis_steps_are_round_numbers(rough, integer, step):
    assert nice_step(rough, integer) == step


def test_stacked_bars_are_as_tall_as_their_values():
    chart = bar_chart("t", ["2026-01", "2026-02"], [Series("SEV1", [1, 0], "c0"), Series("SEV2", [3, 4], "c1")],
                      stacked=True)
    plot = chart.bottom - chart.top
    top = float(chart.y_ticks[-1].label)  # 4 → the axis runs to 4
    assert top == 4
    heights = {r.title: r.height for r in chart.rects}
    assert heights == {"2026-01 · SEV1: 1": round(plot / 4, 1), "2026-01 · SEV2: 3": round(plot * 3 / 4, 1),
                       "2026-02 · SEV2: 4": round(plot, 1)}  # no bar for a zero
    sev2_jan = next(r for r in chart.rects if r.title == "2026-01 · SEV2: 3")
    sev1_jan = next(r for r in chart.rects if r.title == "2026-01 · SEV1: 1")
    assert sev2_jan.y + sev2_jan.height == pytest.approx(sev1_jan.y, abs=0.11)  # stacked on top of it


def test_grouped_bars_stand_side_by_side():
    chart = bar_chart("t", ["m"], [Series("Opened", [2], "c1"), Series("Done", [1], "c5")])
    opened, done = chart.rects
    assert opened.x + opened.width == pytest.approx(done.x, abs=0.11)
    assert opened.y + opened.height == done.y + done.height == chart.bottom


def test_a_missing_value_breaks_the_line():
    chart = line_chart("t", ["a", "b", "c", "d", "e"], [Series("median", [1, 2, None, 3, 4], "c0")])
    assert len(chart.lines) == 2 and len(chart.dots) == 4
    assert all(len(line.points.split()) == 2 for line in chart.lines)


def test_a_chart_without_data_still_draws_its_axes():
    chart = line_chart("t", ["a"], [Series("median", [None], "c0")])
    assert chart.lines == [] and chart.dots == [] and [t.label for t in chart.y_ticks] == ["0", "1"]


def test_at_most_six_month_labels_so_that_they_never_overlap():
    labels = [f"m{i}" for i in range(61)]
    assert len(bar_chart("t", labels, [Series("s", [1] * 61, "c0")]).x_ticks) <= 6


@pytest.mark.parametrize(("seconds", "text"), [
    (None, "—"), (0, "0 s"), (45, "45 s"), (60, "1 min"), (125, "2 min 5 s"), (3600, "1 h"), (12000, "3 h 20 min"),
    (86400, "1 d"), (187200, "2 d 4 h"), (25.0, "25 s"),
])
def test_durations_read_as_people_say_them(seconds, text):
    assert human_duration(seconds) == text


@pytest.mark.parametrize(("peak", "unit"), [(0, "seconds"), (119, "seconds"), (120, "minutes"), (7200, "hours"),
                                            (172800, "days")])
def test_a_duration_chart_picks_a_readable_unit(peak, unit):
    assert duration_unit(peak)[1] == unit
