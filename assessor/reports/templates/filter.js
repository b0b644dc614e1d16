"use strict";
// Filter the findings by status, severity and free text. The page is complete without
// this script: it only hides what does not match, and a deep link always shows its target.
(function () {
  var form = document.getElementById("filters");
  if (!form) { return; }
  var findings = Array.prototype.slice.call(document.querySelectorAll("article.finding"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.findings"));
  var count = document.getElementById("filter-count");
  var text = findings.map(function (el) { return el.textContent.toLowerCase(); });
  function checked(name) {
    var boxes = form.querySelectorAll("input[name=" + name + "]:checked");
    return Array.prototype.map.call(boxes, function (b) { return b.value; });
  }
  function apply() {
    var statuses = checked("status"), severities = checked("severity");
    var query = form.elements.q.value.trim().toLowerCase();
    var shown = 0;
    findings.forEach(function (el, i) {
      var ok = statuses.indexOf(el.dataset.status) >= 0 &&
        severities.indexOf(el.dataset.severity) >= 0 &&
        (!query || text[i].indexOf(query) >= 0);
      el.hidden = !ok;
      if (ok) { shown += 1; }
    });
    sections.forEach(function (sec) {
      sec.hidden = !sec.querySelector("article.finding:not([hidden])");
    });
    count.value = shown + " of " + findings.length + " controls shown";
    count.dataset.shown = String(shown);
  }
  function reset() {
    Array.prototype.forEach.call(form.querySelectorAll("input[type=checkbox]"), function (b) {
      b.checked = true;
    });
    form.elements.q.value = "";
    apply();
  }
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (target && target.hidden) {
      reset();
      target.scrollIntoView();
    }
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  document.getElementById("filter-reset").addEventListener("click", reset);
  window.addEventListener("hashchange", reveal);
  form.hidden = false;
  apply();
})();
