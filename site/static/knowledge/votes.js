// Votes without a page reload; without this script each vote is an ordinary form post.
(function () {
  "use strict";
  if (!window.fetch) return;
  document.querySelectorAll("form[data-vote-form]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var box = form.closest("[data-vote-box]");
      fetch(form.action, {
        method: "POST",
        headers: { Accept: "application/json" },
        body: new FormData(form),
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; });
        })
        .then(function (result) {
          if (!result.ok) {
            window.alert(result.data.error || "");
            return;
          }
          var score = box.querySelector("[data-score]");
          var label = score.querySelector(".visually-hidden");
          score.textContent = String(result.data.score);
          if (label) score.insertBefore(label, score.firstChild);
          // Each form says what the vote is to be: pressing a lit button takes the vote back.
          box.querySelectorAll("form[data-vote-form]").forEach(function (other) {
            var direction = other.getAttribute("data-vote-direction");
            var button = other.querySelector("button");
            var on = result.data.vote === (direction === "up" ? 1 : -1);
            button.classList.toggle("qa-vote--on", on);
            button.setAttribute("aria-pressed", on ? "true" : "false");
            other.querySelector("input[name=value]").value = on ? "none" : direction;
          });
        })
        .catch(function () { form.submit(); });
    });
  });
})();
