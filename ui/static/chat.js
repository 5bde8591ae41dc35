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

/* Each new question is brought to the top of the conversation and kept there while its
   answer comes in, so a long answer is read from its start (the chat does not follow the
   text to its end). Scrolling by hand lets go. */
(function () {
  var shown = 0;
  var pinnedUntil = 0;
  function chat() { return document.querySelector("#hq-chat .bubble-wrap"); }
  function release() { pinnedUntil = 0; }
  ["wheel", "touchstart", "keydown", "pointerdown"].forEach(function (kind) {
    document.addEventListener(kind, function (event) {
      var box = chat();
      if (box && box.contains(event.target)) release();
    }, { passive: true, capture: true });
  });
  new MutationObserver(function () {
    var box = chat();
    if (!box) return;
    var asked = box.querySelectorAll(".message-row.user-row");
    if (asked.length !== shown) {
      shown = asked.length;
      pinnedUntil = shown ? Date.now() + 20000 : 0;
    }
    if (!shown || Date.now() > pinnedUntil) return;
    var offset = asked[asked.length - 1].getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
    if (Math.abs(offset) > 2) box.scrollTop += offset;
  }).observe(document.documentElement, { childList: true, subtree: true, characterData: true });
})();

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

/* The page speaks Chinese: its language and the chat's built-in labels (Gradio names them
   in English, and labels each answer with its raw HTML) say so to screen readers. */
(function () {
  document.documentElement.lang = "zh-CN";
  // As Gradio itself names them for a browser set to Chinese.
  var names = { "Copy message": "复制", "Like": "赞", "Dislike": "踩", "Clear": "清空对话", "chatbot conversation": "对话" };
  function relabel(root) {
    root.querySelectorAll("#hq-chat [aria-label]").forEach(function (node) {
      var label = node.getAttribute("aria-label");
      var named = names[label];
      if (!named && label.indexOf("bot's message") === 0) named = "回答";
      if (!named && label.indexOf("user's message: ") === 0) named = "提问：" + label.slice(16);
      if (named && named !== label) {
        node.setAttribute("aria-label", named);
        if (node.hasAttribute("title")) node.setAttribute("title", named);
      }
    });
  }
  new MutationObserver(function () { relabel(document); })
    .observe(document.documentElement, { childList: true, subtree: true });
})();
