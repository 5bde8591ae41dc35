/* huiqi chat widget. Embed with one tag:
   <script src="https://HOST/widget.js" data-title="惠企政策助手" data-region="惠济区" async></script>
   Optional: data-question (asked when the panel first opens), data-position="left".
   Adds a floating button that opens the /embed chat of HOST in an iframe panel;
   window.huiqi.open(question?) opens it from the page's own links.
   The open panel is a dialog: its ✕ button or Escape closes it and focus goes back to the
   button that opened it; Tab stays inside it. On small screens it fills the screen and the
   page behind it does not scroll. */
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
  // A phone upright or on its side: the panel takes the whole screen.
  var SMALL_SCREEN = "(max-width: 480px), (max-height: 500px)";
  var smallScreen = window.matchMedia(SMALL_SCREEN);

  var host = document.createElement("div");
  host.setAttribute("data-huiqi-widget", "");
  // A shadow root keeps the host site's CSS and the widget's apart.
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var style = document.createElement("style");
  style.textContent =
    ".hq-bubble{position:fixed;bottom:20px;" + side + ":20px;z-index:2147483000;min-width:48px;min-height:48px;" +
    "border:0;border-radius:24px;background:#c8102e;color:#fff;" +
    "font:600 15px/1.2 'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;" +
    "padding:12px 18px;box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer}" +
    ".hq-bubble:focus-visible{outline:3px solid #0b5cad;outline-offset:3px}" +
    ".hq-panel{position:fixed;bottom:84px;" + side + ":20px;z-index:2147483001;width:380px;height:600px;" +
    "max-width:calc(100vw - 24px);max-height:calc(100vh - 104px);border:1px solid #d0d7de;border-radius:10px;" +
    "overflow:hidden;box-shadow:0 8px 28px rgba(0,0,0,.28);background:#fff;display:none}" +
    ".hq-panel.hq-open{display:block}.hq-panel iframe{display:block;width:100%;height:100%;border:0}" +
    // The close button lies over the right end of the chat's red title bar, which leaves it room.
    ".hq-close{position:absolute;top:4px;right:4px;width:44px;height:44px;border:0;border-radius:6px;" +
    "background:#c8102e;color:#fff;font:400 22px/1 sans-serif;cursor:pointer}" +
    ".hq-close:focus-visible{outline:2px solid #fff;outline-offset:-5px}" +
    "@media " + SMALL_SCREEN + "{.hq-panel{top:0;bottom:0;left:0;right:0;width:auto;height:auto;" +
    "max-width:none;max-height:none;border:0;border-radius:0}.hq-is-open .hq-bubble{display:none}}";
  root.appendChild(style);

  var widget = document.createElement("div");
  root.appendChild(widget);

  var bubble = document.createElement("button");
  bubble.type = "button";
  bubble.className = "hq-bubble";
  bubble.textContent = "💬 " + title;
  bubble.setAttribute("aria-expanded", "false");
  bubble.setAttribute("aria-haspopup", "dialog");
  bubble.setAttribute("aria-controls", "hq-panel");
  widget.appendChild(bubble);

  var panel = document.createElement("div");
  panel.id = "hq-panel";
  panel.className = "hq-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-modal", "true");
  panel.setAttribute("aria-label", title);
  widget.appendChild(panel);

  var closeButton = document.createElement("button");
  closeButton.type = "button";
  closeButton.className = "hq-close";
  closeButton.textContent = "✕";
  closeButton.title = "关闭（Esc）";
  closeButton.setAttribute("aria-label", "关闭" + title);
  panel.appendChild(closeButton);

  var frame = null;
  var frameLoaded = false;
  var waiting = [];  // messages for the chat page, sent once it has loaded

  function tellFrame(message) {
    if (frameLoaded) frame.contentWindow.postMessage(message, origin); else waiting.push(message);
  }

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
    frame.addEventListener("load", function () {
      frameLoaded = true;
      waiting.splice(0).forEach(tellFrame);
      if (isOpen()) focusInside();
    });
    panel.appendChild(frame);
    return true;
  }

  function isOpen() {
    return panel.classList.contains("hq-open");
  }

  // Desktop: straight to the question box. Small screens: the close button, so the
  // on-screen keyboard does not cover the example questions.
  function focusInside() {
    if (smallScreen.matches || !frameLoaded) {
      closeButton.focus();
    } else {
      frame.focus();
      tellFrame({ type: "huiqi:focus", where: "input" });
    }
  }

  var savedOverflow = null;
  function lockPageScroll(locked) {
    var html = document.documentElement, body = document.body;
    if (locked && savedOverflow === null) {
      savedOverflow = [html.style.overflow, body.style.overflow];
      html.style.overflow = "hidden";
      body.style.overflow = "hidden";
    } else if (!locked && savedOverflow !== null) {
      html.style.overflow = savedOverflow[0];
      body.style.overflow = savedOverflow[1];
      savedOverflow = null;
    }
  }
  function onScreenChange() { lockPageScroll(isOpen() && smallScreen.matches); }
  if (smallScreen.addEventListener) smallScreen.addEventListener("change", onScreenChange);
  else smallScreen.addListener(onScreenChange);

  function open(question) {
    var created = ensureFrame(question || firstQuestion);
    widget.classList.add("hq-is-open");
    panel.classList.add("hq-open");
    bubble.setAttribute("aria-expanded", "true");
    bubble.textContent = "✕ 收起";
    lockPageScroll(smallScreen.matches);
    if (!created && question) tellFrame({ type: "huiqi:ask", question: String(question) });
    focusInside();
  }

  function close() {
    if (!isOpen()) return;
    widget.classList.remove("hq-is-open");
    panel.classList.remove("hq-open");
    bubble.setAttribute("aria-expanded", "false");
    bubble.textContent = "💬 " + title;
    lockPageScroll(false);
    bubble.focus();
  }

  bubble.addEventListener("click", function () {
    if (isOpen()) close(); else open();
  });
  closeButton.addEventListener("click", close);
  // Shift+Tab on the first control of the panel goes round to the chat's last one.
  closeButton.addEventListener("keydown", function (event) {
    if (event.key === "Tab" && event.shiftKey && frameLoaded) {
      event.preventDefault();
      frame.focus();
      tellFrame({ type: "huiqi:focus", where: "last" });
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !event.isComposing && isOpen()) close();
  });
  // On a small screen the panel covers the page: focus that lands on the page behind it
  // is brought back into the panel.
  document.addEventListener("focusin", function (event) {
    if (isOpen() && smallScreen.matches && event.target !== host) closeButton.focus();
  });
  window.addEventListener("message", function (event) {
    if (!frame || event.source !== frame.contentWindow || event.origin !== origin || !event.data) return;
    if (event.data.type === "huiqi:close") close();
    else if (event.data.type === "huiqi:tab-out") closeButton.focus();  // Tab past the chat's last control
  });

  function attach() { document.body.appendChild(host); }
  if (document.body) attach(); else document.addEventListener("DOMContentLoaded", attach);
  window.huiqi = { loaded: true, open: open, close: close };
})();
