"""The help-desk loop in Chromium, as its people live it: an owner's question is
refused and they leave a phone number; staff find it in the console, reply and publish;
the owner reloads and reads the reply; another owner asks in other words and gets it;
the dashboard's resolution rate moves. Screenshots on a laptop and a phone."""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import expect

from assistant.config import Settings
from assistant.service import Assistant
from knowledge.index import KnowledgeBase
from tests.accessibility import axe_violations, describe
from tests.test_pages import ask_on_chat_page, last_answer, screenshot
from tests.web import AppServer
from ui.app import create_app

TOKEN = "helpdesk-pages-token-93ad"
QUESTION = "温县企业食堂卫生许可证怎么办理？"
OTHER_WORDS = "在温县，公司食堂的卫生许可证要怎么办？"
REPLY = "请到温县政务服务中心一楼市场监管窗口办理，带上营业执照和从业人员健康证明。"


@pytest.fixture(scope="module")
def server(bundled_data_dir, e5, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("helpdesk-pages") / "data"
    shutil.copytree(bundled_data_dir, data_dir)
    settings = Settings(data_dir=data_dir, admin_token=TOKEN, helpdesk_unit="温县企业服务中心",
                        rate_limit="off", rate_limit_per_ip="off")
    kb = KnowledgeBase.open(settings.knowledge_config(), embedder=e5)
    with AppServer(create_app(settings, Assistant.open(settings, kb=kb))) as running:
        yield running


def resolution_rate(page) -> float | None:
    text = page.locator("#hq-headline").inner_text()
    found = re.search(r"诉求解决率 ([\d.]+)%", text)
    return float(found.group(1)) if found else None


def test_a_refused_question_is_answered_by_staff_and_served_to_the_next_owner(server, open_page):  # noqa: F811
    owner = open_page(phone=True)
    owner.goto(server.url + "/")
    ask_on_chat_page(owner, QUESTION)
    expect(last_answer(owner)).to_contain_text("抱歉")
    expect(owner.locator("#hq-phone")).to_be_visible()
    owner.locator("#hq-phone input").fill("12345")
    owner.locator("#hq-send-phone").click()
    expect(owner.locator("#hq-callback-note")).to_contain_text("有效的手机号")
    owner.locator("#hq-phone input").fill("13812345678")
    owner.locator("#hq-send-phone").click()
    expect(owner.locator("#hq-callback-note")).to_contain_text("已记录")
    screenshot(owner, "helpdesk-phone-owner-refused-leaves-phone")

    staff = open_page()
    staff.goto(server.url + "/console/")
    staff.locator("#hq-token input").fill(TOKEN)
    staff.locator("#hq-login").click()
    staff.get_by_role("tab", name="数据看板").click()
    expect(staff.locator("#hq-headline")).to_contain_text("诉求解决率 0.0%")
    expect(staff.locator("#hq-headline")).to_contain_text("未达标")
    before = resolution_rate(staff)

    staff.get_by_role("tab", name="诉求处理").click()
    expect(staff.locator("#hq-inquiries")).to_contain_text(QUESTION)
    staff.locator("#hq-inquiry-choice input").click()
    staff.get_by_role("option", name=QUESTION, exact=False).click()
    detail = staff.locator("#hq-inquiry-detail")
    expect(detail).to_contain_text("13812345678")  # staff see the number whole
    expect(detail).to_contain_text("抱歉")  # and what huiqi said
    staff.locator("#hq-reply-text textarea").fill(REPLY)
    expect(staff.locator("#hq-reply-publish input")).to_be_checked()
    screenshot(staff, "helpdesk-console-inquiry-reply")
    assert not axe_violations(staff), describe(axe_violations(staff))
    staff.locator("#hq-reply-submit").click()
    expect(staff.locator("#hq-inquiry-note")).to_contain_text("已答复并发布为问答对")
    expect(detail).to_contain_text("已答复")

    staff.get_by_role("tab", name="数据看板").click()
    staff.locator("#hq-dashboard-refresh").click()
    expect(staff.locator("#hq-headline")).to_contain_text("诉求解决率 100.0%")
    assert resolution_rate(staff) > before
    expect(staff.locator("#hq-plot-outcomes")).to_be_visible()
    screenshot(staff, "helpdesk-console-dashboard")
    assert not axe_violations(staff), describe(axe_violations(staff))
    staff.get_by_role("tab", name="问答库").click()
    expect(staff.locator("#hq-curated")).to_contain_text(REPLY[:12])
    screenshot(staff, "helpdesk-console-curated")
    assert not axe_violations(staff), describe(axe_violations(staff))

    owner.reload()
    reply = owner.locator("#hq-chat").get_by_text(REPLY[:12])
    expect(reply).to_be_visible()
    expect(owner.locator("#hq-chat .hq-reply-label")).to_contain_text("人工答复 · 温县企业服务中心 · ")
    screenshot(owner, "helpdesk-phone-owner-sees-the-reply")

    another = open_page()
    another.goto(server.url + "/")
    ask_on_chat_page(another, OTHER_WORDS)
    expect(last_answer(another)).to_contain_text(REPLY[:12])
    expect(last_answer(another)).to_contain_text("人工答复 · 温县企业服务中心")
    expect(another.locator("#hq-phone")).to_be_hidden()
    screenshot(another, "helpdesk-laptop-another-owner-gets-the-curated-answer")
