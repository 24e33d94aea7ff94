// "Copy link" buttons for a credential's address: a small file of its own, as the CSP forbids
// inline scripts. Without script, or without clipboard access, the address stays in a read-only
// field that selects itself when focused, to copy by hand.
document.querySelectorAll("[data-share-address]").forEach((field) => {
  field.addEventListener("focus", () => field.select());
});

document.querySelectorAll("[data-copy-from]").forEach((button) => {
  const field = document.getElementById(button.dataset.copyFrom);
  const status = button.closest(".credential-share")?.querySelector("[data-copy-status]");
  if (!field || !navigator.clipboard || !window.isSecureContext) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(field.value);
      if (status) status.textContent = button.dataset.copied;
    } catch {
      field.focus();
      field.select();
      if (status) status.textContent = button.dataset.copyFailed;
    }
  });
});
