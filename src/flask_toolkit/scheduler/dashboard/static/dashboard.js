// The scheduler dashboard's only script: optional, the pages read fine without it.
// 1. Each <time datetime> shows the viewer's local time, with the server's UTC text kept.
// 2. Delete buttons ask for confirmation.
(function () {
  "use strict";
  var format = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short"
  });
  function localize() {
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime()) || el.classList.contains("local")) return;
      var utc = el.textContent;
      el.textContent = format.format(when) + " ";
      var small = document.createElement("span");
      small.className = "utc";
      small.textContent = "(" + utc + ")";
      el.appendChild(small);
      el.title = utc;
      el.classList.add("local");
    });
  }
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", localize);
  } else {
    localize();
  }
})();
