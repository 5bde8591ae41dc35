"""The chat widget on a district website, in Chromium at a desktop (1366×900) and a phone
(390×844) size: closing it by its button and by Escape, focus kept inside and given back,
the page behind it, example questions, the loading state and streamed text, feedback
beside its answer, tap targets, axe-core, and a visit made with the keyboard only.
Screenshots of the open widget go to test-artifacts/screenshots/."""

from __future__ import annotations

import shutil
import threading
import time

import pytest
from playwright.sync_api import expect

from assistant.config import Settings
from assistant.service import Assistant
from knowledge.index import KnowledgeBase
from tests.accessibility import axe_violations, describe
from tests.web import AppServer, StaticSite, free_port, save_screenshot
from ui.app import create_app

SITE_PORT = free_port()
SITE = f"http://127.0.0.1:{SITE_PORT}"
WAIT_MS = 60_000
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
BOTH = pytest.mark.parametrize("viewport", list(VIEWPORTS))
EXAMPLE = "专精特新企业有什么奖励？"
LOADING = "正在查找政策…"
WIDGET = "[data-huiqi-widget]"

DISTRICT_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>某区人民政府</title></head>
<body>
<header><a href="#news">政务公开</a> · <a href="#services">办事服务</a></header>
<main><h1>某区人民政府门户网站</h1>
{paragraphs}
</main>
<script src="{server}/widget.js" data-title="惠企政策助手" data-region="惠济区" async></script>
</body></html>
"""


@pytest.fixture(scope="module")
def server(bundled_data_dir, e5, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("widget") / "data"
    shutil.copytree(bundled_data_dir, data_dir)
    settings = Settings(data_dir=data_dir, allowed_origins=(SITE,), rate_limit="off", rate_limit_per_ip="off")
    kb = KnowledgeBase.open(settings.knowledge_config(), embedder=e5)
    with AppServer(create_app(settings, Assistant.open(settings, kb=kb))) as running:
        yield running


@pytest.fixture(scope="module")
def district_site(server, tmp_path_factory):
    """A long page on another origin that embeds the widget (long enough to scroll on a phone)."""
    root = tmp_path_factory.mktemp("district")
    paragraphs = "\n".join(f"<p>第{n}条 政务动态：本区持续优化营商环境，服务企业发展。</p>" for n in range(80))
    (root / "index.html").write_text(DISTRICT_PAGE.format(paragraphs=paragraphs, server=server.url), encoding="utf-8")
    with StaticSite(root, port=SITE_PORT) as site:
        yield site


@pytest.fixture
def open_page(browser):
    """Opens pages in fresh contexts of the given viewport; all are closed after the test."""
    contexts = []

    def opener(viewport: str, url: str, **options):
        phone = viewport == "phone"
        context = browser.new_context(
            locale="zh-CN", viewport=VIEWPORTS[viewport], is_mobile=phone, has_touch=phone, **options
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(url)
        return page

    yield opener
    for context in contexts:
        context.close()


class PacedStream:
    """The assistant's real answer stream, let through one event at a time by the test."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.gate = threading.Semaphore(0)

    def __call__(self, *args, **kwargs):
        for event in self.stream(*args, **kwargs):
            self.gate.acquire(timeout=WAIT_MS / 1000)
            yield event

    def release(self, events: int = 1) -> None:
        self.gate.release(events)


def launcher(page):
    return page.locator(f"{WIDGET} .hq-bubble")


def panel(page):
    return page.locator(f"{WIDGET} .hq-panel")


def close_button(page):
    return page.locator(f"{WIDGET} .hq-close")


def chat(page):
    return page.frame_locator(f"{WIDGET} iframe")


def chat_frame(page):
    return page.frame(url=lambda url: "/embed" in url)


