// The console's forms marked data-once: the button is disabled once the form is sent, so a
// second click does not post it again. The server pays once anyway (the form's key).
document.addEventListener("submit", (event) => {
  const button = event.target.querySelector("button[data-once]");
  if (button) {
    // After this event, so that the button's own name and value are still sent.
    setTimeout(() => { button.disabled = true; }, 0);
  }
});
