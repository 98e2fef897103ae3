// The unread count beside the Notifications link; the page works without it.
document.addEventListener("DOMContentLoaded", () => {
  const bell = document.querySelector("a.bell");
  const badge = bell && bell.querySelector(".bell-count");
  if (!badge) return;
  const refresh = () =>
    fetch("/api/v1/notifications?unread=true&limit=1", { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : null))
      .then((body) => {
        if (!body) return;
        badge.textContent = body.unread > 99 ? "99+" : String(body.unread);
        badge.hidden = body.unread === 0;
        bell.setAttribute("aria-label", bell.dataset.unreadLabel.replace("{n}", body.unread));
      })
      .catch(() => {});
  refresh();
  setInterval(refresh, 60000);
});
