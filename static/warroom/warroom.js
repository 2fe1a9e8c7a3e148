// Keeps relative times and SLA countdowns current between live updates, and copies the announcement.
(function () {
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
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var text = document.querySelector(button.getAttribute("data-copy")).textContent;
    navigator.clipboard.writeText(text).then(function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy"; }, 1500);
    });
  });
  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("htmx:afterSettle", refresh);
  setInterval(refresh, 10000);
})();
