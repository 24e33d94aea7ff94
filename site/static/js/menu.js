// The header's menu button: on a narrow screen the main and account navs fold into a panel that
// the button opens and closes (a disclosure: aria-expanded on the button, aria-controls naming the
// panel). The stylesheet hides the panel only while the button says aria-expanded="false" and only
// when scripting is on, so without this script every link stays on the page. The panel opens in
// the page's flow (it pushes the page down, never covers it). Escape closes it and puts focus back
// on the button when focus was in the panel.
(function () {
  "use strict";

  function enhance(button) {
    var panel = document.getElementById(button.getAttribute("aria-controls"));
    var header = button.closest("header") || document.body;
    if (!panel) {
      return;
    }

    function isOpen() {
      return button.getAttribute("aria-expanded") === "true";
    }

    function setOpen(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }

    function shown(element) {
      return element.getClientRects().length > 0;
    }

    setOpen(false);
    // For browsers that do not know the `scripting` media feature.
    header.classList.add("has-menu-toggle");

    button.addEventListener("click", function () {
      setOpen(!isOpen());
    });

    document.addEventListener("keydown", function (event) {
      if ((event.key === "Escape" || event.key === "Esc") && isOpen() && shown(button)) {
        var focusWasInside = panel.contains(document.activeElement);
        setOpen(false);
        if (focusWasInside) {
          button.focus();
        }
        event.preventDefault();
      }
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-menu-toggle]"), enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
