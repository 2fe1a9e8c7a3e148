// The incident page is redrawn wholesale by live updates (htmx out-of-band swaps). This file keeps what the
// reader is doing across each redraw (typed text, open sections, focus and caret, scroll positions), shows
// new timeline entries, keeps relative times current, hides read confirmations and copies the announcement.
(function () {
  "use strict";

  // ---- Relative times and countdowns -------------------------------------------------------------------
  function span(seconds) {
    seconds = Math.abs(Math.floor(seconds));
    if (seconds < 60) return seconds >= 5 ? "under a minute" : "a moment";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min";
    var hours = Math.floor(minutes / 60); minutes = minutes % 60;
    if (hours < 48) return minutes ? hours + " h " + minutes + " min" : hours + " h";
    return Math.floor(hours / 24) + " days";
  }
  function refresh() {
    var now = Date.now();
    document.querySelectorAll("time[data-relative]").forEach(function (el) {
      var delta = (Date.parse(el.getAttribute("datetime")) - now) / 1000;
      el.textContent = Math.abs(delta) < 5 ? "just now" : delta > 0 ? "in " + span(delta) : span(delta) + " ago";
    });
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var delta = (Date.parse(el.getAttribute("data-countdown")) - now) / 1000;
      var before = el.getAttribute("data-before") || "Ack due in", after = el.getAttribute("data-after") || "Overdue";
      if (delta > 0) { el.textContent = before + " " + span(delta); }
      else { el.textContent = after + " " + span(delta); el.classList.remove("sla-due"); el.classList.add("sla-breached"); }
    });
  }

  // ---- Stable keys: the same field, section or button before and after a redraw -------------------------
  // A redraw replaces the elements, so state is matched by key: an id when there is one; otherwise the form
  // (its action and hidden inputs, which name e.g. the target status or deployment) or the nearest ancestor
  // that identifies itself (id or data-run="7"-style attribute), plus the element's name or label. Elements
  // that still share a key are told apart by their order in the page.
  var FIELDS = "input:not([type=hidden]):not([type=submit]):not([type=button]), textarea, select";

  function formKey(form) {
    var hidden = [];
    form.querySelectorAll("input[type=hidden]").forEach(function (h) {
      if (h.name !== "csrfmiddlewaretoken") hidden.push(h.name + "=" + h.value);
    });
    return "form:" + (form.getAttribute("action") || "") + "?" + hidden.join("&");
  }
  function scopeKey(el) {
    if (el.form) return formKey(el.form);
    var parts = [];
    for (var node = el.parentElement; node; node = node.parentElement) {
      if (node.id) { parts.unshift("#" + node.id); break; }
      for (var i = 0; i < node.attributes.length; i++) {
        var attr = node.attributes[i];
        if (attr.name.indexOf("data-") === 0 && attr.value) { parts.unshift(attr.name + "=" + attr.value); break; }
      }
    }
    return parts.join(">");
  }
  function baseKey(el) {
    if (el.id) return "#" + el.id;
    var label = el.name || el.getAttribute("aria-label") || "";
    if (el.tagName === "DETAILS") { var summary = el.querySelector("summary"); label = summary ? summary.textContent.trim() : ""; }
    if (el.tagName === "BUTTON" && !label) label = el.textContent.trim();
    return scopeKey(el) + "|" + el.tagName + ":" + (el.type || "") + ":" + label;
  }
  function keyed(selector) {
    var seen = {}, out = [];
    document.querySelectorAll(selector).forEach(function (el) {
      var base = baseKey(el), n = seen[base] = (seen[base] || 0) + 1;
      out.push({key: base + "#" + n, el: el});
    });
    return out;
  }
  function keyOf(el, selector) {
    var found = keyed(selector).filter(function (k) { return k.el === el; })[0];
    return found ? found.key : null;
  }

  // ---- What the reader is doing: captured before a redraw, put back after it ----------------------------
  function edited(el) {
    if (el.tagName === "SELECT") {
      return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
    return el.value !== el.defaultValue;
  }
  function valueOf(el) {
    if (el.tagName === "SELECT") {
      return Array.prototype.filter.call(el.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
    }
    if (el.type === "checkbox" || el.type === "radio") return el.checked;
    return el.value;
  }
  function setValue(el, value) {
    if (el.tagName === "SELECT") {
      Array.prototype.forEach.call(el.options, function (o) { o.selected = value.indexOf(o.value) >= 0; });
    } else if (el.type === "checkbox" || el.type === "radio") {
      el.checked = value;
    } else if (el.value !== value) {
      el.value = value;
    }
  }

  function entryIds(list) {
    return Array.prototype.map.call(list.querySelectorAll("[data-entry]"), function (li) { return li.getAttribute("data-entry"); });
  }
  function firstVisibleEntry(list) {
    var top = list.getBoundingClientRect().top, entries = list.querySelectorAll("[data-entry]");
    for (var i = 0; i < entries.length; i++) {
      var box = entries[i].getBoundingClientRect();
      if (box.bottom > top) return {id: entries[i].getAttribute("data-entry"), offset: box.top - top};
    }
    return null;
  }

  var snapshot = null;      // taken before the first swap of a response, dropped once the response is in
  var submitted = null;     // the key of the form whose own successful submit this response answers

  function capture() {
    var state = {fields: {}, details: {}, focus: null, scrollY: window.scrollY, timeline: null};
    keyed(FIELDS).forEach(function (k) { if (edited(k.el)) state.fields[k.key] = valueOf(k.el); });
    keyed("details").forEach(function (k) { state.details[k.key] = k.el.open; });
    var active = document.activeElement;
    if (active && active !== document.body && active.matches(FIELDS + ", button, summary, a[href]")) {
      var selector = active.matches(FIELDS) ? FIELDS : active.tagName.toLowerCase() + (active.matches("a") ? "[href]" : "");
      state.focus = {key: keyOf(active, selector), selector: selector};
      try { state.focus.start = active.selectionStart; state.focus.end = active.selectionEnd; } catch (e) { /* no caret */ }
    }
    var list = document.getElementById("timeline");
    if (list) state.timeline = {ids: entryIds(list), scrollTop: list.scrollTop, anchor: firstVisibleEntry(list)};
    return state;
  }

  function restore(state) {
    keyed(FIELDS).forEach(function (k) {
      if (!(k.key in state.fields)) return;
      if (submitted && k.el.form && formKey(k.el.form) === submitted) return;  // their own submit: the form starts afresh
      setValue(k.el, state.fields[k.key]);
    });
    keyed("details").forEach(function (k) { if (k.key in state.details) k.el.open = state.details[k.key]; });
    if (state.focus && state.focus.key && !document.activeElement.matches(FIELDS + ", button, summary, a[href]")) {
      var target = keyed(state.focus.selector).filter(function (k) { return k.key === state.focus.key; })[0];
      if (target) {
        target.el.focus({preventScroll: true});
        try { if (state.focus.start != null) target.el.setSelectionRange(state.focus.start, state.focus.end); } catch (e) { /* no caret */ }
      }
    }
    if (window.scrollY !== state.scrollY) window.scrollTo(window.scrollX, state.scrollY);
    restoreTimeline(state.timeline);
  }

  // ---- New timeline entries: newest first, in view; a "N new" cue when the reader has scrolled away ------
  var unseen = {};  // entry id -> true, for entries that arrived while the reader was down among older ones
  function cue() { return document.querySelector("[data-new-entries]"); }
  function showCue() {
    var button = cue(), count = Object.keys(unseen).length;
    if (!button) return;
    button.hidden = count === 0;
    button.textContent = count === 1 ? "1 new entry ↑" : count + " new entries ↑";
  }
  function restoreTimeline(before) {
    var list = document.getElementById("timeline");
    if (!before || !list || list.getAttribute("data-restored")) return;
    list.setAttribute("data-restored", "1");  // a response swaps it once; later restores leave the reader's scrolling alone
    var fresh = entryIds(list).filter(function (id) { return before.ids.indexOf(id) < 0; });
    if (submitted || before.scrollTop <= 2) {  // at the top (or their own action): the newest are already in view
      list.scrollTop = 0;
      unseen = {};
    } else {
      var anchor = before.anchor && list.querySelector('[data-entry="' + before.anchor.id + '"]');
      list.scrollTop = anchor
        ? list.scrollTop + anchor.getBoundingClientRect().top - list.getBoundingClientRect().top - before.anchor.offset
        : before.scrollTop;
      fresh.forEach(function (id) { unseen[id] = true; });
    }
    showCue();
  }
  function seeNewest() {
    var list = document.getElementById("timeline");
    if (list) list.scrollTop = 0;
    unseen = {};
    showCue();
  }
  document.addEventListener("scroll", function (event) {
    if (event.target.id === "timeline" && event.target.scrollTop <= 2 && Object.keys(unseen).length) { unseen = {}; showCue(); }
  }, true);

  function begin(event) {
    if (snapshot) return;
    snapshot = capture();
    var list = document.getElementById("timeline");
    if (list) list.removeAttribute("data-restored");
    var detail = event.detail || {};
    var source = detail.requestConfig ? detail.requestConfig.elt : null, xhr = detail.xhr;
    var form = source && source.closest && source.closest("form");
    submitted = form && xhr && xhr.status >= 200 && xhr.status < 300 ? formKey(form) : null;
    setTimeout(function () { snapshot = null; submitted = null; }, 0);  // every swap of one response runs before this
  }
  document.addEventListener("htmx:beforeSwap", begin);
  document.addEventListener("htmx:oobBeforeSwap", begin);
  document.addEventListener("htmx:oobAfterSwap", function () { if (snapshot) restore(snapshot); });
  document.addEventListener("htmx:afterSwap", function () { if (snapshot) restore(snapshot); });

  // ---- Confirmations go once read -----------------------------------------------------------------------
  var HIDE_AFTER_MS = 5000;
  function hideMessages() {
    document.querySelectorAll(".messages [data-autohide]").forEach(function (li) {
      setTimeout(function () { dismiss(li); }, HIDE_AFTER_MS);
    });
  }
  function dismiss(li) {
    var list = li.parentElement;
    li.remove();
    if (list && !list.children.length) list.remove();
  }

  // ---- Copy: the Clipboard API needs a secure origin; on plain HTTP select the text and copy that ----------
  function select(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  function say(button, text) {
    button.textContent = text;
    setTimeout(function () { button.textContent = "Copy"; }, 2000);
  }
  function copyBySelection(button, node) {
    select(node);
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
    say(button, copied ? "Copied" : "Select and copy");  // not copied: the text stays selected for the reader
  }
  document.addEventListener("click", function (event) {
    var dismisser = event.target.closest("[data-dismiss]");
    if (dismisser) { dismiss(dismisser.closest("li")); return; }
    if (event.target.closest("[data-new-entries]")) { seeNewest(); return; }
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var node = document.querySelector(button.getAttribute("data-copy"));
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(node.textContent).then(
        function () { say(button, "Copied"); },
        function () { copyBySelection(button, node); });
    } else {
      copyBySelection(button, node);
    }
  });

  // ---- What used to be inline (the Content-Security-Policy allows no inline script, and htmx runs without eval) ---
  // A form marked data-reset-on-success (the note box) is emptied once its post succeeded.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail && event.detail.elt;
    if (event.detail.successful && form && form.matches && form.matches("form[data-reset-on-success]")) form.reset();
  });
  // A button marked data-print prints the page (the escalation table).
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });

  document.addEventListener("DOMContentLoaded", function () { refresh(); hideMessages(); });
  document.addEventListener("htmx:afterSettle", refresh);
  setInterval(refresh, 10000);
})();
