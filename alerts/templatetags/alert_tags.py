"""Links from alerts are the sender's text: only http(s) URLs become links (no javascript:, data: …)."""

from urllib.parse import urlsplit

from django import template

register = template.Library()


@register.filter
def web_url(value: str) -> str:
    """The URL if it is http(s) with a host, else "" (the template then shows no link)."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return ""
    return value.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else ""
