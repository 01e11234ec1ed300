(function () {
  var box = document.getElementById("composer"), out = document.getElementById("lock-preview");
  if (!box || !out) { return; }
  var title = box.dataset.coverTitle || "";
  box.addEventListener("input", function () { out.textContent = (title + " " + box.value).replace(/\s+/g, " ").slice(0, 60); });
})();
