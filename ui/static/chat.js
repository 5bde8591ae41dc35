/* huiqi chat page: an [n] in an answer opens and shows its citation card. */
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest("a.hq-ref") : null;
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  var id = link.getAttribute("data-cite") || (link.getAttribute("href") || "").replace(/^#/, "");
  var card = id ? document.getElementById(id) : null;
  if (!card) return;
  card.open = true;
  card.classList.add("hq-flash");
  card.scrollIntoView({ block: "nearest", behavior: "smooth" });
  window.setTimeout(function () { card.classList.remove("hq-flash"); }, 1600);
}, true);

/* Gradio names its file drop zones in English ("Click to upload or drop files") while
   showing Chinese; screen readers then announce words the page does not show. The
   visible text becomes the name. */
(function () {
  function rename(root) {
    root.querySelectorAll('[aria-label="Click to upload or drop files"]').forEach(function (zone) {
      var text = (zone.innerText || "").replace(/\s+/g, " ").trim();
      if (text) zone.setAttribute("aria-label", text);
    });
  }
  new MutationObserver(function () { rename(document); })
    .observe(document.documentElement, { childList: true, subtree: true });
})();
