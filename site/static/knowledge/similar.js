// While the asker types a title, what may already answer it appears beside the form. The server
// searches (Japanese-aware); without this script the "Preview" button shows the same list.
(function () {
  "use strict";
  var form = document.querySelector("form[data-similar-url]");
  if (!form || !window.fetch) return;
  var input = form.querySelector("[data-similar-source]");
  var box = document.querySelector("[data-similar-results]");
  if (!input || !box) return;
  var list = box.querySelector("[data-similar-list]");
  var status = box.querySelector("[data-similar-status]");
  var english = document.documentElement.lang === "en";
  var timer, latest = 0;
  status.setAttribute("aria-live", "polite");

  function show(results) {
    list.textContent = "";
    results.forEach(function (item) {
      var li = document.createElement("li");
      var type = document.createElement("span");
      type.className = "qa-similar__type";
      type.textContent = item.type_label;
      var link = document.createElement("a");
      link.href = item.url;
      link.textContent = item.title;
      li.appendChild(type);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(link);
      list.appendChild(li);
    });
    if (results.length) {
      status.textContent = english
        ? results.length + " related items found. Have a look before posting."
        : "関連する項目が " + results.length + " 件あります。投稿の前にご確認ください。";
    } else {
      status.textContent = english ? "Nothing similar found yet." : "似た質問や事例はまだ見つかりません。";
    }
  }

  function lookup() {
    var text = input.value.trim();
    if (text.length < 2) return;
    var ticket = ++latest;
    fetch(form.dataset.similarUrl + "?q=" + encodeURIComponent(text), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) { if (ticket === latest) show(data.results || []); })
      .catch(function () {});
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookup, 350);
  });
  if (input.value) lookup();
})();
