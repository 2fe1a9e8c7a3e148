"""A post-mortem section's Markdown, rendered once and stored: python-markdown, then nh3 keeps only what is safe.

Kept: text structure (headings, paragraphs, lists, tables, code, quotes, emphasis) and links to http(s), mailto or
relative addresses, which get rel="noopener noreferrer nofollow". Gone: scripts and styles with their content,
every other tag (iframes, SVG, forms, images), every event handler and inline style, `javascript:`/`data:`/any
other scheme, and the bidirectional-override characters that can make text read differently from what it is.
"""

import re

import markdown as python_markdown
import nh3

EXTENSIONS = ["tables", "fenced_code", "sane_lists"]

TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "del", "sup", "sub", "abbr",
}
ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "ol": {"start"}, "th": {"colspan", "rowspan"},
              "td": {"colspan", "rowspan"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"

# Removed with everything inside them (the rest of the disallowed tags lose the tag and keep their text).
DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript", "textarea",
                     "select", "title", "xmp", "noembed", "noframes", "frameset", "applet"}

# LRE, RLE, PDF, LRO, RLO and the isolates: text that reads in another order than it is written.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _no_hidden_characters(tag: str, attribute: str, value: str) -> str | None:
    """A link with whitespace or control characters inside ("java\tscript:") is dropped, not guessed at."""
    if attribute == "href" and any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    return value


def sanitise(html: str) -> str:
    """Only the tags, attributes and URL schemes above survive."""
    cleaned = nh3.clean(html, tags=TAGS, clean_content_tags=DROP_WITH_CONTENT, attributes=ATTRIBUTES,
                        attribute_filter=_no_hidden_characters, url_schemes=URL_SCHEMES, link_rel=LINK_REL,
                        strip_comments=True)
    return BIDI_CONTROLS.sub("", cleaned)


def render(source: str) -> str:
    """Markdown → sanitised HTML, ready to store beside its source and show with |safe."""
    if not source.strip():
        return ""
    html = python_markdown.markdown(source, extensions=EXTENSIONS, output_format="html")
    return sanitise(html).strip()
