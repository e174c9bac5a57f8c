// infra-fleet portal behaviour. Loaded as a file (never inline) so the CSP can forbid inline script.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // CSRF: every state-changing htmx request echoes the page's token (static/js, never inline).
  document.body.addEventListener("htmx:configRequest", (event) => {
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && event.detail.verb !== "get") {
      event.detail.headers["X-CSRF-Token"] = meta.content;
    }
  });
  // Toasts remove themselves after a while; errors stay until clicked.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target;
    if (target && target.id === "toasts") {
      for (const toast of target.querySelectorAll(".toast-info")) {
        setTimeout(() => toast.remove(), 6000);
      }
    }
  });
  document.body.addEventListener("click", (event) => {
    const toast = event.target.closest(".toast");
    if (toast) toast.remove();
  });
});

// Canary actions: a button opens the confirmation dialog (it names the canary, the cluster and
// the consequence, and asks for a reason); the answer comes back as a toast, and the page's
// live stream shows the effect once Flagger acts on it.
document.addEventListener("DOMContentLoaded", () => {
  const fill = (dialog, button) => {
    for (const field of dialog.querySelectorAll("[data-field]")) {
      field.textContent = button.dataset[field.dataset.field] || "";
    }
    dialog.querySelector(".approve-only").hidden = button.dataset.action !== "approve";
  };
  document.body.addEventListener("click", (event) => {
    const button = event.target.closest(".action-button");
    const dialog = document.getElementById("action-dialog");
    if (button && dialog) {
      fill(dialog, button);
      dialog.querySelector("form").action = button.dataset.url;
      dialog.showModal();
      dialog.querySelector("textarea").focus();
    } else if (event.target.closest("[data-close-dialog]")) {
      event.target.closest("dialog").close();
    }
  });
  document.body.addEventListener("submit", async (event) => {
    const form = event.target.closest("#action-form");
    if (!form) return;
    event.preventDefault();
    const meta = document.querySelector('meta[name="csrf-token"]');
    const submit = form.querySelector('button[type="submit"]');
    submit.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "HX-Request": "true", "X-CSRF-Token": meta ? meta.content : "" },
      });
      document.getElementById("toasts").insertAdjacentHTML("beforeend", await response.text());
      form.reset();
      form.closest("dialog").close();
    } finally {
      submit.disabled = false;
    }
  });
});
