// Records script errors, failed loads and console.error calls on the page itself: they are
// listed in the "Dashboard errors" box, and counted in <html data-errors="N">, which is what
// the headless-browser test reads from the dumped DOM. Loaded before any other script.
(function () {
  "use strict";
  var errors = [];
  window.hqErrors = errors;

  function show() {
    document.documentElement.setAttribute("data-errors", String(errors.length));
    var box = document.getElementById("hq-errors");
    var list = document.getElementById("hq-error-list");
    if (!box || !list) return;
    list.replaceChildren();
    errors.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
    box.hidden = errors.length === 0;
  }

  function record(text) {
    errors.push(String(text));
    show();
  }

  window.hqRecordError = record;
  // Capture phase: also sees resources (scripts, styles) that fail to load.
  window.addEventListener("error", function (event) {
    if (event.target && event.target !== window && event.target.tagName) {
      record("failed to load " + (event.target.src || event.target.href || event.target.tagName));
    } else {
      record((event.message || "error") + " at " + (event.filename || "?") + ":" + (event.lineno || 0));
    }
  }, true);
  window.addEventListener("unhandledrejection", function (event) {
    record("unhandled rejection: " + (event.reason && event.reason.message || event.reason));
  });
  var consoleError = console.error;
  console.error = function () {
    record(Array.prototype.map.call(arguments, String).join(" "));
    return consoleError.apply(console, arguments);
  };
  document.addEventListener("securitypolicyviolation", function (event) {
    record("content security policy blocked " + event.blockedURI + " (" + event.violatedDirective + ")");
  });
  document.addEventListener("DOMContentLoaded", show);
})();
