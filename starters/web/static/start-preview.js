// The start form's live preview: when the launch, the time zone, the playbook or the
// people change, fetch GET /start/preview with the form's fields (300 ms after the last
// keystroke) and put the fragment in <section id="preview">. Without this script the
// form's Preview button does the same with a page load. A file: the CSP allows no inline
// scripts.
(function () {
  "use strict";
  var form = document.getElementById("start-form");
  var section = document.getElementById("preview");
  if (!form || !section || !window.fetch) {
    return;
  }
  var WATCHED = /^(playbook|launch|timezone|project_manager|role:.*)$/;
  var DELAY_MS = 300;
  var timer = null;
  var asked = 0; // the latest request: an older answer arriving late is dropped

  var button = form.querySelector("button[name=preview]");
  if (button) {
    button.hidden = true; // the preview follows the fields by itself
  }

  function query() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (WATCHED.test(name)) {
        params.append(name, value);
      }
    });
    return params.toString();
  }

  function show(html) {
    section.innerHTML = html;
    section.removeAttribute("aria-busy");
  }

  function refresh() {
    var ticket = ++asked;
    section.setAttribute("aria-busy", "true");
    fetch("/start/preview?" + query(), {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then(function (response) {
        if (response.redirected || !response.ok) {
          // Signed out meanwhile (sent to /login), or the server failed.
          throw new Error("status " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        if (ticket === asked) {
          show(html);
        }
      })
      .catch(function () {
        if (ticket === asked) {
          show(
            '<h2 id="preview-title">Preview</h2><p class="preview-problem">' +
              "The preview could not be loaded; reload the page (you may need to sign in again).</p>"
          );
        }
      });
  }

  function changed(event) {
    if (!event.target || !WATCHED.test(event.target.name || "")) {
      return;
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, DELAY_MS);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
})();
