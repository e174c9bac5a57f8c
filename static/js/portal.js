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
