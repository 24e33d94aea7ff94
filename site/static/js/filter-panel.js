// A listing's filters sit in <details data-filter-panel>: folded on a narrow screen, so that the
// results come first, with a summary that says how many filters are on. On a wide screen they are
// a sidebar or a bar above the results, so this script opens the panel there (and folds it again
// when the window narrows). Without this script the panel is simply a <details> the reader opens.
(function () {
  "use strict";

  var WIDE = "not all and (max-width: 48rem)"; // the stylesheet's breakpoint, inverted

  function init() {
    var panels = document.querySelectorAll("details[data-filter-panel]");
    if (!panels.length || !window.matchMedia) {
      return;
    }
    var wide = window.matchMedia(WIDE);

    function apply() {
      Array.prototype.forEach.call(panels, function (panel) {
        panel.open = wide.matches;
      });
    }

    apply();
    if (wide.addEventListener) {
      wide.addEventListener("change", apply);
    } else if (wide.addListener) {
      wide.addListener(apply);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
