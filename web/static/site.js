// Quarry web pages: progressive enhancements only; every page works without it.
// Copy buttons: <button data-copy="ID" hidden> copies the value of input ID,
// or the text of element ID (code snippets).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var id = button.getAttribute("data-copy");
    var input = document.getElementById(id);
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    if (!input) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function (ok) {
        if (status) status.textContent = ok ? "Copied to the clipboard." : "Select the text and copy it with your keyboard.";
      };
      var isField = input.tagName === "INPUT" || input.tagName === "TEXTAREA";
      input.focus();
      if (isField) input.select();
      var text = isField ? input.value : input.textContent;
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
      } else {
        done(false);
      }
    });
  });
});
