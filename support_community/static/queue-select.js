// "Select every case on this page" without reloading it: the link ticks (or clears) the queue's boxes.
// Without this script the link reloads the queue with every box ticked.
(function () {
  "use strict";
  var link = document.querySelector("a[data-select-all]");
  if (!link) {
    return;
  }
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[type=checkbox][form=bulk][name=case]'));
  link.setAttribute("role", "button");
  function toggle(event) {
    event.preventDefault();
    var all = boxes.every(function (box) { return box.checked; });
    boxes.forEach(function (box) { box.checked = !all; });
  }
  link.addEventListener("click", toggle);
  link.addEventListener("keydown", function (event) {
    if (event.key === " ") {
      toggle(event); // a button answers to the space bar too
    }
  });
})();