def open_widget(page, key: str | None = None):
    """Opens the panel by a click on the launcher, or by `key` when the launcher has focus,
    and waits until the chat in it has loaded and focus has settled inside the panel."""
    if key:
        page.keyboard.press(key)
    else:
        launcher(page).click()
    expect(panel(page)).to_be_visible()
    expect(chat(page).locator("#hq-input")).to_be_visible()
    chat_frame(page).wait_for_load_state("load")
    page.wait_for_function("""() => {
        const host = document.querySelector('[data-huiqi-widget]');
        const inner = host.shadowRoot.activeElement;
        return document.activeElement === host && inner !== host.shadowRoot.querySelector('.hq-bubble');
    }""")


def focused_in_widget(page) -> str | None:
    """What has focus inside the widget: 'launcher', 'close', 'chat' (inside the panel's
    page), or None when focus is on the host page."""
    return page.evaluate("""() => {
        const host = document.querySelector('[data-huiqi-widget]');
        if (document.activeElement !== host) return null;
        const inner = host.shadowRoot.activeElement;
        if (!inner) return null;
        if (inner.matches('.hq-bubble')) return 'launcher';
        if (inner.matches('.hq-close')) return 'close';
        if (inner.tagName === 'IFRAME') return 'chat';
        return inner.tagName;
    }""")


def focused_in_chat(page) -> str | None:
    """The id or class of the focused element inside the panel's page, if it has focus."""
    return chat_frame(page).evaluate(
        "document.hasFocus() ? (document.activeElement.id || document.activeElement.className) : null"
    )


def ask_example(page, question: str = EXAMPLE):
    """Clicks an example question; its answer, once it shows a citation (this answer, not
    whichever is last later)."""
    replies = chat(page).locator(".hq-bot")
    answer = replies.nth(replies.count())
    chat(page).get_by_role("button", name=question, exact=True).first.click()
    expect(answer.locator(".hq-ref").first).to_be_visible()
    return answer


@BOTH
def test_close_button_closes_the_panel_and_gives_focus_back_to_the_launcher(district_site, open_page, viewport):
    page = open_page(viewport, district_site.url + "/index.html")
    open_widget(page)
    box = close_button(page).bounding_box()
    size = VIEWPORTS[viewport]
    assert box and box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= size["width"] and box["y"] + box["height"] <= size["height"], box
    close_button(page).click()  # Playwright clicks only what is on top at that point
    expect(panel(page)).to_be_hidden()
    expect(launcher(page)).to_be_visible()
    assert focused_in_widget(page) == "launcher"
    expect(launcher(page)).to_have_attribute("aria-expanded", "false")


@BOTH
def test_escape_closes_the_panel_from_inside_the_chat_and_from_the_page(district_site, open_page, viewport):
    page = open_page(viewport, district_site.url + "/index.html")
    open_widget(page)
    chat(page).locator("#hq-input").focus()
    page.keyboard.press("Escape")
    expect(panel(page)).to_be_hidden()
    assert focused_in_widget(page) == "launcher"

    launcher(page).click()
    expect(panel(page)).to_be_visible()
    close_button(page).focus()
    page.keyboard.press("Escape")
    expect(panel(page)).to_be_hidden()
    assert focused_in_widget(page) == "launcher"

    if viewport == "desktop":  # the page is still in view beside the panel: focus on it
        launcher(page).click()
        page.locator("h1").click()
        assert focused_in_widget(page) is None
        page.keyboard.press("Escape")
        expect(panel(page)).to_be_hidden()


def test_page_behind_the_panel_does_not_scroll_on_a_phone(district_site, open_page):
    page = open_page("phone", district_site.url + "/index.html")
    page.evaluate("window.scrollTo(0, 600)")
    open_widget(page)
    swipe = TouchSwipe(page)
    swipe(x=195, y=600, finger=-300)  # over the messages
    swipe(x=100, y=26, finger=300)  # over the chat's title bar
    swipe(x=368, y=26, finger=300)  # from the close button, outside the chat's frame
    swipe(x=150, y=790, finger=-300)  # over the question box
    page.mouse.move(195, 422)
    page.mouse.wheel(0, 900)
    page.wait_for_timeout(300)
    assert page.evaluate("window.scrollY") == 600

    close_button(page).click()
    assert page.evaluate("[document.documentElement.style.overflow, document.body.style.overflow]") == ["", ""]
    assert page.evaluate("window.scrollY") == 600
    swipe(x=195, y=600, finger=-300)
    page.wait_for_function("window.scrollY > 600")  # the page scrolls again once the panel is closed


