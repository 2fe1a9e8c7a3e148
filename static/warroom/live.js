// Push with polling as the fallback. A page with a live element (<div id="live" data-stream=…>) listens to its
// Server-Sent Events stream; each event only says the version (or the dashboard's token), and when it is not the
// one the page shows, the page fetches its usual live partial (the same request as a poll, so the same permissions
// and rendering). Polling stops while the stream is healthy and resumes by itself when it is not: before the first
// event arrives (a proxy that buffers never lets one through), while EventSource reconnects, after the server
// refused or ended the stream, and when neither an event nor a heartbeat came for longer than the server promised.
(function () {
  "use strict";
  var SILENCE_MS = 35000;   // two heartbeats (15 s) and some slack
  var RETRY_MS = 30000;     // a refused or ended stream is tried again this much later
  var source = null, watchdog = null, retry = null, inFlight = false, again = false, stuck = null;
  window.warroomStreaming = false;

  function poller() { return document.getElementById("live"); }
  function setStreaming(on) {
    window.warroomStreaming = on;
    document.documentElement.setAttribute("data-live", on ? "stream" : "poll");
  }
  function fetchNow() {
    var el = poller();
    if (!el || !window.htmx) return;
    if (inFlight) { again = true; return; }  // one at a time; a change during it fetches once more after it
    inFlight = true;
    clearTimeout(stuck);
    stuck = setTimeout(done, 10000);
    window.htmx.trigger(el, "live-changed");
  }
  function done() {
    if (!inFlight) return;
    inFlight = false;
    clearTimeout(stuck);
    if (again) { again = false; fetchNow(); }
  }
  // A fetch ends with #live swapped out-of-band (then the old element, detached, cannot bubble its afterRequest
  // to the document) or with a 204 (nothing swapped): either event ends it.
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "live") done();
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.id === "live") done();
  });

  function stop() {
    if (source) source.close();
    source = null;
    clearTimeout(watchdog);
    setStreaming(false);
  }
  function later(ms) { clearTimeout(retry); retry = setTimeout(connect, ms); }
  function alive() {
    setStreaming(true);
    clearTimeout(watchdog);
    watchdog = setTimeout(function () { stop(); connect(); }, SILENCE_MS);
  }

  function connect() {
    var el = poller();
    if (!el || !el.getAttribute("data-stream") || !window.EventSource) return;  // no stream here: polling only
    stop();
    source = new EventSource(el.getAttribute("data-stream"));
    source.addEventListener("version", function (event) {
      alive();
      var shown = poller();
      if (shown && event.data !== shown.getAttribute("data-version")) fetchNow();  // catching up after (re)connect
    });
    source.addEventListener("change", function () { alive(); fetchNow(); });
    source.addEventListener("ping", alive);
    source.addEventListener("end", function (event) {
      stop();
      if (event.data !== "forbidden") later(RETRY_MS);  // signed out or no longer allowed: polling says the rest
    });
    source.onerror = function () {
      setStreaming(false);  // poll while EventSource reconnects (it sends Last-Event-ID, then gets the version)
      if (source && source.readyState === EventSource.CLOSED) { stop(); later(RETRY_MS); }
    };
  }

  // While the stream is healthy the poller's timer asks nothing: only a change the stream announced is fetched.
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail && event.detail.elt, cause = event.detail && event.detail.triggeringEvent;
    if (elt && elt.id === "live" && window.warroomStreaming && !(cause && cause.type === "live-changed")) {
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", connect);
  window.addEventListener("pagehide", stop);
  window.addEventListener("pageshow", function (event) { if (event.persisted) connect(); });
})();
