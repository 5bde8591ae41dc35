/* huiqi widget page (/embed): a compact chat on /api/chat/stream.
   Everything shown is set with textContent, never innerHTML.
   Inside the widget's panel it also tells the host page's widget.js when to close
   (Escape) and when Tab leaves its last control, so focus stays inside the panel. */
(function () {
  "use strict";
  // Title, region and a first question come from the host page's script tag. They are
  // honoured only inside a frame (which CSP frame-ancestors limits to allowed sites): a
  // crafted /embed link opened directly cannot put its own words into the widget.
  var framed = window.self !== window.top;
  var params = new URLSearchParams(framed ? window.location.search : "");
  var region = params.get("region") || "";
  var messages = document.getElementById("hq-messages");
  var log = document.getElementById("hq-log");
  var form = document.getElementById("hq-form");
  var input = document.getElementById("hq-input");
  var sendButton = document.getElementById("hq-send");
  var SESSION_KEY = "huiqi.session." + region;
  var busy = false;
  var answerCount = 0;

  if (framed) document.documentElement.classList.add("hq-framed");
  if (region) document.getElementById("hq-direct").href = "/direct?region=" + encodeURIComponent(region);
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

  function clauseLabel(path) {
    var parts = String(path || "").split(" > ");
    var last = parts[parts.length - 1].trim();
    return last.length <= 14 ? last : last.slice(0, 14).replace(/[，,、；;]+$/, "") + "…";
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Scrolls the message list only: scrollIntoView would also scroll the host page.
  function scrollToTop(node) {
    messages.scrollTop = node.offsetTop - 8;
  }
  function keepInView(node) {
    var top = node.getBoundingClientRect().top - messages.getBoundingClientRect().top + messages.scrollTop;
    var bottom = top + node.offsetHeight;
    var visibleBottom = messages.scrollTop + messages.clientHeight;
    if (top < messages.scrollTop) messages.scrollTop = top - 8;
    else if (bottom > visibleBottom) messages.scrollTop = Math.min(top - 8, bottom - messages.clientHeight + 8);
  }

  function addMessage(role, text) {
    var row = element("div", "hq-msg hq-" + role);
    var body = element("div", "hq-text", text);
    row.appendChild(body);
    log.appendChild(row);
    return body;
  }

  // Text with its [n] marks as buttons that open the citation cards.
  function appendWithRefs(node, text, key, numbers) {
    text.split(/(\[\d+\])/).forEach(function (part) {
      var match = /^\[(\d+)\]$/.exec(part);
      if (match && numbers[match[1]]) {
        var ref = element("button", "hq-ref", part);
        ref.type = "button";
        ref.setAttribute("data-cite", key + match[1]);
        ref.setAttribute("aria-label", "查看出处 " + part);
        ref.addEventListener("click", function () { openCard(key + match[1]); });
        node.appendChild(ref);
      } else if (part) {
        node.appendChild(document.createTextNode(part));
      }
    });
  }

  // One block of the answer's layout (assistant/layout.py): the fact asked for in bold.
  // Its spans count code points (Python's str), so the text is sliced as code points too.
  function appendBlockText(node, block, key, numbers) {
    var chars = Array.from(block.text);
    var at = 0;
    (block.strong || []).forEach(function (span) {
      appendWithRefs(node, chars.slice(at, span[0]).join(""), key, numbers);
      node.appendChild(element("strong", "hq-fact", chars.slice(span[0], span[1]).join("")));
      at = span[1];
    });
    appendWithRefs(node, chars.slice(at).join(""), key, numbers);
  }

  function appendBlocks(body, blocks, key, numbers) {
    var list = null;
    blocks.forEach(function (block) {
      if (block.kind === "item") {
        if (!list) { list = element("ul", "hq-list"); body.appendChild(list); }
        var item = element("li");
        appendBlockText(item, block, key, numbers);
        list.appendChild(item);
        return;
      }
      list = null;
      var node = element(block.kind === "heading" ? "h3" : "p", "hq-" + block.kind);
      appendBlockText(node, block, key, numbers);
      body.appendChild(node);
    });
  }

  function renderAnswer(body, answer) {
    answerCount += 1;
    var key = "c" + answerCount + "-";
    body.textContent = "";
    body.classList.add("hq-laid-out");
    var numbers = {};
    answer.citations.forEach(function (c) { numbers[c.n] = true; });
    var blocks = answer.blocks || [{ kind: "text", text: answer.answer, strong: [] }];
    appendBlocks(body, blocks, key, numbers);
    if (answer.citations.length) {
      var list = element("div", "hq-cites");
      var perDocument = {};
      answer.citations.forEach(function (c) { perDocument[c.doc_id] = (perDocument[c.doc_id] || 0) + 1; });
      answer.citations.forEach(function (c) {
        var card = element("details", "hq-cite");
        card.id = key + c.n;
        // Several cards of one document: each names its clause, as the chat page does.
        var label = perDocument[c.doc_id] > 1 ? " " + clauseLabel(c.clause_path) : "";
        card.appendChild(element("summary", null, "[" + c.n + "] 《" + c.title + "》" + label));
        var meta = element("div", "hq-meta", [c.doc_number, c.issuer, c.date, c.region].filter(Boolean).join(" · "));
        if (c.valid_until) {
          var day = c.valid_until.split("-").map(Number);
          var term = "有效期至" + day[0] + "年" + day[1] + "月" + day[2] + "日";
          if (meta.textContent) meta.appendChild(document.createTextNode(" · "));
          meta.appendChild(c.expired ? element("span", "hq-expired", term + "（已过期）") : document.createTextNode(term));
        }
        card.appendChild(meta);
        card.appendChild(element("div", "hq-meta", "条款：" + c.clause_path));
        card.appendChild(clauseWithQuote(c.text, c.quote));
        var source = element("a", "hq-source", "查看原文");
        source.href = "/documents/" + encodeURIComponent(c.doc_id) + "#" + encodeURIComponent(c.clause_id);
        source.target = "_blank";
        source.rel = "noopener";
        card.appendChild(source);
        list.appendChild(card);
      });
      body.appendChild(list);
    }
    if (answer.turn_id !== null && answer.turn_id !== undefined) body.appendChild(ratingBar(answer));
    if ((answer.refused || answer.related) && answer.turn_id && !answer.reply) body.appendChild(callbackForm(answer));
    if (answer.suggestions && answer.suggestions.length) body.appendChild(suggestionList(answer.suggestions));
  }

  // The help desk's reply to an unanswered question, shown as its own message with who
  // replied and when (text nodes only: a reply is plain text).
  function renderReply(reply) {
    var body = addMessage("bot");
    body.parentNode.className = "hq-msg hq-bot hq-reply";
    body.textContent = "";
    body.appendChild(element("div", "hq-reply-label", reply.label));
    body.appendChild(document.createTextNode(reply.answer));
    return body;
  }

  // Under an answer huiqi could not give: a phone number for the help desk to call back.
  function callbackForm(answer) {
    var box = element("form", "hq-callback");
    var field = element("input");
    field.id = "hq-phone-" + answer.turn_id;
    field.type = "tel";
    field.autocomplete = "tel";
    field.maxLength = 20;
    var label = element("label", null, "需要人工解答？留下电话，帮办人员会回电（可选）");
    label.htmlFor = field.id;
    var submit = element("button", null, "留电话");
    submit.type = "submit";
    var note = element("p", "hq-callback-note");
    note.setAttribute("role", "status");
    box.appendChild(label);
    box.appendChild(field);
    box.appendChild(submit);
    box.appendChild(note);
    box.addEventListener("submit", function (event) {
      event.preventDefault();
      var phone = field.value.trim();
      if (!phone) { field.focus(); return; }
      fetch("/api/callback", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ session_id: answer.session_id || sessionId, turn_id: answer.turn_id, phone: phone })
      }).then(function (response) {
        return response.json().then(function (data) {
          if (response.ok) {
            var thanks = element("p", "hq-thanks", data.message || "已记录，帮办人员会尽快与您联系。");
            thanks.setAttribute("tabindex", "-1");
            box.replaceWith(thanks);
            thanks.focus({ preventScroll: true });
          } else {
            note.textContent = "⚠️ " + ((data && data.error && data.error.message) || "提交失败，请稍后重试。");
          }
        });
      }).catch(function () { note.textContent = "⚠️ 网络连接失败，请稍后重试。"; });
    });
    return box;
  }

  // The clause with the words the answer relies on marked (as text nodes, never HTML).
  function clauseWithQuote(text, quote) {
    var box = element("div", "hq-clause");
    var at = quote ? text.indexOf(quote) : -1;
    if (at < 0) {
      box.textContent = text;
      return box;
    }
    box.appendChild(document.createTextNode(text.slice(0, at)));
    box.appendChild(element("mark", "hq-mark", quote));
    box.appendChild(document.createTextNode(text.slice(at + quote.length)));
    return box;
  }

  function openCard(id) {
    var card = document.getElementById(id);
    if (!card) return;
    card.open = true;
    card.classList.add("hq-flash");
    // Focus follows to the opened card, so a keyboard or screen reader user reads it next.
    card.querySelector("summary").focus({ preventScroll: true });
    keepInView(card);
    window.setTimeout(function () { card.classList.remove("hq-flash"); }, 1600);
  }

  // Questions to ask next; a click asks one, as the examples do.
  function suggestionList(suggestions) {
    var box = element("div", "hq-examples hq-suggestions");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "接着问");
    suggestions.forEach(function (text) {
      var button = element("button", "hq-example hq-suggestion", text);
      button.type = "button";
      button.addEventListener("click", function () { ask(text); });
      box.appendChild(button);
    });
    return box;
  }

  function ratingBar(answer) {
    var bar = element("div", "hq-rate");
    var prompt = element("span", null, "有帮助吗？");
    prompt.id = "hq-rate-" + answer.turn_id;
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-labelledby", prompt.id);
    bar.appendChild(prompt);
    var buttons = [["up", "👍", "有用"], ["down", "👎", "没用"]].map(function (choice) {
      var button = element("button", null, choice[1]);
      button.type = "button";
      button.value = choice[0];
      button.setAttribute("aria-label", choice[2]);
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", function () {
        buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b === button)); });
        sendFeedback(answer, choice[0], "");
        showCommentBox(bar, answer, choice[0]);
      });
      bar.appendChild(button);
      return button;
    });
    return bar;
  }

  // The optional comment opens right under the rating it belongs to, inside that answer.
  function showCommentBox(bar, answer, rating) {
    var box = bar.querySelector(".hq-comment");
    if (!box) {
      box = element("form", "hq-comment");
      var field = element("input");
      field.id = "hq-comment-" + answer.turn_id;
      field.maxLength = 1000;
      var label = element("label");
      label.htmlFor = field.id;
      var submit = element("button", null, "提交");
      submit.type = "submit";
      box.appendChild(label);
      box.appendChild(field);
      box.appendChild(submit);
      box.addEventListener("submit", function (event) {
        event.preventDefault();
        var comment = field.value.trim();
        if (!comment) { field.focus(); return; }
        var pressed = bar.querySelector("button[aria-pressed='true']");
        sendFeedback(answer, pressed ? pressed.value : rating, comment);
        var thanks = element("p", "hq-thanks", "谢谢，意见已提交。");
        thanks.setAttribute("tabindex", "-1");
        box.replaceWith(thanks);
        thanks.focus({ preventScroll: true });
      });
      bar.appendChild(box);
    }
    if (box.tagName === "FORM") {
      box.querySelector("label").textContent = rating === "down" ? "哪里不对或缺了什么？（可选）" : "补充意见（可选）";
      keepInView(box);
    }
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
    var questionRow = addMessage("user", question).parentNode;
    var body = addMessage("bot");
    body.setAttribute("aria-busy", "true");
    body.appendChild(element("span", "hq-loading", "正在查找政策…"));
    scrollToTop(questionRow);
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
        if (name === "token") { streamed += payload.text; body.textContent = streamed; scrollToTop(questionRow); }
        else if (name === "answer") { finished = true; sessionId = payload.session_id; storeSession(sessionId); renderAnswer(body, payload); }
        else if (name === "error") { finished = true; showError(body, payload.error.message); }
      }
      return pump().then(function () { if (!finished) showError(body, "回答中断了，请重试。"); });
    }).catch(function () {
      showError(body, "网络连接失败，请稍后重试。");
    }).then(function () {
      busy = false;
      sendButton.disabled = false;
      body.setAttribute("aria-busy", "false");
      scrollToTop(questionRow);
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
  // A reload (or another page of the site) shows the conversation so far, read back from
  // the server; the session goes on from there.
  function restore() {
    if (!sessionId) return;
    fetch("/api/sessions/" + encodeURIComponent(sessionId)).then(function (response) {
      if (response.status === 404) { sessionId = null; storeSession(null); return null; }
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (!data || busy || log.childNodes.length) return;
      data.turns.forEach(function (turn) {
        addMessage("user", turn.question);
        renderAnswer(addMessage("bot"), {
          answer: turn.answer, blocks: turn.blocks, citations: turn.citations || [], turn_id: turn.turn_id, suggestions: [],
          refused: turn.refused, related: turn.related, reply: turn.reply, session_id: data.session_id
        });
        if (turn.reply) renderReply(turn.reply);
      });
      var last = log.lastChild;
      if (last) keepInView(last);
    }).catch(function () { /* offline: the conversation shows again next time */ });
  }
  restore();

  document.querySelectorAll(".hq-example").forEach(function (example) {
    example.addEventListener("click", function () { ask(example.textContent); });
  });
  document.getElementById("hq-new").addEventListener("click", function () {
    sessionId = null;
    storeSession(null);
    log.textContent = "";
    messages.scrollTop = 0;
    input.focus();
  });

  // --- inside the widget's panel: talking to the host page's widget.js -------------

  function tabbable() {
    var controls = document.querySelectorAll("button, input, textarea, summary, [tabindex]");
    return Array.prototype.filter.call(controls, function (node) {
      return !node.disabled && node.tabIndex >= 0 && node.getClientRects().length > 0;
    });
  }
  function tellWidget(type) {
    // The message carries nothing but its type; widget.js checks that it comes from this origin.
    var ancestors = window.location.ancestorOrigins;
    window.parent.postMessage({ type: type }, ancestors && ancestors.length ? ancestors[0] : "*");
  }
  if (framed) {
    document.addEventListener("keydown", function (event) {
      if (event.isComposing) return;  // Escape also cancels a Chinese input method's candidates
      if (event.key === "Escape") {
        tellWidget("huiqi:close");
      } else if (event.key === "Tab" && !event.shiftKey) {
        var controls = tabbable();
        if (controls.length && event.target === controls[controls.length - 1]) {
          event.preventDefault();
          tellWidget("huiqi:tab-out");
        }
      }
    });
  }
  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || !event.data) return;
    if (event.data.type === "huiqi:ask" && typeof event.data.question === "string") ask(event.data.question);
    else if (event.data.type === "huiqi:focus") {
      var controls = tabbable();
      var target = event.data.where === "last" ? controls[controls.length - 1] : input;
      if (target) target.focus();
    }
  });
  if (params.get("q")) ask(params.get("q"));
  // In a panel, widget.js decides where focus goes when it opens (on a phone, not the
  // text box: that would cover the examples with the on-screen keyboard).
  if (!framed) input.focus();
})();
