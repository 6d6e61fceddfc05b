// Small behaviours shared by every page. Bootstrap and htmx do the rest.
document.addEventListener("htmx:afterSwap", (event) => {
  // Focus the first invalid field of a form swapped back with errors.
  const invalid = event.detail.target.querySelector(".is-invalid");
  if (invalid) invalid.focus();
});

// Live regions (accounts/ui.py, live_region): a poll that brings what the page shows already
// (the same data-live-version) is not swapped; a changed one is, and its sentence is said once
// by the page's polite live region, so a screen reader hears changes, not polls.
function announce(text) {
  const announcer = document.getElementById("live-announcer");
  if (!announcer || !text) return;
  announcer.textContent = "";
  setTimeout(() => { announcer.textContent = text; }, 100);
}
document.addEventListener("htmx:beforeSwap", (event) => {
  const target = event.detail.target;
  if (!target || !target.dataset || target.dataset.liveVersion === undefined) return;
  if (event.detail.requestConfig && event.detail.requestConfig.verb !== "get") return;
  const answer = new DOMParser().parseFromString(event.detail.xhr.responseText, "text/html");
  const incoming = answer.querySelector("[data-live-version]");
  if (!incoming) return;
  if (incoming.dataset.liveVersion === target.dataset.liveVersion) {
    event.detail.shouldSwap = false;
  } else {
    announce(incoming.dataset.liveAnnounce);
  }
});

// Conversations show the newest message at the bottom: keep it in view when the timeline
// loads or refreshes, unless the person scrolled up to read older messages.
function scrollTimeline(timeline, force) {
  if (!timeline) return;
  const nearBottom = timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 120;
  if (force || nearBottom) timeline.scrollTop = timeline.scrollHeight;
}
let timelineWasNearBottom = true;
document.addEventListener("DOMContentLoaded", () => scrollTimeline(document.getElementById("timeline"), true));
document.addEventListener("htmx:beforeSwap", (event) => {
  const timeline = document.getElementById("timeline");
  if (timeline && timeline.contains(event.detail.target) || event.detail.target.id === "timeline") {
    timelineWasNearBottom = timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 120;
  }
});
document.addEventListener("htmx:afterSettle", () => {
  scrollTimeline(document.getElementById("timeline"), timelineWasNearBottom);
  timelineWasNearBottom = true;
});

// Money forms (`data-submit-once`): a second click while the first is on its way sends
// nothing. Plain forms keep their buttons disabled until the next page; htmx forms get them
// back when the answer is in (a form with errors can be corrected and sent again). The
// server refuses a repeated submission anyway (Pay reuses the session, Request payment its
// submission key): this only spares the person a confusing second wait.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches("form[data-submit-once]") || event.defaultPrevented) return;
  if (form.dataset.submitting === "true") {
    event.preventDefault();
    event.stopImmediatePropagation();
    return;
  }
  form.dataset.submitting = "true";
  // After this event, so the clicked button's own name and value are still sent.
  setTimeout(() => form.querySelectorAll("button[type=submit]").forEach((b) => {
    b.disabled = true;
    b.setAttribute("aria-busy", "true");
  }));
}, true);
function releaseForm(form) {
  delete form.dataset.submitting;
  form.querySelectorAll("button[type=submit]").forEach((b) => {
    b.disabled = false;
    b.removeAttribute("aria-busy");
  });
}
document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt.closest && event.detail.elt.closest("form[data-submit-once]");
  if (form && document.contains(form)) releaseForm(form);
});
// Back to a page from the browser's cache: its forms can be used again.
window.addEventListener("pageshow", (event) => {
  if (event.persisted) document.querySelectorAll("form[data-submit-once]").forEach(releaseForm);
});
