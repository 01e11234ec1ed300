(function () {
  var section = document.getElementById("conversation");
  if (!section || !section.dataset.events || !window.EventSource) { return; }
  var source = new EventSource(section.dataset.events);
  source.addEventListener("conversation", function (ev) {
    var data = JSON.parse(ev.data);
    var current = document.getElementById("conversation");
    if (current) { current.outerHTML = data.html; }
  });
})();
