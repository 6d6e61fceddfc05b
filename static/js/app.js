// Small behaviours shared by every page. Bootstrap and htmx do the rest.
document.addEventListener("htmx:afterSwap", (event) => {
  // Focus the first invalid field of a form swapped back with errors.
  const invalid = event.detail.target.querySelector(".is-invalid");
  if (invalid) invalid.focus();
});
