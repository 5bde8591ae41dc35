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
