(function () {
  var rows = document.getElementById("queue-rows");
  var lastUrgent = parseInt(rows.dataset.urgent, 10) || 0;
  function title(n) { document.title = n > 0 ? rows.dataset.urgentTitle.replace("{n}", n) : rows.dataset.title; }
  function beep() {
    try { var c = new (window.AudioContext || window.webkitAudioContext)(); var o = c.createOscillator();
      o.frequency.value = 880; o.connect(c.destination); o.start(); o.stop(c.currentTime + 0.3); } catch (e) {}
  }
  title(lastUrgent);
  var source = new EventSource("/console/queue/events");
  source.addEventListener("queue", function (ev) {
    var data = JSON.parse(ev.data);
    fetch("/console/queue/rows", {credentials: "same-origin"}).then(function (r) { return r.text(); })
      .then(function (html) { document.getElementById("queue-rows").innerHTML = html; });
    if (data.urgent > lastUrgent) { beep(); }
    lastUrgent = data.urgent; title(data.urgent);
  });
  source.onerror = function () { var s = document.getElementById("live-status"); s.textContent = s.dataset.reconnecting; };
})();
