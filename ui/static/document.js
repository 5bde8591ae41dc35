/* huiqi document page: reads /api/documents/{doc_id} and shows every clause, each anchored
   by its clause id; the clause named in the address (#clause_id) is highlighted and
   scrolled to. Everything shown is set with textContent, never innerHTML. */
(function () {
  "use strict";
  var main = document.getElementById("hq-document");
  var status = document.getElementById("hq-status");
  var docId = decodeURIComponent(window.location.pathname.replace(/^\/documents\//, "").replace(/\/$/, ""));

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function fail(message) {
    status.textContent = message;
    status.className = "hq-error";
    main.setAttribute("aria-busy", "false");
  }

  function render(doc) {
    document.title = doc.title + " · 政策原文";
    main.textContent = "";
    main.appendChild(element("h1", null, doc.title));
    var facts = element("dl", "hq-facts");
    [["文号", doc.doc_number], ["发文机关", doc.issuer], ["发文日期", doc.date], ["地区", doc.region],
     ["层级", doc.level], ["有效期", doc.validity]].forEach(function (pair) {
      if (!pair[1]) return;
      facts.appendChild(element("dt", null, pair[0]));
      facts.appendChild(element("dd", null, pair[1]));
    });
    main.appendChild(facts);
    doc.clauses.forEach(function (clause) {
      var section = element("section", "hq-clause");
      section.id = clause.clause_id;
      section.setAttribute("tabindex", "-1");
      section.setAttribute("aria-label", clause.clause_path);
      section.appendChild(element("p", "hq-text", clause.text));
      main.appendChild(section);
    });
    main.setAttribute("aria-busy", "false");
    showTarget();
  }

  function showTarget() {
    var previous = main.querySelector(".hq-target");
    if (previous) {
      previous.classList.remove("hq-target");
      var note = previous.querySelector(".hq-target-note");
      if (note) note.remove();
    }
    if (!window.location.hash) return;
    var target = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
    if (!target) return;
    target.classList.add("hq-target");
    target.insertBefore(element("p", "hq-target-note", "所引用的条款：" + target.getAttribute("aria-label")), target.firstChild);
    target.scrollIntoView({ block: "start" });
    target.focus({ preventScroll: true });
  }

  window.addEventListener("hashchange", showTarget);
  fetch("/api/documents/" + encodeURIComponent(docId), { headers: { Accept: "application/json" } })
    .then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    })
    .then(function (result) {
      if (result.ok) render(result.body);
      else fail((result.body && result.body.error && result.body.error.message) || "没有找到这份政策文件。");
    })
    .catch(function () { fail("政策原文加载失败，请稍后刷新重试。"); });
})();
