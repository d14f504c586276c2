// A console page drawn in answer to a refused form (a POST) stands for the list the form was
// posted from: the address bar shows that list's URL, at the refused row, so that a reload
// reads the list again instead of sending the form again; and the refused row is scrolled
// into view.
const shownAt = document.querySelector('meta[name="shown-at"]');
if (shownAt) {
  const url = new URL(shownAt.content, window.location.href);
  window.history.replaceState(null, "", url);
  const row = url.hash && document.getElementById(decodeURIComponent(url.hash.slice(1)));
  if (row) {
    row.scrollIntoView({ block: "center" });
  }
}
