"""The whole XSS corpus (tests/security/xss.py) in a real browser: a few pages, each carrying every payload.

One incident whose title is a payload and whose notes are the corpus, with an alert group whose labels and
annotations are the corpus; contacts, degraded status providers and a post-mortem (every section, every action
item) likewise. On each page no dialog may open and no request may leave the live server's origin.
"""

from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from incidents import services as incidents
from incidents.models import Incident
from people.models import Contact, Role
from postmortems import services as postmortems
from postmortems.models import SECTIONS
from status.models import Provider, ProviderKind, ProviderState
from tests.alerts.conftest import AM_URL, am_alert, am_payload, source  # noqa: F401  (a fixture)
from tests.security.xss import PAYLOADS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hostile_world(client, source, commander, make_incident):  # noqa: F811  (the fixture imported above)
    corpus = make_incident(title=PAYLOADS[0])
    for payload in PAYLOADS:
        incidents.timeline_note(incident=corpus, by=commander, text=payload)
    alerts = []
    for i, payload in enumerate(PAYLOADS):
        alert = am_alert(name=payload, fingerprint=f"{i:016x}", team=payload)
        alert["annotations"] = {"summary": payload, "description": payload, "runbook_url": payload}
        alerts.append(alert)
    sent = client.post(AM_URL, am_payload(*alerts, group_key="hostile"), content_type="application/json",
                       headers={"Authorization": f"Bearer {source.token}"})
    assert sent.status_code == 200, sent.content
    Role.objects.filter(kind=Role.Kind.FIXED).first().holders.add(
        *[Contact.objects.create(name=p[:100], slack_handle=p[:80]) for p in PAYLOADS])
    for i, payload in enumerate(PAYLOADS):
        Provider.objects.create(name=f"{i} {payload}"[:80], kind=ProviderKind.STATUSPAGE_V2,
                                url="https://status.example/api", status_page_url="https://status.example/",
                                state=ProviderState.OUTAGE, description=payload[:300], read_at=timezone.now())
    resolved = make_incident(title=PAYLOADS[1], status="resolved")
    pm, _ = postmortems.postmortem_start(incident=resolved, by=commander)
    pm = postmortems.postmortem_update(postmortem=pm, by=commander,
                                       changes={name: "\n\n".join(PAYLOADS) for name in SECTIONS})
    for payload in PAYLOADS:
        postmortems.action_item_add(postmortem=pm, by=commander, description=payload, owner=commander)
    return {"incident": corpus, "alerted": Incident.objects.exclude(pk__in=[corpus.pk, resolved.pk]).get(),
            "postmortem": pm}


def test_no_payload_runs_or_calls_out_on_any_page(hostile_world, login, site):
    page = login("commander")
    dialogs, elsewhere = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    origin = urlsplit(site)
    page.on("request", lambda request: urlsplit(request.url)[:2] == origin[:2] or elsewhere.append(request.url))
    pages = ["/", f"/incidents/{hostile_world['incident'].pk}/", f"/incidents/{hostile_world['alerted'].pk}/",
             "/alerts/", "/people/contacts/", f"/postmortems/{hostile_world['postmortem'].pk}/",
             f"/postmortems/{hostile_world['postmortem'].pk}/edit/", "/action-items/"]
    for path in pages:
        page.goto(f"{site}{path}", wait_until="load")
        page.wait_for_function("document.readyState === 'complete'")
        assert page.locator("main").count() == 1, path  # the page itself rendered
    assert dialogs == [] and elsewhere == []


def test_a_bidi_override_stays_inside_the_element_that_shows_it(login, site, commander, make_incident):
    """U+202E in a title or a note reverses that text only, never the author, time or columns beside it."""
    override = next(p for p in PAYLOADS if "\u202e" in p)
    incident = make_incident(title=override)
    incidents.timeline_note(incident=incident, by=commander, text=override)
    page = login("commander")
    for path in ("/", f"/incidents/{incident.pk}/"):
        page.goto(f"{site}{path}")
        holders = page.get_by_text("invoice_", exact=False)
        assert holders.count() >= 1, path
        for i in range(holders.count()):
            assert holders.nth(i).evaluate("e => getComputedStyle(e).unicodeBidi") == "isolate", path
