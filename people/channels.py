"""How a notification leaves Warroom: email (Django's mail backend), a Slack incoming webhook, or a signed webhook.

Each send has a timeout and raises SendError with a message fit for the timeline: it names the host and the
HTTP status or SMTP code, never a URL's path or query (a Slack webhook's token lives there) nor any secret.
A transient failure (timeout, refused connection, HTTP 429/5xx, SMTP 4xx) is retried by the task; a permanent one
(HTTP 4xx, SMTP 5xx, no address) is not.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from people.models import Channel, Contact
from warroom.redact import MASK, mask_url_credentials


class SendError(Exception):
    """A send that did not arrive; `transient` ones are worth another attempt."""

    transient = False


class TransientSendError(SendError):
    transient = True


class PermanentSendError(SendError):
    transient = False


@dataclass(frozen=True)
class Message:
    """What every channel says: the runbook's announcement, why this person is told, and the incident's link."""

    subject: str
    announcement: str  # the runbook's template, with its **bold** markers
    reason: str  # "You are SEV1 escalation level 1 (CTO)." / "Reminder 2 of 3: nobody has acknowledged yet."
    url: str
    payload: dict[str, Any]  # the webhook's JSON body, less the timestamp and delivery id

    def plain(self) -> str:
        return f"{self.announcement.replace('**', '')}\n\n{self.reason}\n{self.url}\n"

    def slack(self) -> str:
        # Slack's mrkdwn bolds with single asterisks and links as <url|text>.
        return f"{self.announcement.replace('**', '*')}\n{self.reason} <{self.url}|Open the incident>"


def secrets_in_use(*extra: str) -> list[str]:
    """Everything that must never reach a timeline entry, a page, the API or a log."""
    values = [settings.EMAIL_HOST_PASSWORD, settings.NOTIFY_WEBHOOK_SECRET, settings.SLACK_WEBHOOK_URL,
              settings.NOTIFY_WEBHOOK_URL, *extra]
    found = []
    for value in values:
        if not value:
            continue
        found.append(value)
        parts = urlsplit(value) if "://" in value else None
        if parts and parts.path.strip("/"):
            found.append(parts.path)  # an HTTP library may quote only the path of a webhook URL
        if parts and parts.query:
            found.append(parts.query)
    return sorted(found, key=len, reverse=True)  # longest first, so a URL goes before its own path


def scrub(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return mask_url_credentials(text)[:500]


def configured() -> set[str]:
    """The channels this deployment can send on (settings); a contact's own Slack webhook adds Slack for them."""
    available: set[str] = set()
    if settings.EMAIL_HOST:
        available.add(Channel.EMAIL)
    if settings.SLACK_WEBHOOK_URL:
        available.add(Channel.SLACK)
    if settings.NOTIFY_WEBHOOK_URL:
        available.add(Channel.WEBHOOK)
    return available


def channels_for(contact: Contact, available: set[str]) -> list[str]:
    """The channels one contact is told on, in a fixed order; none when they have no address for any."""
    prefs = getattr(contact, "channels", None)
    chosen: list[str] = []
    if Channel.EMAIL in available and contact.email and (prefs is None or prefs.email):
        chosen.append(Channel.EMAIL)
    own_slack = prefs is not None and bool(prefs.slack_webhook_url)
    if (Channel.SLACK in available or own_slack) and (prefs is None or prefs.slack):
        chosen.append(Channel.SLACK)
    if Channel.WEBHOOK in available and (prefs is None or prefs.webhook):
        chosen.append(Channel.WEBHOOK)
    return chosen


# --- email ----------------------------------------------------------------------------------------------------------

