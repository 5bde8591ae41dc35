/* huiqi widget page (/embed): a compact chat on /api/chat/stream.
   Everything shown is set with textContent, never innerHTML. */
(function () {
  "use strict";
  // Title, region and a first question come from the host page's script tag. They are
  // honoured only inside a frame (which CSP frame-ancestors limits to allowed sites): a
  // crafted /embed link opened directly cannot put its own words into the widget.
  var framed = window.self !== window.top;
  var params = new URLSearchParams(framed ? window.location.search : "");
  var region = params.get("region") || "";
  var messages = document.getElementById("hq-messages");
  var form = document.getElementById("hq-form");
  var input = document.getElementById("hq-input");
  var sendButton = document.getElementById("hq-send");
  var SESSION_KEY = "huiqi.session." + region;
  var busy = false;
  var answerCount = 0;

  if (params.get("title")) {
    document.getElementById("hq-title").textContent = params.get("title");
    document.title = params.get("title");
  }

  function storedSession() {
    try { return window.localStorage.getItem(SESSION_KEY); } catch (e) { return null; }
  }
  function storeSession(id) {
    try { if (id) { window.localStorage.setItem(SESSION_KEY, id); } else { window.localStorage.removeItem(SESSION_KEY); } } catch (e) { /* storage blocked: session lasts this page */ }
  }
  var sessionId = storedSession();

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function addMessage(role, text) {
    var row = element("div", "hq-msg hq-" + role);
    var body = element("div", "hq-text", text);
    row.appendChild(body);
    messages.appendChild(row);
    messages.scrollTop = messages.scrollHeight;
    return body;
  }

  function renderAnswer(body, answer) {
    answerCount += 1;
    var key = "c" + answerCount + "-";
    body.textContent = "";
    var parts = answer.answer.split(/(\[\d+\])/);
    var numbers = {};
    answer.citations.forEach(function (c) { numbers[c.n] = true; });
    parts.forEach(function (part) {
      var match = /^\[(\d+)\]$/.exec(part);
      if (match && numbers[match[1]]) {
        var ref = element("button", "hq-ref", part);
        ref.type = "button";
        ref.setAttribute("data-cite", key + match[1]);
        ref.addEventListener("click", function () { openCard(key + match[1]); });
        body.appendChild(ref);
      } else {
        body.appendChild(document.createTextNode(part));
      }
    });
    if (answer.citations.length) {
      var list = element("div", "hq-cites");
      answer.citations.forEach(function (c) {
        var card = element("details", "hq-cite");
        card.id = key + c.n;
        card.appendChild(element("summary", null, "[" + c.n + "] 《" + c.title + "》"));
        var meta = [c.doc_number, c.issuer, c.date, c.region].filter(Boolean).join(" · ");
        card.appendChild(element("div", "hq-meta", meta));
        card.appendChild(element("div", "hq-meta", "条款：" + c.clause_path));
        card.appendChild(element("div", "hq-clause", c.text));
        list.appendChild(card);
      });
      body.appendChild(list);
    }
    if (answer.turn_id !== null && answer.turn_id !== undefined) body.appendChild(ratingBar(answer));
  }

  function openCard(id) {
    var card = document.getElementById(id);
    if (!card) return;
    card.open = true;
    card.classList.add("hq-flash");
    card.scrollIntoView({ block: "nearest" });
    window.setTimeout(function () { card.classList.remove("hq-flash"); }, 1600);
  }

  function ratingBar(answer) {
    var bar = element("div", "hq-rate", "有帮助吗？");
    [["up", "👍"], ["down", "👎"]].forEach(function (pair) {
      var button = element("button", null, pair[1]);
      button.type = "button";
      button.setAttribute("aria-label", pair[0] === "up" ? "有用" : "没用");
      button.addEventListener("click", function () {
        bar.querySelectorAll("button").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
        button.setAttribute("aria-pressed", "true");
        sendFeedback(answer, pair[0], "");
        if (!bar.querySelector("input")) {
          var comment = element("input");
          comment.placeholder = "补充意见（可选），回车提交";
          comment.maxLength = 1000;
          comment.addEventListener("keydown", function (event) {
            if (event.key === "Enter" && comment.value.trim()) {
              sendFeedback(answer, button.getAttribute("aria-label") === "有用" ? "up" : "down", comment.value.trim());
              comment.replaceWith(element("span", null, " 谢谢，意见已提交。"));
            }
          });
          bar.appendChild(comment);
        }
      });
      bar.appendChild(button);
    });
    return bar;
  }

  function sendFeedback(answer, rating, comment) {
    fetch("/api/feedback", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: answer.session_id, turn_id: answer.turn_id, rating: rating, comment: comment })
    }).catch(function () { /* feedback is best effort */ });
  }

  function showError(body, message) {
    body.textContent = "⚠️ " + message;
    body.parentNode.className = "hq-msg hq-bot hq-error";
  }

  function ask(question) {
    question = (question || "").trim();
    if (!question || busy) return;
    busy = true;
    sendButton.disabled = true;
    addMessage("user", question);
    var body = addMessage("bot", "…");
    var streamed = "";
    var finished = false;
    fetch("/api/chat/stream", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question: question, session_id: sessionId, region: region || null, channel: "widget" })
    }).then(function (response) {
      if (!response.ok) {
        return response.json().then(function (data) {
          showError(body, (data && data.error && data.error.message) || "请求失败，请稍后重试。");
        }, function () { showError(body, "请求失败，请稍后重试。"); });
      }
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) return;
          buffer += decoder.decode(chunk.value, { stream: true });
          var cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            handle(buffer.slice(0, cut));
            buffer = buffer.slice(cut + 2);
          }
          return pump();
        });
      }
      function handle(block) {
        var name = "message", data = "";
        block.split("\n").forEach(function (line) {
          if (line.indexOf("event: ") === 0) name = line.slice(7);
          else if (line.indexOf("data: ") === 0) data += line.slice(6);
        });
        var payload = JSON.parse(data || "{}");
        if (name === "token") { streamed += payload.text; body.textContent = streamed; messages.scrollTop = messages.scrollHeight; }
        else if (name === "answer") { finished = true; sessionId = payload.session_id; storeSession(sessionId); renderAnswer(body, payload); }
        else if (name === "error") { finished = true; showError(body, payload.error.message); }
      }
      return pump().then(function () { if (!finished) showError(body, "回答中断了，请重试。"); });
    }).catch(function () {
      showError(body, "网络连接失败，请稍后重试。");
    }).then(function () {
      busy = false;
      sendButton.disabled = false;
      messages.scrollTop = messages.scrollHeight;
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var question = input.value;
    input.value = "";
    ask(question);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  document.getElementById("hq-new").addEventListener("click", function () {
    sessionId = null;
    storeSession(null);
    while (messages.children.length > 1) messages.removeChild(messages.lastChild);
  });
  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || !event.data || event.data.type !== "huiqi:ask") return;
    if (typeof event.data.question === "string") ask(event.data.question);
  });
  if (params.get("q")) ask(params.get("q"));
  input.focus();
})();
