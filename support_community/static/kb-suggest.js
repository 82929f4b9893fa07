// The new-case form's help articles follow the typing (the form works without this script: its
// first submit shows them). After a pause in the typing, the subject and description are sent to
// the suggestions endpoint, whose HTML replaces the contents of the aria-live region, so a screen
// reader hears of new suggestions without losing its place. Once the suggestions for the text as it
// is were shown, the form says so (suggestions_seen), and sending it opens the case at once.
(function () {
  "use strict";
  var region = document.getElementById("kb-suggestions");
  if (!region || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var form = region.closest("form");
  var subject = form && form.querySelector("[name=subject]");
  var description = form && form.querySelector("[name=description]");
  var seen = form && form.querySelector("input[name=suggestions_seen]");
  var url = region.getAttribute("data-url");
  if (!subject || !description || !seen || !url) {
    return;
  }
  var timer = null;
  var pending = null;
  var shownFor = null;
  var lastHtml = null;

  function typed() {
    return subject.value.trim() + "\n" + description.value.trim();
  }

  function update() {
    var text = typed();
    if (text === shownFor) {
      seen.value = "1";
      return;
    }
    if (pending && window.AbortController) {
      pending.abort();
    }
    pending = window.AbortController ? new AbortController() : null;
    var query = new URLSearchParams({
      subject: subject.value.slice(0, 200),
      description: description.value.slice(0, 2000)
    });
    fetch(url + "?" + query.toString(), {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
      signal: pending ? pending.signal : undefined
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("suggestions: " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        if (typed() !== text) {
          return;
        }
        if (html !== lastHtml) {
          region.innerHTML = html;
          lastHtml = html;
        }
        shownFor = text;
        seen.value = "1";
      })
      .catch(function () {
        // Offline, or the session ended: the form's first submit shows the suggestions instead.
      });
  }

  function schedule() {
    seen.value = "";
    window.clearTimeout(timer);
    timer = window.setTimeout(update, 500);
  }

  subject.addEventListener("input", schedule);
  description.addEventListener("input", schedule);
  if (typed().trim()) {
    schedule();
  }
})();