class TouchSwipe:
    """A finger moved up (negative) or down the screen, as a phone's touch events sent
    through the DevTools protocol."""

    def __init__(self, page) -> None:
        self.page = page
        self.cdp = page.context.new_cdp_session(page)

    def __call__(self, x: float, y: float, finger: float, steps: int = 6) -> None:
        self.cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
        for step in range(1, steps + 1):
            point = {"x": x, "y": y + finger * step / steps}
            self.cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        self.cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        self.page.wait_for_timeout(300)


@BOTH
def test_tab_and_shift_tab_stay_inside_the_open_panel(district_site, open_page, viewport):
    page = open_page(viewport, district_site.url + "/index.html")
    open_widget(page)
    answer = ask_example(page)
    # Tab round the panel once the answer is whole: controls still arriving (rating,
    # suggestions) would be counted on one round and not the other.
    expect(answer.locator(".hq-rate")).to_be_visible()
    # Twice round the panel (examples, citations, rating, suggestions, input), however many
    # controls this answer brought, with room for what the count misses (Chromium also
    # stops on scrollable boxes) and for keys pressed before focus came back.
    controls = chat_frame(page).evaluate(
        "document.querySelectorAll('a[href], button, input, textarea, select, summary, [tabindex]').length"
    )
    # Focus comes back to the close button by a message from the chat, a moment after the
    # key: count its arrivals rather than sampling focus after each press.
    page.evaluate("""() => {
        const close = document.querySelector('[data-huiqi-widget]').shadowRoot.querySelector('.hq-close');
        window.closeFocused = 0;
        close.addEventListener('focus', () => { window.closeFocused += 1; });
    }""")
    for key in ("Tab", "Shift+Tab"):
        close_button(page).focus()
        page.evaluate("window.closeFocused = 0")
        seen = []
        for _ in range(3 * controls + 10):
            page.keyboard.press(key)
            page.wait_for_timeout(20)
            seen.append(focused_in_widget(page))
        assert None not in seen and "launcher" not in seen, seen
        assert page.evaluate("window.closeFocused") >= 2, seen  # went round the panel, not stuck on one control


@BOTH
def test_an_example_question_is_asked_and_answered_with_a_citation(district_site, open_page, viewport):
    page = open_page(viewport, district_site.url + "/index.html")
    open_widget(page)
    example = chat(page).get_by_role("button", name=EXAMPLE)
    panel_box, example_box = panel(page).bounding_box(), example.bounding_box()
    assert example_box["y"] + example_box["height"] <= panel_box["y"] + panel_box["height"], "example below the fold"
    example.click()
    expect(chat(page).locator(".hq-user").last).to_have_text(EXAMPLE)
    answer = chat(page).locator(".hq-bot").last
    expect(answer).to_contain_text("万元")
    expect(answer.locator(".hq-ref").first).to_be_visible()
    save_screenshot(page, f"widget-{viewport}-answer")
    answer.locator(".hq-ref").first.click()
    expect(answer.locator(".hq-cite[open] .hq-clause").first).to_be_visible()
    save_screenshot(page, f"widget-{viewport}-citation-open")


def test_a_reload_of_the_site_shows_the_conversation_so_far(district_site, open_page):
    page = open_page("phone", district_site.url + "/index.html")
    open_widget(page)
    ask_example(page)
    page.reload()
    open_widget(page)
    expect(chat(page).locator(".hq-user").first).to_have_text(EXAMPLE)
    restored = chat(page).locator("#hq-log .hq-bot").first
    expect(restored.locator(".hq-ref").first).to_be_visible()
    restored.locator(".hq-ref").first.click()
    expect(restored.locator(".hq-cite[open] .hq-clause")).to_be_visible()
    save_screenshot(page, "widget-phone-after-reload")
    chat(page).get_by_role("button", name="新对话").click()
    page.reload()
    open_widget(page)
    expect(chat(page).locator(".hq-user")).to_have_count(0)


