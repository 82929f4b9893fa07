// The agents' "Link a help article", without leaving the page: "Find" fills the list from the case
// page's own answer for the search (the reply being written stays as it is), and "Insert link"
// puts the chosen article's address where the cursor is. Without this script both are ordinary
// form submissions (the search reloads the page; the link is added at the end of the reply).
(function () {
  "use strict";
  var insert = document.querySelector("button[data-kb-insert]");
  if (!insert) {
    return;
  }
  var select = document.getElementById(insert.getAttribute("data-select"));
  var body = document.getElementById(insert.getAttribute("data-target"));
  var status = document.getElementById(insert.getAttribute("data-status"));
  var find = document.getElementById("kb-find");
  var search = document.getElementById("article-q");
  var replyQuery = insert.form && insert.form.querySelector("input[type=hidden][name=article_q]");
  if (!select || !body) {
    return;
  }

  function say(text) {
    if (status) {
      status.textContent = text || "";
    }
  }

  insert.addEventListener("click", function (event) {
    var option = select.options[select.selectedIndex];
    var url = option && option.getAttribute("data-url");
    if (!url) {
      return; // let the server explain
    }
    event.preventDefault();
    var text = body.value;
    var start = typeof body.selectionStart === "number" ? body.selectionStart : text.length;
    var end = typeof body.selectionEnd === "number" ? body.selectionEnd : text.length;
    var before = text.slice(0, start);
    var after = text.slice(end);
    var added = (before && !/\s$/.test(before) ? " " : "") + url + (after && !/^\s/.test(after) ? " " : "");
    body.value = before + added + after;
    var cursor = before.length + added.length;
    body.focus();
    body.setSelectionRange(cursor, cursor);
    say(insert.getAttribute("data-done"));
  });

  if (find && search && window.fetch && window.DOMParser && window.URLSearchParams) {
    find.addEventListener("submit", function (event) {
      event.preventDefault();
      var address = find.getAttribute("action").split("#")[0];
      var query = new URLSearchParams({ article_q: search.value });
      fetch(address + "?" + query.toString(), { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("find: " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          var found = new DOMParser().parseFromString(html, "text/html").getElementById(select.id);
          if (!found) {
            return;
          }
          select.innerHTML = found.innerHTML;
          if (replyQuery) {
            replyQuery.value = search.value;
          }
          say(find.getAttribute("data-found"));
        })
        .catch(function () {
          find.submit(); // as without the script
        });
    });
  }
})();
