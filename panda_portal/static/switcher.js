// "Switch organization": the list follows the search box as the person types.
// Without this script the same form reloads the page (search, then pick).
(function () {
  "use strict";
  var form = document.getElementById("switcher-form");
  var input = document.getElementById("switcher-query");
  var results = document.getElementById("switcher-results");
  var status = document.getElementById("switcher-status");
  var start = document.getElementById("switcher-start");
  if (!form || !input || !results) {
    return;
  }
  var timer = null;
  var latest = 0;

  function links() {
    // Only what is shown: the favourites and the last used are hidden while searching.
    return Array.prototype.slice.call(document.querySelectorAll(".switcher-list a")).filter(function (link) {
      return link.offsetParent !== null;
    });
  }

  function show(query) {
    var asked = ++latest;
    var url = form.getAttribute("data-fragment-url") + "&q=" + encodeURIComponent(query);
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html === null || asked !== latest) {
          return;
        }
        results.innerHTML = html;
        if (start) {
          start.hidden = query.trim() !== "";
        }
        var fragment = results.querySelector("[data-status]");
        if (status && fragment) {
          status.textContent = fragment.getAttribute("data-status");
        }
        var address = new URL(window.location.href);
        if (query.trim()) {
          address.searchParams.set("q", query);
        } else {
          address.searchParams.delete("q");
        }
        address.searchParams.delete("page");
        window.history.replaceState(null, "", address.toString());
      })
      .catch(function () {
        /* offline: the form still works */
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      show(input.value);
    }, 150);
  });

  // Down arrow from the box reaches the first organization; up and down move along
  // the list; up from the first one, or Escape, returns to the box.
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") {
      var all = links();
      if (all.length) {
        event.preventDefault();
        all[0].focus();
      }
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.target === input) {
      return; // handled above
    }
    var all = links();
    var index = all.indexOf(document.activeElement);
    if (index < 0) {
      return;
    }
    if (event.key === "ArrowDown" && index < all.length - 1) {
      event.preventDefault();
      all[index + 1].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      (index > 0 ? all[index - 1] : input).focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      input.focus();
    }
  });
})();
