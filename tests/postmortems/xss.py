"""XSS payloads a post-mortem section might receive (typed, pasted from a chat, or sent to the API)."""

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
]