def send_email(contact: Contact, message: Message) -> None:
    if not contact.email:
        raise PermanentSendError(f"{contact.name} has no email address.")
    connection = get_connection(timeout=settings.NOTIFY_TIMEOUT)
    email = EmailMessage(subject=message.subject, body=message.plain(), to=[contact.email],
                         from_email=settings.DEFAULT_FROM_EMAIL, connection=connection)
    where = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _ in exc.recipients.values()})
        error = PermanentSendError if all(c >= 500 for c in codes) else TransientSendError
        raise error(f"the mail server {where} refused {contact.email} (SMTP {', '.join(map(str, codes))})") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise PermanentSendError(f"the mail server {where} refused our login (SMTP {exc.smtp_code})") from None
    except smtplib.SMTPResponseException as exc:
        error = TransientSendError if 400 <= exc.smtp_code < 500 else PermanentSendError
        raise error(f"the mail server {where} answered SMTP {exc.smtp_code}") from None
    except TimeoutError:
        raise TransientSendError(f"no answer from the mail server {where} within {settings.NOTIFY_TIMEOUT} s") \
            from None
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientSendError(f"could not reach the mail server {where} ({type(exc).__name__})") from None


# --- HTTP (Slack and the webhook) -----------------------------------------------------------------------------------

class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook that redirects is misconfigured; following it would send the body (and signature) elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(url: str, body: bytes, headers: dict[str, str], *, secrets: list[str]) -> None:
    host = urlsplit(url).netloc.rpartition("@")[2] or "?"
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "Warroom", **headers})
    try:
        with _opener.open(request, timeout=settings.NOTIFY_TIMEOUT) as response:
            response.read(2048)
    except HTTPError as exc:
        said = " ".join(exc.read(200).decode(errors="replace").split())
        text = scrub(f"HTTP {exc.code} from {host}" + (f": {said}" if said else ""), *secrets)
        if exc.code in (408, 425, 429) or exc.code >= 500:
            raise TransientSendError(text) from None
        raise PermanentSendError(text) from None
    except TimeoutError:
        raise TransientSendError(f"no answer from {host} within {settings.NOTIFY_TIMEOUT} s") from None
    except URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise TransientSendError(f"no answer from {host} within {settings.NOTIFY_TIMEOUT} s") from None
        reason = exc.reason.strerror if isinstance(exc.reason, OSError) and exc.reason.strerror else "unreachable"
        raise TransientSendError(scrub(f"could not reach {host}: {reason}", *secrets)) from None
    except OSError as exc:
        raise TransientSendError(f"could not reach {host} ({type(exc).__name__})") from None


def slack_url(contact: Contact) -> str:
    prefs = getattr(contact, "channels", None)
    return (prefs.slack_webhook_url if prefs is not None else "") or settings.SLACK_WEBHOOK_URL


def send_slack(contact: Contact, message: Message) -> None:
    url = slack_url(contact)
    if not url:
        raise PermanentSendError("No Slack webhook: set WARROOM_SLACK_WEBHOOK_URL or the contact's own.")
    mention = f"{contact.slack_handle} " if contact.slack_handle else f"{contact.name}: "
    body = json.dumps({"text": mention + message.slack()}).encode()
    _post(url, body, {}, secrets=secrets_in_use(url))


def sign(body: bytes, secret: str) -> str:
    """The X-Warroom-Signature header's value: sha256=<hex HMAC-SHA256 of the raw body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(message: Message, *, delivery: int, timestamp: int) -> bytes:
    """The raw body that is signed; its timestamp equals the X-Warroom-Timestamp header, so a replay shows."""
    return json.dumps({**message.payload, "delivery": delivery, "timestamp": timestamp},
                      separators=(",", ":"), sort_keys=True).encode()


def send_webhook(contact: Contact, message: Message, *, delivery: int, timestamp: int) -> None:
    url, secret = settings.NOTIFY_WEBHOOK_URL, settings.NOTIFY_WEBHOOK_SECRET
    if not url:
        raise PermanentSendError("No webhook: set WARROOM_NOTIFY_WEBHOOK_URL.")
    body = webhook_body(message, delivery=delivery, timestamp=timestamp)
    headers = {"X-Warroom-Timestamp": str(timestamp), "X-Warroom-Signature": sign(body, secret),
               "X-Warroom-Delivery": str(delivery)}
    _post(url, body, headers, secrets=secrets_in_use())
