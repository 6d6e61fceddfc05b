// Small behaviours shared by every page. Bootstrap and htmx do the rest.
document.addEventListener("htmx:afterSwap", (event) => {
  // Focus the first invalid field of a form swapped back with errors.
  const invalid = event.detail.target.querySelector(".is-invalid");
  if (invalid) invalid.focus();
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
