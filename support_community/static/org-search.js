// The organization switchers search as you type (the form works without this script: it is a plain
// GET form, search then pick). After a short pause in the typing, the field's text is sent to the
// search endpoint; its HTML (a few links, or "no organization matches") goes under the field and a
// status region says how many were found, so a screen reader hears it without losing its place.
// Keyboard: Down arrow from the field goes to the first result, Up and Down move between results,
// Home and End to the first and last, Escape goes back to the field. Enter follows the focused link.
(function () {
  "use strict";
  if (!window.fetch || !window.URLSearchParams) {
    return;
  }
  var DELAY = 200;

  function links(results) {
    return Array.prototype.slice.call(results.querySelectorAll("a"));
  }

  function enhance(form) {
    var input = form.querySelector("input[name=q]");
    var results = form.querySelector("[data-org-results]");
    var status = form.querySelector("[data-org-status]");
    var url = form.getAttribute("data-results-url");
    if (!input || !results || !status || !url) {
      return;
    }
    var timer = null;
    var pending = null;
    var shownFor = null;

    function show(html, text) {
      results.innerHTML = html;
      var counted = results.querySelector("[data-count-text]");
      status.textContent = counted ? counted.getAttribute("data-count-text") : "";
      shownFor = text;
    }

    function update() {
      var text = input.value.trim();
      if (text === shownFor) {
        return;
      }
      if (!text) {
        show("", "");
        return;
      }
      if (pending && window.AbortController) {
        pending.abort();
      }
      pending = window.AbortController ? new AbortController() : null;
      var separator = url.indexOf("?") === -1 ? "?" : "&";
      var address = url + separator + new URLSearchParams({ q: text.slice(0, 100) }).toString();
      fetch(address, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
        signal: pending ? pending.signal : undefined,
      })
        .then(function (response) {
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (html !== null && input.value.trim() === text) {
            show(html, text);
          }
        })
        .catch(function () {
          /* aborted or offline: the form still works without the script */
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, DELAY);
    });

    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        var first = links(results)[0];
        if (first) {
          event.preventDefault();
          first.focus();
        }
      } else if (event.key === "Escape" && input.value) {
        event.preventDefault();
        input.value = "";
        show("", "");
      }
    });

    results.addEventListener("keydown", function (event) {
      var all = links(results);
      var at = all.indexOf(document.activeElement);
      if (at === -1) {
        return;
      }
      var next = null;
      if (event.key === "ArrowDown") {
        next = all[Math.min(at + 1, all.length - 1)];
      } else if (event.key === "ArrowUp") {
        next = at === 0 ? input : all[at - 1];
      } else if (event.key === "Home") {
        next = all[0];
      } else if (event.key === "End") {
        next = all[all.length - 1];
      } else if (event.key === "Escape") {
        next = input;
      }
      if (next) {
        event.preventDefault();
        next.focus();
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-org-search]"), enhance);
})();
