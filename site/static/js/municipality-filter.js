// Adds a search box above each <select data-municipality-filter> that narrows its options by
// name, reading (hiragana or katakana, full- or half-width) or prefecture. Without this script
// the select still works on its own.
(function () {
  "use strict";

  function normalise(text) {
    return text
      .normalize("NFKC")
      .toLowerCase()
      .replace(/[\u30a1-\u30f6]/g, function (ch) {
        return String.fromCharCode(ch.charCodeAt(0) - 0x60);
      })
      .replace(/\s+/g, "");
  }

  function enhance(select) {
    var lang = document.documentElement.lang || "ja";
    var labels = lang.indexOf("en") === 0
      ? { box: "Find by name or reading", status: "{n} matches" }
      : { box: "名前またはよみがなで絞り込む", status: "{n}件が該当" };
    var groups = Array.prototype.map.call(select.querySelectorAll("optgroup"), function (group) {
      return {
        element: group,
        key: normalise(group.label),
        options: Array.prototype.map.call(group.querySelectorAll("option"), function (option) {
          return { element: option, key: normalise(option.textContent) };
        }),
      };
    });

    var wrapper = document.createElement("div");
    wrapper.className = "municipality-filter";
    var label = document.createElement("label");
    var input = document.createElement("input");
    var status = document.createElement("span");
    input.type = "search";
    input.id = select.id + "_filter";
    input.setAttribute("autocomplete", "off");
    input.setAttribute("aria-controls", select.id);
    label.htmlFor = input.id;
    label.textContent = labels.box;
    status.className = "municipality-filter__status";
    status.setAttribute("role", "status");
    wrapper.appendChild(label);
    wrapper.appendChild(input);
    wrapper.appendChild(status);
    select.parentNode.insertBefore(wrapper, select);

    input.addEventListener("input", function () {
      var query = normalise(input.value);
      var count = 0;
      var firstMatch = null;
      groups.forEach(function (group) {
        var groupMatches = query === "" || group.key.indexOf(query) !== -1;
        var visible = 0;
        // Detaching options (not just hiding them) works in every browser's native picker;
        // re-adding them in their original order keeps the list sorted by code.
        group.options.forEach(function (option) {
          var show = groupMatches || option.key.indexOf(query) !== -1;
          if (option.element.parentNode) option.element.remove();
          if (show || option.element.selected) group.element.appendChild(option.element);
          if (show) {
            visible += 1;
            if (!firstMatch) firstMatch = option.element;
          }
        });
        group.element.hidden = visible === 0;
        count += visible;
      });
      status.textContent = query === "" ? "" : labels.status.replace("{n}", count);
      if (query !== "" && count === 1 && firstMatch) firstMatch.selected = true;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-municipality-filter]"), enhance);
  });
})();
