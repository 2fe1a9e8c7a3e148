"""Markdown to stored HTML: python-markdown's tables, fenced code and lists, then nh3 keeps only what is safe."""

import re

import pytest

from postmortems.markdown import render
from tests.security.xss import PAYLOADS

DANGEROUS = [
    re.compile(r"<\s*(script|iframe|object|embed|svg|math|style|form|input|meta|base|link|img|body|template|details)\b",
               re.I),
    re.compile(r"\son[a-z]+\s*=", re.I),  # event handlers
    re.compile(r"\sstyle\s*=", re.I),
    re.compile(r"(javascript|vbscript|data)\s*:", re.I),
    re.compile(r"[\u202a-\u202e\u2066-\u2069]"),
]


def test_the_corpus_is_large_enough():
    assert len(PAYLOADS) >= 30


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_survives_in_the_stored_html(payload):
    html = render(payload)
    for pattern in DANGEROUS:
        # Text that merely *mentions* a scheme is escaped text, never an attribute: look inside tags only.
        tags = " ".join(re.findall(r"<[^>]*>", html))
        target = html if pattern.pattern.startswith("[") or pattern.pattern.startswith("<") else tags
        assert not pattern.search(target), (payload, html)


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if "href" in p or "](" in p or "]:" in p])
def test_links_keep_only_safe_hrefs(payload):
    for href in re.findall(r'href="([^"]*)"', render(payload)):
        assert href.startswith(("https://", "http://", "/", "mailto:")), href


def test_scripts_and_styles_go_with_their_content():
    assert "alert" not in render("<script>alert(1)</script>after")
    assert "display" not in render("<style>body{display:none}</style>after")
    assert render("<script>alert(1)</script>after") == "<p>after</p>"


def test_template_syntax_is_kept_as_text_never_evaluated():
    assert "{{7*7}}" in render("{{7*7}}") and "49" not in render("{{7*7}}")


def test_bidi_override_characters_are_removed_and_the_text_kept():
    assert render("invoice_\u202egnp.exe") == "<p>invoice_gnp.exe</p>"


def test_links_get_rel_noopener_noreferrer_nofollow():
    assert render("[runbook](https://wiki.example/runbook)") == (
        '<p><a href="https://wiki.example/runbook" rel="noopener noreferrer nofollow">runbook</a></p>')
    assert 'href="/incidents/3/"' in render("[the incident](/incidents/3/)")
    assert 'href="mailto:sre@example.com"' in render("<mailto:sre@example.com>") or "sre@example.com" in render(
        "<mailto:sre@example.com>")


def test_tables_fenced_code_and_sane_lists():
    html = render("| a | b |\n|:--|--:|\n| 1 | 2 |")
    assert "<table>" in html and "<th>a</th>" in html and "<td>2</td>" in html and "style" not in html
    code = render("```python\n<b>x</b> = 1\n```")
    assert code.startswith("<pre><code>") and "&lt;b&gt;x&lt;/b&gt;" in code
    lists = render("1. one\n2. two\n\n* a\n* b")
    assert "<ol>" in lists and "<ul>" in lists
    assert render("3. three\n4. four").startswith('<ol start="3">')


def test_headings_emphasis_and_quotes_are_kept():
    html = render("### What went well\n\n**fast** _paging_\n\n> quote")
    assert "<h3>What went well</h3>" in html and "<strong>fast</strong>" in html and "<em>paging</em>" in html
    assert "<blockquote>" in html


def test_empty_source_renders_empty():
    assert render("") == "" and render("  \n") == ""
