/* consult: small enhancements. Every page works without this file (no inline script: the
   Content-Security-Policy allows only scripts served by the site itself). */
(function () {
  "use strict";

  function focusAndShow(element) {
    if (!element.hasAttribute("tabindex")) element.setAttribute("tabindex", "-1");
    element.focus();
    element.scrollIntoView({ block: "start" });
  }

  function keepFocus(element) {
    // Chrome clears the focus when, after loading, it scrolls to an address's #fragment that
    // cannot take the focus: give it back once, unless the person has clicked or typed since.
    var moved = false;
    var mark = function () { moved = true; };
    document.addEventListener("pointerdown", mark, { once: true, capture: true });
    document.addEventListener("keydown", mark, { once: true, capture: true });
    element.addEventListener("blur", function () {
      window.setTimeout(function () {
        if (!moved && document.activeElement === document.body) element.focus({ preventScroll: true });
      }, 0);
    }, { once: true });
  }

  function announce(flashes) {
    // A message that the page opens with is focused, so that a screen reader reads it, and shown
    // where it is when already in view (the header stays in sight).
    if (!flashes.hasAttribute("tabindex")) flashes.setAttribute("tabindex", "-1");
    flashes.focus({ preventScroll: true });
    var box = flashes.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) flashes.scrollIntoView({ block: "start" });
  }

  function moveFocus() {
    // After a failed submit: the error summary is read first, or else the first invalid field.
    var summary = document.querySelector(".error-summary");
    if (summary) return focusAndShow(summary);
    var invalid = document.querySelector("main [aria-invalid='true']");
    if (invalid) return invalid.focus();
    // After a successful submit that returns to a place on the page (#q12), show the message
    // there rather than at the top, out of view; otherwise focus it where it is.
    var flashes = document.querySelector("main > .flashes");
    var id = window.location.hash.slice(1);
    var target = id && document.getElementById(decodeURIComponent(id));
    if (!flashes) return;
    if (target && target !== document.getElementById("content")) {
      var heading = target.querySelector("h2, h3");
      if (heading && heading.parentNode === target) heading.after(flashes);
      else target.prepend(flashes);
      flashes.classList.add("flashes-moved");
      focusAndShow(flashes);
      keepFocus(flashes);
    } else {
      announce(flashes);
    }
  }

  function scrollableTables() {
    // A table wider than the screen scrolls, and takes the keyboard focus to do so; one that fits
    // does not need to be a tab stop.
    document.querySelectorAll(".table-wrap[tabindex='0']").forEach(function (wrap) {
      if (wrap.scrollWidth <= wrap.clientWidth) wrap.removeAttribute("tabindex");
    });
  }

  function menus() {
    // Drop-down menus close with Escape and when the focus or a click goes elsewhere.
    var open = function () { return document.querySelectorAll(".site-header details[open]"); };
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      open().forEach(function (menu) {
        if (menu.contains(document.activeElement)) menu.querySelector("summary").focus();
        menu.removeAttribute("open");
      });
    });
    document.addEventListener("click", function (event) {
      open().forEach(function (menu) {
        if (!menu.contains(event.target)) menu.removeAttribute("open");
      });
    });
  }

  function start() {
    moveFocus();
    scrollableTables();
    menus();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
