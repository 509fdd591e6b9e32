/*
 * Print buttons (templates/pages/plan_years.html): a <button data-print>
 * opens the browser's print dialog.
 *
 * The Content Security Policy (script-src 'self', ise_iga_dx/security.py)
 * refuses an inline onclick="", so the listener is bound here. The button
 * is hidden in the HTML and shown by this script: without JavaScript no
 * button appears that does nothing (the browser's own print still works).
 */
(function () {
  "use strict";

  var buttons = document.querySelectorAll("button[data-print]");
  Array.prototype.forEach.call(buttons, function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
