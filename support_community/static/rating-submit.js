// One click from the "case solved" mail: the rating link's page sends the chosen rating as soon as
// a person's browser shows it. Opening the link records nothing (mail scanners fetch links without
// running scripts); without this script the page's button sends the rating.
(function () {
  "use strict";
  var form = document.querySelector("form[data-rating-one-click]");
  if (!form) {
    return;
  }
  // Back from the thank-you page: the person may have changed their answer there; do not send the old one again.
  var entries = window.performance && performance.getEntriesByType ? performance.getEntriesByType("navigation") : [];
  if (entries.length && entries[0].type === "back_forward") {
    return;
  }
  var sent = false;
  function send() {
    // A page the browser prepares in advance (prerendering) or keeps in a background tab waits until it is seen.
    if (sent || document.prerendering || document.visibilityState !== "visible") {
      return;
    }
    sent = true;
    form.setAttribute("aria-busy", "true");
    form.submit();
  }
  document.addEventListener("visibilitychange", send);
  document.addEventListener("prerenderingchange", send);
  send();
})();
