// The agents' "Insert a canned reply" without leaving the page: the chosen reply (already in the
// customer's language, placeholders filled in by the server) goes in where the cursor is, and the
// status it sets is chosen. Without this script the button sends the form and the page comes back
// with the reply added at the end.
(function () {
  "use strict";
  var insert = document.querySelector("button[data-canned-insert]");
  if (!insert) {
    return;
  }
  var select = document.getElementById(insert.getAttribute("data-select"));
  var body = document.getElementById(insert.getAttribute("data-target"));
  var statusField = document.getElementById(insert.getAttribute("data-status-field"));
  var status = document.getElementById(insert.getAttribute("data-status"));
  if (!select || !body) {
    return;
  }
  insert.addEventListener("click", function (event) {
    var option = select.options[select.selectedIndex];
    if (!option) {
      return;
    }
    event.preventDefault();
    var added = option.getAttribute("data-body") || "";
    var text = body.value;
    var start = typeof body.selectionStart === "number" ? body.selectionStart : text.length;
    var end = typeof body.selectionEnd === "number" ? body.selectionEnd : text.length;
    var before = text.slice(0, start);
    var after = text.slice(end);
    if (before && !/\n\n$/.test(before)) {
      added = (/\n$/.test(before) ? "\n" : "\n\n") + added;
    }
    if (after && !/^\n/.test(after)) {
      added = added + "\n\n";
    }
    body.value = before + added + after;
    var cursor = before.length + added.length;
    body.focus();
    body.setSelectionRange(cursor, cursor);
    var wanted = option.getAttribute("data-status");
    if (wanted && statusField) {
      statusField.value = wanted;
    }
    if (status) {
      status.textContent = insert.getAttribute("data-done");
    }
  });
})();
