// Follows an import job: asks its status every second, moves the progress bar, and reloads
// the page (which then shows the report) when the job has finished. Without JavaScript the
// page refreshes itself instead (a <noscript> meta refresh).
(function () {
  "use strict";
  var bar = document.getElementById("import-progress");
  if (!bar) { return; }
  var url = bar.getAttribute("data-status-url");
  var text = document.getElementById("import-progress-text");
  var template = text ? text.getAttribute("data-template") : "";
  function show(status) {
    if (status.rows_total > 0) {
      bar.max = status.rows_total;
      bar.value = status.rows_done;
    }
    if (text && template) {
      text.textContent = template
        .replace("%(done)s", status.rows_done)
        .replace("%(total)s", status.rows_total)
        .replace("%(status)s", status.status_label);
    }
  }
  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (status) {
        show(status);
        if (status.finished) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
}());
