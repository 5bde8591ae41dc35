/* huiqi 政策直达 page: the profile form posts to /api/match and shows each item as a
   card (its figure as the server writes it, whom it is for, conditions, document, validity, the words it comes from
   and a link to the clause). The form's choices come from /api/match/options; a place may
   also come from the address (?region=…). Everything shown is set with textContent. */
(function () {
  "use strict";
  var form = document.getElementById("hq-profile");
  var regionInput = document.getElementById("hq-region");
  var regionError = document.getElementById("hq-region-error");
  var result = document.getElementById("hq-result");
  var submit = document.getElementById("hq-submit");
  var LEVELS = [["", "级别不限"], ["national", "国家级"], ["provincial", "省级"], ["city", "市级"], ["district", "区县级"]];
  var LEVEL_NAMES = { national: "国家级", provincial: "省级", city: "市级", district: "区县级" };

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function option(select, value, label) {
    var node = element("option", null, label);
    node.value = value;
    select.appendChild(node);
  }

  function card(item) {
    var node = element("li", "hq-card" + (item.expired ? " hq-expired" : ""));
    node.appendChild(element("p", "hq-amount", item.figure));
    var tags = element("p", "hq-meta");
    tags.appendChild(element("span", "hq-kind", item.benefit));
    var badge = item.expired ? ["hq-badge hq-old", "已过有效期"] : item.status === "match" ? ["hq-badge", "符合"] : ["hq-badge hq-check", "需确认"];
    tags.appendChild(element("span", badge[0], badge[1]));
    node.appendChild(tags);
    var who = (item.title_level && LEVEL_NAMES[item.title_level] ? LEVEL_NAMES[item.title_level] : "") + (item.who.join("、") || "不限企业类型");
    node.appendChild(element("p", "hq-meta", "对象：" + who + (item.industry ? "（" + item.industry + "）" : "")));
    if (item.conditions.length) node.appendChild(element("p", "hq-meta", "条件：" + item.conditions.join("、")));
    node.appendChild(element("blockquote", "hq-quote", item.quote));
    var source = "《" + item.title + "》" + (item.doc_number ? item.doc_number : "") + " · " + item.region;
    node.appendChild(element("p", "hq-meta", source));
    node.appendChild(element("p", "hq-meta", item.valid_until ? "有效期至 " + item.valid_until : "有效期：文件未载明"));
    var link = element("a", "hq-source", "查看原文");
    link.href = "/documents/" + encodeURIComponent(item.doc_id) + "#" + encodeURIComponent(item.clause_id);
    link.target = "_blank";
    link.rel = "noopener";
    node.appendChild(link);
    return node;
  }

  function section(title, items) {
    var wrap = element("section");
    wrap.appendChild(element("h2", null, title));
    var list = element("ul", "hq-cards");
    items.forEach(function (item) { list.appendChild(card(item)); });
    wrap.appendChild(list);
    return wrap;
  }

  function render(data) {
    result.textContent = "";
    var summary = element("div", "hq-summary");
    var where = [data.profile.region, data.profile.industry, data.profile.size].concat(data.profile.titles).filter(Boolean).join(" · ");
    summary.appendChild(element("p", null, "按“" + where + "”对照，可能适用 " + data.items.length + " 项，需确认 " + data.unsure.length + " 项。"));
    if (data.total_yuan) {
      var total = element("p");
      total.appendChild(document.createTextNode("有固定金额或上限的合计约 "));
      total.appendChild(element("span", "hq-total", data.total_text));
      summary.appendChild(total);
      (data.capped || []).forEach(function (cap) {
        summary.appendChild(element("p", "hq-assumed", "合计已按《" + cap.title + "》的总额上限计算：" + cap.quote + "。"));
      });
    }
    data.assumed.forEach(function (note) { summary.appendChild(element("p", "hq-assumed", note)); });
    result.appendChild(summary);
    if (!data.items.length && !data.unsure.length) {
      result.appendChild(element("p", "hq-empty", "已收录的政策中没有找到能逐条对照的扶持条目。可以换个地区或少选几项资质再试，或回到首页直接提问。"));
    }
    if (data.items.length) result.appendChild(section("可能适用", data.items));
    if (data.unsure.length) result.appendChild(section("需确认：要看企业是否符合条件", data.unsure));
  }

  function fail(message) {
    result.textContent = "";
    result.appendChild(element("p", "hq-error", "⚠️ " + message));
  }

  function profile() {
    var titles = [];
    document.querySelectorAll(".hq-title").forEach(function (box) {
      var check = box.querySelector("input");
      var level = box.querySelector("select");
      if (check.checked) titles.push((level && level.value ? LEVEL_NAMES[level.value] : "") + check.value);
    });
    return {
      region: regionInput.value.trim(),
      industry: document.getElementById("hq-industry").value || null,
      size: document.getElementById("hq-size").value || null,
      titles: titles
    };
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = profile();
    if (!body.region) {
      regionInput.setAttribute("aria-invalid", "true");
      regionError.textContent = "请填写企业所在地，如“大连市甘井子区”。";
      regionInput.focus();
      return;
    }
    regionInput.removeAttribute("aria-invalid");
    regionError.textContent = "";
    submit.disabled = true;
    result.textContent = "";
    result.appendChild(element("p", null, "正在对照政策…"));
    fetch("/api/match", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (reply) {
        if (!reply.ok) {
          var message = (reply.data && reply.data.error && reply.data.error.message) || "查询失败，请稍后重试。";
          if (reply.data && reply.data.error && /地区/.test(message)) {
            regionInput.setAttribute("aria-invalid", "true");
            regionError.textContent = message;
          }
          fail(message);
          return;
        }
        render(reply.data);
        history.replaceState(null, "", "?region=" + encodeURIComponent(body.region));
      })
      .catch(function () { fail("网络连接失败，请稍后重试。"); })
      .then(function () { submit.disabled = false; });
  });

  fetch("/api/match/options").then(function (r) { return r.json(); }).then(function (options) {
    var list = document.getElementById("hq-regions");
    options.regions.forEach(function (name) { option(list, name, name); });
    var industry = document.getElementById("hq-industry");
    options.industries.forEach(function (name) { option(industry, name, name); });
    var size = document.getElementById("hq-size");
    options.sizes.forEach(function (name) { option(size, name, name); });
    var titles = document.getElementById("hq-titles");
    options.titles.forEach(function (name, index) {
      var box = element("div", "hq-title");
      var check = element("input");
      check.type = "checkbox";
      check.id = "hq-title-" + index;
      check.value = name;
      var label = element("label", null, name);
      label.htmlFor = check.id;
      var level = element("select");
      level.setAttribute("aria-label", name + "的级别");
      LEVELS.forEach(function (pair) { option(level, pair[0], pair[1]); });
      box.appendChild(check);
      box.appendChild(label);
      box.appendChild(level);
      titles.appendChild(box);
    });
  }).catch(function () { /* the form still works with free text */ });

  var fromAddress = new URLSearchParams(window.location.search).get("region");
  if (fromAddress) regionInput.value = fromAddress.slice(0, 50);
})();
