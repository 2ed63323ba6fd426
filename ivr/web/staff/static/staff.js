// The staff pages' only script: a part of a page marked data-refresh-url is fetched again every
// data-refresh-seconds and put in place, so the Now board stays current without a reload.
// Without JavaScript the pages work the same, only without the refresh.
(function () {
  "use strict";
  function refresh(part) {
    var url = part.getAttribute("data-refresh-url");
    var seconds = Number(part.getAttribute("data-refresh-seconds")) || 10;
    function tick() {
      fetch(url, { headers: { "X-Refresh": "1" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (response.status === 401) { window.location.reload(); return null; }   // the login page
          return response.ok ? response.text() : null;
        })
        .then(function (html) { if (html !== null) { part.innerHTML = html; } })
        .catch(function () { /* offline a moment: the next tick tries again */ })
        .then(function () { window.setTimeout(tick, seconds * 1000); });
    }
    window.setTimeout(tick, seconds * 1000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-refresh-url]").forEach(refresh);
  });
})();
