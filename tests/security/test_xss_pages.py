"""Every XSS payload of the corpus, in every text a person or an alert can enter, on every page that shows it.

Each page is read with html.parser (`tests.security.xss.problems`): nothing in it may run a script, load from another
origin or drive htmx, and the payload must be there as text (escaped), not lost. The browser half is
tests/browser/test_xss.py.
"""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents import services as incidents
from incidents.models import Incident
from people.models import Contact, Role
from postmortems import services as postmortems
from postmortems.models import SECTIONS
from status.models import Provider, ProviderKind, ProviderState
from targets.models import Target
from tests.alerts.conftest import AM_URL, am_alert, am_payload
from tests.chat.conftest import signed
from tests.security.xss import PAYLOADS, problems, shown_as_text

pytestmark = pytest.mark.django_db


def check(client, url: str, *shown: str, pages: int = 1) -> None:
    """The page (and its next ones) is safe, and together they show each text of `shown`."""
    htmls = []
    for number in range(1, pages + 1):
        response = client.get(url + (f"?page={number}" if pages > 1 else ""))
        assert response.status_code == 200, (url, response.status_code)
        htmls.append(response.content.decode())
        assert problems(htmls[-1]) == [], url
    missing = [text for text in shown if not any(shown_as_text(html, text) for html in htmls)]
    assert missing == [], (url, missing)


@pytest.fixture
def admin_client(runbook):
    client = Client()  # its own: as_commander signs the default client in
    client.force_login(User.objects.create_superuser("root", password="root-password"))
    return client


def test_incident_titles_summaries_services_and_notes(as_commander, commander, sev):
    declared = [incidents.incident_declare(by=commander, title=p[:200], severity=sev["SEV3"], summary=p,
                                           service_affected=p[:200]) for p in PAYLOADS]
    corpus = declared[0]
    for payload in PAYLOADS:
        incidents.timeline_note(incident=corpus, by=commander, text=payload)
    check(as_commander, reverse("incidents:dashboard"), *(p[:200] for p in PAYLOADS))
    check(as_commander, reverse("incidents:history") + "?per_page=100")
    check(as_commander, reverse("incidents:detail", args=[corpus.pk]), *PAYLOADS)
    # The detail page puts the title in <title>, <h1> and a form's value="…": the payloads made to break out of a
    # context, each on its own page (every title is on the dashboard and the history above).
    for incident, payload in zip(declared, PAYLOADS, strict=True):
        if payload.startswith(('"', "'", "</")):
            check(as_commander, reverse("incidents:detail", args=[incident.pk]), payload[:200])
    assert as_commander.get("/api/incidents/?page=1").json()["count"] == len(PAYLOADS)


def test_postmortem_markdown_and_action_items(as_commander, commander, make_incident):
    incident = make_incident(title=PAYLOADS[0], status="resolved")
    pm, _ = postmortems.postmortem_start(incident=incident, by=commander)
    corpus = "\n\n".join(PAYLOADS)
    pm = postmortems.postmortem_update(postmortem=pm, by=commander,
                                       changes={**{name: corpus for name in SECTIONS}, "title": PAYLOADS[1]})
    for payload in PAYLOADS:
        postmortems.action_item_add(postmortem=pm, by=commander, description=payload, owner=commander)
    descriptions = [p.strip() for p in PAYLOADS]
    check(as_commander, reverse("postmortems:detail", args=[pm.pk]), *descriptions)
    check(as_commander, reverse("postmortems:edit", args=[pm.pk]), *descriptions)
    check(as_commander, reverse("postmortems:action_items"), *descriptions, pages=2)
    check(as_commander, reverse("postmortems:my_action_items"))
    check(as_commander, reverse("postmortems:library") + "?q=alert")
    check(as_commander, reverse("postmortems:revisions", args=[pm.pk]))
    check(as_commander, reverse("incidents:detail", args=[incident.pk]))


def test_contact_names(admin_client, as_commander):
    role = Role.objects.filter(kind=Role.Kind.FIXED).first()
    contacts = [Contact.objects.create(name=p[:100], slack_handle=p[:80]) for p in PAYLOADS]
    role.holders.add(*contacts)
    check(as_commander, reverse("people:contacts"), *(p[:100] for p in PAYLOADS))
    check(as_commander, reverse("people:escalation"))
    check(admin_client, reverse("admin:people_contact_changelist"), *(p[:100] for p in PAYLOADS))
    check(admin_client, reverse("admin:people_contact_change", args=[contacts[2].pk]))


def test_alert_labels_and_annotations(client, as_commander, source):
    alerts = []
    for i, payload in enumerate(PAYLOADS):
        alert = am_alert(name=payload, fingerprint=f"{i:016x}", severity="warning" if i % 2 else "critical",
                         team=payload)
        alert["annotations"] = {"summary": payload, "description": payload, "runbook_url": payload}
        alert["generatorURL"] = "javascript:alert(1)"
        alerts.append(alert)
    sent = client.post(AM_URL, am_payload(*alerts, group_key=PAYLOADS[3]), content_type="application/json",
                       headers={"Authorization": f"Bearer {source.token}"})
    assert sent.status_code == 200, sent.content
    opened = Incident.objects.get()
    check(as_commander, reverse("alerts:list"), *PAYLOADS, pages=2)
    check(as_commander, reverse("alerts:list") + "?label=team%3D" + "%3Cscript%3E")
    check(as_commander, reverse("incidents:detail", args=[opened.pk]))
    assert PAYLOADS[0] in opened.title


def test_target_descriptions(admin_client):
    targets = [Target.objects.create(name=f"target-{i}", kind=Target.Kind.HTTP, url="https://ok.example/health",
                                     description=p[:200]) for i, p in enumerate(PAYLOADS)]
    check(admin_client, reverse("admin:targets_target_changelist"))
    for target in targets[:10]:
        check(admin_client, reverse("admin:targets_target_change", args=[target.pk]))


def test_slack_command_text(client, as_commander, slack, commander):
    commander.email = "commander@example.com"
    commander.save(update_fields=["email"])
    slack.workspace.add_user("U1", commander.email)
    for payload in PAYLOADS:
        reply = signed(client, "/slack/commands/", {"command": "/incident", "text": f"declare SEV4 {payload}",
                                                    "user_id": "U1", "channel_id": "CNONE", "team_id": "T1"})
        assert reply.status_code == 200
        text = reply.json()["text"]
        # Slack reads <…> as links and mentions, & as an entity: the title must not open one of its own.
        assert text.count("<") == 1 and text.count(">") == 1, text
    for incident in Incident.objects.all()[:10]:
        check(as_commander, reverse("incidents:detail", args=[incident.pk]), incident.title)
    check(as_commander, reverse("incidents:dashboard"))


def test_status_provider_names(admin_client, as_commander, make_incident):
    Provider.objects.all().delete()
    for i, payload in enumerate(PAYLOADS):
        Provider.objects.create(name=f"{i} {payload}"[:80], kind=ProviderKind.STATUSPAGE_V2,
                                url="https://status.example/api", status_page_url="https://status.example/",
                                state=ProviderState.OUTAGE, description=payload[:300], support_contact=payload[:200],
                                read_at=timezone.now())
    names = [f"{i} {p}"[:80] for i, p in enumerate(PAYLOADS)]
    incident = make_incident()
    check(as_commander, reverse("incidents:dashboard"), *names)
    check(as_commander, reverse("incidents:detail", args=[incident.pk]), *names)
    check(as_commander, reverse("status:page"))
    check(admin_client, reverse("admin:status_provider_changelist"), *names)
