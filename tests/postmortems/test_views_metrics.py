"""The metrics page: SVG charts with their numbers in tables beside them, the range, errors, query counts."""

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from postmortems.charts import human_duration
from tests.postmortems.metrics_data import action_item, incident

pytestmark = pytest.mark.django_db
URL = reverse("postmortems:metrics")
RANGE = "?from=2026-01-01&to=2026-02-28"


class Tables(HTMLParser):
    """Every `data-table` table's cells, by key: rows of [header, cell text, …] (a cell's note kept apart)."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current: str | None = None
        self.cell: list[str] | None = None
        self.in_note = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-table" in attrs:
            self.current = attrs["data-table"]
            self.tables[self.current] = []
        elif self.current and tag == "tr":
            self.tables[self.current].append([])
        elif self.current and tag in ("td", "th"):
            self.cell = []
        elif self.cell is not None and tag == "span":
            self.in_note = True

    def handle_endtag(self, tag):
        if tag == "table":
            self.current = None
        elif self.current and tag in ("td", "th") and self.cell is not None:
            self.tables[self.current][-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "span":
            self.in_note = False

    def handle_data(self, data):
        if self.cell is not None and not self.in_note:
            self.cell.append(data)


def tables(response) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(response.content.decode())
    return parser.tables


@pytest.fixture
def data(runbook, commander):
    for ack, resolve in ((60, 3600), (120, 7200), (600, 1800)):
        incident("SEV2", "2026-01-10T10:00:00", ack=ack, resolve=resolve, due=300)  # the 600 s one is late
    incident("SEV2", "2026-01-11T10:00:00", due=300)  # never acknowledged: past due, a breach
    for ack in (10, 20, 30, 40):
        incident("SEV3", "2026-02-10T10:00:00", ack=ack)
    action_item(commander, created="2026-01-05T09:00:00", done="2026-02-10T09:00:00")
    action_item(commander, created="2026-01-20T09:00:00", due=dt.date(2026, 1, 31))


def test_the_page_draws_each_chart_as_svg_with_its_numbers_in_a_table(client, viewer, data):
    client.force_login(viewer)
    response = client.get(URL + RANGE)
    assert response.status_code == 200
    html = response.content.decode()
    for key in ("counts", "mtta", "mttr", "breaches", "actions"):
        assert f'data-chart="{key}"' in html and f'data-table="{key}"' in html
    assert html.count("<svg") == 5
    found = tables(response)

    assert found["counts"] == [["Month", "SEV1", "SEV2", "SEV3", "SEV4", "All"],
                               ["2026-01", "0", "4", "0", "0", "4"],
                               ["2026-02", "0", "0", "4", "0", "4"],
                               ["Whole range", "0", "4", "4", "0", "8"]]
    # SEV2 in January: acknowledged after 60, 120, 600 s (one never); median 120 s, p90 600 s
    assert found["mtta"][1][2] == "2 min / 10 min"
    assert found["mtta"][2][3] == "25 s / 40 s"  # SEV3 in February: 10 20 30 40
    assert found["mtta"][3][5] == f"{human_duration(40)} / {human_duration(600)}"  # all: 10 20 30 40 60 120 600
    assert found["mttr"][1][2] == "1 h / 2 h"  # 1800 3600 7200
    assert found["mttr"][2][3] == "— / —"  # none of February's resolved: nothing to measure
    assert [row[2] for row in found["breaches"][1:]] == ["2", "0", "2"]
    assert found["actions"] == [["Month", "Opened", "Done"], ["2026-01", "2", "0"], ["2026-02", "0", "1"],
                                ["Whole range", "2", "1"]]
    assert "1 measured, 1 not acknowledged" not in html  # the notes say what was left out, per cell:
    assert "3 measured, 1 not acknowledged" in html
    assert re.search(r"data-overdue>1<", html)  # the item due 31 January is overdue now


def test_the_bars_match_the_table(client, viewer, data):
    client.force_login(viewer)
    html = client.get(URL + RANGE).content.decode()
    counts = html[html.index('data-chart="counts"'):html.index('data-table="counts"')]
    assert re.findall(r"<title>(2026-\d\d · SEV\d: \d+)</title>", counts) == ["2026-01 · SEV2: 4",
                                                                               "2026-02 · SEV3: 4"]
    mtta = html[html.index('data-chart="mtta"'):html.index('data-table="mtta"')]
    assert "2026-01 · SEV2 median: 2" in mtta and "2026-01 · SEV2 p90: 10" in mtta  # in minutes


def test_the_definitions_are_beside_the_numbers(client, viewer, runbook):
    client.force_login(viewer)
    html = client.get(URL).content.decode()
    for words in ("declared → acknowledged", "declared → resolved", "mean of the two middle ones",
                  "⌈0.9 × n⌉", "Acknowledged exactly at the deadline is on time"):
        assert words in html


def test_by_default_the_last_twelve_months(client, viewer, runbook):
    client.force_login(viewer)
    found = tables(client.get(URL))
    assert len(found["counts"]) == 1 + 12 + 1  # head, twelve months, the whole range


def test_no_chart_library_and_nothing_from_another_site(client, viewer, data):
    client.force_login(viewer)
    html = client.get(URL + RANGE).content.decode()
    assert not re.search(r'(src|href)="(https?:)?//', html)
    # the site's own scripts only (htmx, the live page's): no charting library
    assert re.findall(r'<script src="([^"]+)"', html) == ["/static/vendor/htmx-2.0.11.min.js",
                                                          "/static/warroom/warroom.js", "/static/warroom/live.js"]


def test_the_nav_links_to_metrics(client, viewer, runbook):
    client.force_login(viewer)
    assert f'href="{URL}">Metrics</a>' in client.get(reverse("incidents:dashboard")).content.decode()


@pytest.mark.parametrize(("query", "words"), [
    ("?from=2026-02-30", "is not a date"),
    ("?from=soon&to=later", "is not a date"),
    ("?from=2026-03-02&to=2026-03-01", "after it ends"),
    ("?from=2021-03-14&to=2026-03-15", "at most 5 years"),
    ("?to=99999-01-01", "is not a date"),
    ("?from=%3Cscript%3Ealert(1)%3C/script%3E", "&lt;script&gt;alert(1)&lt;/script&gt;” is not a date"),
])
def test_bad_ranges_are_a_400_with_a_message(client, viewer, runbook, query, words):
    client.force_login(viewer)
    response = client.get(URL + query)
    assert response.status_code == 400
    html = response.content.decode()
    assert words in html and "<svg" not in html and "<script>alert" not in html


def test_five_years_exactly_is_shown(client, viewer, runbook):
    client.force_login(viewer)
    response = client.get(URL + "?from=2021-03-15&to=2026-03-15")
    assert response.status_code == 200
    assert len(tables(response)["counts"]) == 1 + 61 + 1  # March 2021 … March 2026


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL + RANGE).status_code == 200
    return len(queries)


def test_the_page_takes_the_same_queries_whatever_the_data(client, viewer, commander, runbook):
    client.force_login(viewer)
    empty = _queries(client)
    for day in range(1, 29):
        incident("SEV1", f"2026-02-{day:02d}T10:00:00", ack=day, resolve=day * 60)
        incident("SEV4", f"2026-01-{day:02d}T10:00:00")
        action_item(commander, created=f"2026-01-{day:02d}T10:00:00", done=f"2026-02-{day:02d}T10:00:00")
    assert _queries(client) == empty
    assert empty == 6 + 4  # the metrics' six; the session, the user, their own and their groups' permissions


def test_names_are_escaped_in_the_charts_and_tables(client, viewer, runbook):
    from incidents.models import Severity

    Severity.objects.create(name="<i>S</i>", level=9, label="x", definition="x")
    client.force_login(viewer)
    html = client.get(URL).content.decode()
    assert "<i>S</i>" not in html and "&lt;i&gt;S&lt;/i&gt;" in html