def test_an_unanswered_question_takes_a_phone_number_and_shows_the_reply_after_a_reload(
    server, district_site, open_page
):
    page = open_page("phone", district_site.url + "/index.html")
    open_widget(page)
    chat(page).locator("#hq-input").fill("企业食堂卫生许可证怎么办理？")
    chat(page).locator("#hq-send").click()
    answer = chat(page).locator(".hq-bot").last
    expect(answer).to_contain_text("抱歉")
    form = answer.locator(".hq-callback")
    form.locator("input").fill("0371-123")
    form.get_by_role("button", name="留电话").click()
    expect(form.locator(".hq-callback-note")).to_contain_text("有效的手机号")
    form.locator("input").fill("13812345678")
    form.get_by_role("button", name="留电话").click()
    expect(answer.locator(".hq-thanks")).to_contain_text("帮办人员")
    save_screenshot(page, "widget-phone-callback-left")

    helpdesk = server.app.state.assistant.helpdesk
    inquiry = next(i for i in helpdesk.inquiries.list("open") if "食堂" in i.question)
    assert inquiry.region == "惠济区" and inquiry.as_json(phones=True)["callbacks"] == ["13812345678"]
    helpdesk.reply(inquiry.id, "请到惠济区政务服务中心二楼办理<b>食品经营许可</b>。", unit="惠济区企业服务中心")
    page.reload()
    open_widget(page)
    reply = chat(page).locator(".hq-reply")
    expect(reply).to_contain_text("人工答复 · 惠济区企业服务中心 · ")
    expect(reply).to_contain_text("二楼办理<b>食品经营许可</b>。")  # markup stays text
    expect(chat(page).locator(".hq-callback")).to_have_count(0)  # answered: no second call back asked for
    save_screenshot(page, "widget-phone-reply-after-reload")


def test_loading_state_shows_until_the_first_text_which_streams_in(server, district_site, open_page, monkeypatch):
    paced = PacedStream(server.app.state.assistant.stream)
    monkeypatch.setattr(server.app.state.assistant, "stream", paced)
    page = open_page("desktop", district_site.url + "/index.html")
    open_widget(page)
    chat(page).locator("#hq-input").fill("研发费用补助最高多少？")
    chat(page).locator("#hq-send").click()
    answer = chat(page).locator(".hq-bot").last
    expect(answer.locator(".hq-loading")).to_have_text(LOADING)
    page.wait_for_timeout(500)
    expect(answer.locator(".hq-loading")).to_be_visible()  # still searching: nothing has arrived
    save_screenshot(page, "widget-desktop-loading")
    paced.release()  # the first piece of text
    expect(answer).not_to_contain_text(LOADING)
    first_text = answer.inner_text().strip()
    assert first_text, "the first text did not show"
    page.wait_for_timeout(500)
    expect(answer.locator(".hq-ref")).to_have_count(0)  # the finished answer has not been sent yet
    paced.release(100)  # the rest, then the finished answer with its citations
    expect(answer.locator(".hq-ref").first).to_be_visible()
    expect(answer).to_contain_text("200万元")
    assert answer.inner_text().startswith(first_text[:12])


