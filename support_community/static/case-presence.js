// Tells the server every minute that this agent has the case open, and (at most every 20 seconds)
// that they are writing a reply; shows which other agents are on the case. Without this script
// the notice is as the page was made, and a reply sent after someone else wrote is shown again.
(function () {
  "use strict";
  var notice = document.getElementById("colleagues");
  var body = document.getElementById("body");
  var token = document.querySelector("input[name=csrf_token]");
  if (!notice || !token || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var url = notice.getAttribute("data-presence-url");
  var lastWriting = 0;

  function tell(state) {
    var data = new URLSearchParams({ state: state, csrf_token: token.value });
    fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (answer) {
        if (answer && notice.textContent !== answer.text) {
          notice.textContent = answer.text;
        }
      })
      .catch(function () {});
  }

  window.setInterval(function () {
    tell(Date.now() - lastWriting < 60000 ? "replying" : "viewing");
  }, 60000);
  if (body) {
    body.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastWriting > 20000) {
        lastWriting = now;
        tell("replying");
      }
    });
  }
})();
