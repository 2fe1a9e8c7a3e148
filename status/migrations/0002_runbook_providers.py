"""The runbook's External Services table: AWS (its health feed), Stripe (a link), SendGrid (Statuspage v2)."""

from django.db import migrations

PROVIDERS = [
    {"name": "AWS", "kind": "feed", "url": "https://status.aws.amazon.com/rss/all.rss",
     "status_page_url": "https://status.aws.amazon.com/", "support_contact": "AWS Premium Support (console: Support Center)",
     "position": 1},
    # Stripe's page is its own, not Statuspage: a link, "not read".
    {"name": "Stripe", "kind": "none", "url": "", "status_page_url": "https://status.stripe.com/",
     "support_contact": "Stripe dashboard (Support)", "position": 2},
    {"name": "SendGrid", "kind": "statuspage_v2", "url": "https://status.sendgrid.com",
     "status_page_url": "https://status.sendgrid.com/", "support_contact": "support@sendgrid.com", "position": 3},
]


def seed(apps, schema_editor):
    Provider = apps.get_model("status", "Provider")
    for row in PROVIDERS:
        Provider.objects.get_or_create(name=row["name"], defaults=row)


class Migration(migrations.Migration):
    dependencies = [("status", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
