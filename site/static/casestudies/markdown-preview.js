// Live preview of Markdown fields: the server renders and sanitises, exactly as on the published
// page; without this script the form's "Preview" button does the same.
(function () {
  "use strict";
  var form = document.querySelector("form[data-preview-url]");
  if (!form || !window.fetch) return;
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  form.querySelectorAll("textarea[data-markdown-preview]").forEach(function (area) {
    var output = document.createElement("div");
    output.className = "case-form__live-preview";
    // A named region per field, so that several previews on one form can be told apart.
    var field = area.labels && area.labels[0] ? area.labels[0].textContent.replace(/[:：]\s*$/, "") : "";
    var word = document.documentElement.lang === "en" ? "Preview" : "プレビュー";
    output.setAttribute("role", "region");
    output.setAttribute("aria-label", field ? word + ": " + field : word);
    area.insertAdjacentElement("afterend", output);
    var timer;
    function refresh() {
      var body = new URLSearchParams();
      body.append("text", area.value);
      fetch(form.dataset.previewUrl, {
        method: "POST",
        headers: { "X-CSRFToken": token },
        body: body,
        credentials: "same-origin",
      })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) { output.innerHTML = html; });
    }
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    });
    if (area.value) refresh();
  });
})();
