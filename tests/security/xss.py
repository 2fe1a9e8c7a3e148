"""One XSS corpus for every text a person or an alert can enter, and a parser-based check of the pages showing it.

`PAYLOADS` is typed into titles, notes, post-mortem Markdown, contact names, alert labels, target descriptions,
Slack commands and status provider names; `problems(html)` reads a page with html.parser (not substrings) and
lists whatever in it could run a script, load from another origin or let htmx act: a payload that reached the page
as markup instead of escaped text.
"""

import re
from html.parser import HTMLParser

PAYLOADS = [
    # tags
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"data:text/html,<script>alert(1)</script>\">",
    "<form action=\"javascript:alert(1)\"><button>go</button></form>",
    "<input autofocus onfocus=alert(1)>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"javascript:alert(1)//\">",
    "<link rel=stylesheet href=\"javascript:alert(1)\">",
    "<template><script>alert(1)</script></template>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    # attributes
    "<p onclick=\"alert(1)\">click</p>",
    "<a href=\"https://ok.example\" onmouseover=\"alert(1)\">hover</a>",
    "<details open ontoggle=alert(1)>x</details>",
    "<body onload=alert(1)>",
    "<p style=\"background:url(javascript:alert(1))\">styled</p>",
    "<div style=\"position:fixed;inset:0\">cover</div>",
    # javascript: and data: URLs, incl. obfuscated
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "<a href=\"jav&#x61;script:alert(1)\">x</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "<a href=\"java\tscript:alert(1)\">x</a>",
    "<a href=\"java\nscript:alert(1)\">x</a>",
    "<a href=\"javascript&colon;alert(1)\">x</a>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<a href=\"DATA:text/html,<script>alert(1)</script>\">x</a>",
    "[x](vbscript:msgbox(1))",
    "![img](javascript:alert(1))",
    "[ref][1]\n\n[1]: javascript:alert(1)",
    # SVG
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    # style
    "<style>body{display:none}</style>",
    "<style>@import 'javascript:alert(1)';</style>",
    # template injection and bidi overrides
    "{{7*7}} {% debug %} ${7*7} #{7*7}",
    "invoice_\u202egnp.exe and \u2066isolated\u2069",
    # comments and broken markup
    "<!--<img src=x onerror=alert(1)>-->",
    "<a href=\"https://ok.example\"><img src=x onerror=alert(1)></a>",
    # breaking out of an attribute, a <script> (JSON inside one), a <title> or a <textarea>
    "\"><script>alert(1)</script>",
    "' onmouseover='alert(1)' x='",
    "\" autofocus onfocus=\"alert(1)\" x=\"",
    "</script><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    # other origins, and htmx attributes (htmx would act on them if they reached the page as markup)
    "<img src=\"https://evil.example/pixel.png\">",
    "<link rel=stylesheet href=\"//evil.example/x.css\">",
    "<div hx-get=\"https://evil.example/x\" hx-trigger=\"load\">htmx</div>",
    "<div hx-on:htmx:load=\"alert(1)\" hx-on::load=\"alert(1)\">htmx</div>",
    # more template syntax, one at a time, and a bare javascript: URL (for fields that become links)
    "{{ request.user.password }}",
    "{% load static %}{% now 'Y' %}",
    "${7*7}",
    "javascript:alert(1)",
]

_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcset",
                   "hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete"}
_NEVER = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "style"}  # our CSS is in files
_LOADS = {"src", "srcset", "poster", "background", "data"}  # attributes the browser fetches by itself
_BAD_SCHEME = re.compile(r"^(javascript|vbscript|data):", re.I)
# Our templates' own inline htmx handlers, word for word: any other hx-on is a payload that htmx would run.
OURS = {("hx-on::after-request", "if (event.detail.successful) this.reset()"), ("onclick", "window.print()")}
SCRIPTS = ("/static/", "/admin/jsi18n/")  # our files and Django admin's translations
_CONTROLS = re.compile(r"[\x00-\x20\x7f]+")


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []
        self._script: str | None = None  # the open <script>'s kind: "json" (data) or "code"

    def handle_starttag(self, tag, attrs):
        where = self.get_starttag_text() or tag
        attributes = dict(attrs)
        if tag in _NEVER:
            self.problems.append(f"<{tag}> on the page: {where}")
        if tag == "script":
            if attributes.get("type") == "application/json":
                self._script = "json"
            else:
                self._script = "code"
                if not (attributes.get("src") or "").startswith(SCRIPTS):
                    self.problems.append(f"a script that is not one of ours: {where}")
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh":
            self.problems.append(f"a meta refresh: {where}")
        href = attributes.get("href") or "/"
        if tag == "link" and (not href.startswith("/") or href.startswith("//")):
            self.problems.append(f"a link to another origin: {where}")
        for name, value in attrs:
            value = value or ""
            if (name.startswith(("on", "hx-on")) or name == "srcdoc") and (name, value) not in OURS:
                self.problems.append(f"a {name} attribute: {where}")
            if name in _URL_ATTRIBUTES and _BAD_SCHEME.match(_CONTROLS.sub("", value)):
                self.problems.append(f"a {name} with a script or data URL: {where}")
            if (name in _LOADS or name.startswith("hx-")) and re.match(r"^\s*(https?:)?//", value):
                self.problems.append(f"a {name} to another origin: {where}")
            if name == "style" and re.search(r"url\s*\(|expression\s*\(|javascript:", value, re.I):
                self.problems.append(f"a style that loads or runs: {where}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script == "code" and data.strip():
            self.problems.append(f"inline script: {data[:80]!r}")
        elif self._script is None:
            self.text.append(data)


def read(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def problems(html: str) -> list[str]:
    """What on this page could run, load from elsewhere or drive htmx; empty for a safe page."""
    return read(html).problems


def shown_as_text(html: str, payload: str) -> bool:
    """The payload is on the page as text a person reads (whitespace aside): escaped, not parsed as markup."""
    squash = re.compile(r"\s+")
    return squash.sub("", payload) in squash.sub("", "".join(read(html).text))
