/* huiqi chat widget. Embed with one tag:
   <script src="https://HOST/widget.js" data-title="惠企政策助手" data-region="惠济区" async></script>
   Optional: data-question (asked when the panel first opens), data-position="left".
   Adds a floating button that opens the /embed chat of HOST in an iframe panel;
   window.huiqi.open(question?) opens it from the page's own links. */
(function () {
  "use strict";
  if (window.huiqi && window.huiqi.loaded) return;  // one widget per page, even if included twice
  var script = document.currentScript;
  if (!script) {
    var candidates = document.querySelectorAll("script[src*='widget.js']");
    script = candidates[candidates.length - 1];
  }
  var base = new URL(script.src, window.location.href);
  var origin = base.origin;
  var title = script.getAttribute("data-title") || "惠企政策助手";
  var region = script.getAttribute("data-region") || "";
  var firstQuestion = script.getAttribute("data-question") || "";
  var side = script.getAttribute("data-position") === "left" ? "left" : "right";

  var host = document.createElement("div");
  host.setAttribute("data-huiqi-widget", "");
  // A shadow root keeps the host site's CSS and the widget's apart.
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var style = document.createElement("style");
  style.textContent =
    ".hq-bubble{position:fixed;bottom:20px;" + side + ":20px;z-index:2147483000;border:0;border-radius:28px;" +
    "background:#c8102e;color:#fff;font:600 15px/1 'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;" +
    "padding:14px 18px;box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer}" +
    ".hq-panel{position:fixed;bottom:84px;" + side + ":20px;z-index:2147483000;width:380px;height:600px;" +
    "max-width:calc(100vw - 24px);max-height:calc(100vh - 104px);border:1px solid #d0d7de;border-radius:10px;" +
    "overflow:hidden;box-shadow:0 8px 28px rgba(0,0,0,.28);background:#fff;display:none}" +
    ".hq-panel.hq-open{display:block}.hq-panel iframe{width:100%;height:100%;border:0}" +
    "@media (max-width:480px){.hq-panel{bottom:0;" + side + ":0;width:100vw;max-width:100vw;height:calc(100vh - 70px);" +
    "max-height:none;border-radius:0}}";
  root.appendChild(style);

  var bubble = document.createElement("button");
  bubble.type = "button";
  bubble.className = "hq-bubble";
  bubble.textContent = "💬 " + title;
  bubble.setAttribute("aria-expanded", "false");
  root.appendChild(bubble);

  var panel = document.createElement("div");
  panel.className = "hq-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);
  root.appendChild(panel);
  var frame = null;

  function ensureFrame(question) {
    if (frame) return false;
    var url = new URL("/embed", origin);
    url.searchParams.set("title", title);
    if (region) url.searchParams.set("region", region);
    if (question) url.searchParams.set("q", question);
    frame = document.createElement("iframe");
    frame.title = title;
    frame.src = url.toString();
    frame.setAttribute("allow", "clipboard-write");
    panel.appendChild(frame);
    return true;
  }

  function open(question) {
    var created = ensureFrame(question || firstQuestion);
    panel.classList.add("hq-open");
    bubble.setAttribute("aria-expanded", "true");
    bubble.textContent = "✕ 收起";
    if (!created && question) frame.contentWindow.postMessage({ type: "huiqi:ask", question: String(question) }, origin);
  }

  function close() {
    panel.classList.remove("hq-open");
    bubble.setAttribute("aria-expanded", "false");
    bubble.textContent = "💬 " + title;
  }

  bubble.addEventListener("click", function () {
    if (panel.classList.contains("hq-open")) close(); else open();
  });

  function attach() { document.body.appendChild(host); }
  if (document.body) attach(); else document.addEventListener("DOMContentLoaded", attach);
  window.huiqi = { loaded: true, open: open, close: close };
})();
