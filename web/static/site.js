// Quarry web pages: progressive enhancements only; every page works without it.
// Copy buttons: <button data-copy="INPUT_ID" hidden> copies the input's value.
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
        if (status) status.textContent = ok ? "Copied to the clipboard." : "Select the token and copy it with your keyboard.";
      };
      input.focus();
      input.select();
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(input.value).then(function () { done(true); }, function () { done(false); });
      } else {
        done(false);
      }
    });
  });
});