def test_thumbs_down_comment_opens_beside_the_answer_it_rates(server, district_site, open_page):
    page = open_page("phone", district_site.url + "/index.html")
    open_widget(page)
    first = ask_example(page)
    ask_example(page, "研发费用补助最高多少？")
    expect(chat(page).locator(".hq-bot .hq-rate")).to_have_count(2)

    first.get_by_role("button", name="没用").click()
    comment = chat(page).get_by_label("哪里不对或缺了什么？（可选）")
    expect(comment).to_be_visible()
    expect(first.locator(".hq-comment input")).to_have_count(1)  # inside the answer it rates
    expect(chat(page).locator(".hq-comment")).to_have_count(1)
    comment.fill("希望写明申报时间")
    save_screenshot(page, "widget-phone-comment")
    comment.press("Enter")
    expect(first).to_contain_text("谢谢，意见已提交。")
    turn = commented_turn(server, EXAMPLE)
    assert (turn.rating, turn.comment, turn.channel) == ("down", "希望写明申报时间", "widget")


def commented_turn(server, question: str, wait_s: float = 10):
    """The logged turn of `question` once its comment has arrived (the page sends it in the background)."""
    deadline = time.monotonic() + wait_s
    while True:
        log = server.app.state.assistant.conversations.log()
        turn = next((t for t in log if t.question == question and t.comment), None)
        if turn or time.monotonic() > deadline:
            assert turn, f"no comment logged for {question}"
            return turn
        time.sleep(0.1)


@BOTH
def test_tap_targets_are_at_least_44_px(district_site, open_page, viewport):
    page = open_page(viewport, district_site.url + "/index.html")
    assert_tappable("launcher", launcher(page))
    open_widget(page)
    answer = ask_example(page)
    assert_tappable("close", close_button(page))
    assert_tappable("send", chat(page).locator("#hq-send"))
    assert_tappable("example", chat(page).locator(".hq-example"))
    assert_tappable("rating", answer.locator(".hq-rate button"))


def assert_tappable(name: str, locator, least: float = 44) -> None:
    expect(locator.first).to_be_visible()
    for i in range(locator.count()):
        box = locator.nth(i).bounding_box()
        assert box["width"] >= least and box["height"] >= least, (name, i, box)


@BOTH
def test_open_widget_and_its_chat_page_have_no_serious_accessibility_violations(
    server, district_site, open_page, viewport
):
    # The chat page's CSP admits only its own scripts; the test context lets axe in.
    page = open_page(viewport, district_site.url + "/index.html", bypass_csp=True)
    open_widget(page)
    answer = ask_example(page)
    answer.locator(".hq-ref").first.click()
    answer.get_by_role("button", name="没用").click()
    expect(answer.locator(".hq-comment input")).to_be_visible()
    for target in (page, chat_frame(page)):
        violations = axe_violations(target)
        assert not violations, describe(violations)

    page = open_page(viewport, server.url + "/embed", bypass_csp=True)
    page.get_by_role("button", name=EXAMPLE).click()
    expect(page.locator(".hq-bot").last.locator(".hq-ref").first).to_be_visible()
    violations = axe_violations(page)
    assert not violations, describe(violations)


@BOTH
def test_keyboard_only_visit_opens_asks_reads_a_citation_and_closes(district_site, open_page, viewport):
    page = open_page(viewport, district_site.url + "/index.html")
    keyboard = page.keyboard
    press_until = _presser(page)
    press_until("Tab", lambda: focused_in_widget(page) == "launcher")
    open_widget(page, key="Enter")
    press_until("Tab", lambda: focused_in_chat(page) == "hq-input")
    keyboard.type("研发费用补助最高多少？")
    keyboard.press("Enter")
    answer = chat(page).locator(".hq-bot").last
    expect(answer.locator(".hq-ref").first).to_be_visible()
    press_until("Shift+Tab", lambda: focused_in_chat(page) == "hq-ref")
    keyboard.press("Enter")
    expect(answer.locator(".hq-cite[open] .hq-clause").first).to_be_visible()
    keyboard.press("Escape")
    expect(panel(page)).to_be_hidden()
    assert focused_in_widget(page) == "launcher"


def _presser(page):
    def press_until(key: str, reached, limit: int = 30) -> None:
        for _ in range(limit):
            if reached():
                return
            page.keyboard.press(key)
        assert reached(), f"{key} pressed {limit} times without reaching the control"

    return press_until
