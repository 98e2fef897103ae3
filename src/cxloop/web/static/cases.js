// SLA timers on the case pages count down each minute from the server's value (data-seconds-left);
// the server computed the figure, this only keeps it from going stale while the page is open.
(function () {
  "use strict";
  var timers = document.querySelectorAll(".sla-timer[data-seconds-left]");
  if (!timers.length) { return; }
  var started = Date.now();
  var ko = document.documentElement.lang === "ko";
  function format(seconds) {
    var s = Math.abs(seconds), d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    return d ? d + "d " + h + "h" : h + "h " + (m < 10 ? "0" : "") + m + "m";
  }
  function tick() {
    var elapsed = Math.floor((Date.now() - started) / 1000);
    timers.forEach(function (el) {
      var left = parseInt(el.getAttribute("data-seconds-left"), 10) - elapsed;
      if (isNaN(left)) { return; }
      var overdue = left < 0;
      el.classList.toggle("sla-overdue", overdue);
      el.classList.toggle("sla-running", !overdue);
      el.textContent = format(left) + (overdue ? (ko ? " 초과" : " overdue") : (ko ? " 남음" : " left"));
    });
  }
  setInterval(tick, 30000);
}());
