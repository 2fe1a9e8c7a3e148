"""The metrics page in a browser: readable on a phone (nothing wider than the screen), charts drawn, no errors."""

import pytest

from tests.postmortems.metrics_data import incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [390, 1200])
def test_the_metrics_page_fits_the_screen_and_draws_its_charts(login, site, viewer, width):
    for month in range(1, 13):
        incident("SEV2", f"2026-{month:02d}-10T10:00:00", ack=60 * month, resolve=3600 * month)
    page = login("viewer")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{site}/postmortems/metrics/?from=2026-01-01&to=2026-12-31")

    assert page.locator("svg.chart-svg").count() == 5
    assert page.locator("svg[data-chart=counts] rect").count() == 12
    box = page.locator("svg[data-chart=mtta]").bounding_box()
    assert box is not None and box["height"] > 150
    # The page never scrolls sideways; a table or chart wider than a phone scrolls inside its own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert errors == []
