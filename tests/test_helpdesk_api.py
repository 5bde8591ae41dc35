"""The help desk's HTTP API on 127.0.0.1, as a 12345 hotline system would use it:
inquiries, replies, closing, curated answers (CRUD, import, export), figures, the
visitor's session with its replies and a call-back number. Everything but the session
and the call back needs the admin token."""

from __future__ import annotations

import io
import shutil

import httpx
import pytest
from openpyxl import load_workbook

from assistant.config import Settings
from assistant.service import Assistant
from knowledge.index import KnowledgeBase
from tests.web import AppServer
from ui.app import create_app

TOKEN = "helpdesk-api-token-77c1"
CANTEEN = "温县企业食堂卫生许可证怎么办理？"
SAME_ASK = "温县企业食堂的卫生许可证要怎么办"


@pytest.fixture(scope="module")
def server(bundled_data_dir, e5, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("helpdesk-api") / "data"
    shutil.copytree(bundled_data_dir, data_dir)
    settings = Settings(data_dir=data_dir, admin_token=TOKEN, rate_limit="off", rate_limit_per_ip="off",
                        helpdesk_unit="温县企业服务中心")
    kb = KnowledgeBase.open(settings.knowledge_config(), embedder=e5)
    with AppServer(create_app(settings, Assistant.open(settings, kb=kb))) as running:
        yield running


@pytest.fixture
def api(server):
    with httpx.Client(base_url=server.url, timeout=120) as client:
        yield client


ADMIN = {"Authorization": f"Bearer {TOKEN}"}


def test_every_help_desk_route_refuses_without_the_token(api):
    routes = [
        ("GET", "/api/inquiries"), ("GET", "/api/inquiries/1"), ("POST", "/api/inquiries/1/reply"),
        ("POST", "/api/inquiries/1/close"), ("GET", "/api/curated"), ("POST", "/api/curated"),
        ("GET", "/api/curated/1"), ("PUT", "/api/curated/1"), ("DELETE", "/api/curated/1"),
        ("GET", "/api/curated/export"), ("POST", "/api/curated/import"), ("GET", "/api/stats"),
    ]
    for method, path in routes:
        response = api.request(method, path, json={})
        assert response.status_code == 401, (method, path, response.status_code)
        assert "令牌" in response.json()["error"]["message"]
    # One wrong guess only: more would lock this address out for the tests that follow.
    wrong = api.get("/api/inquiries", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "forbidden"


def test_a_refused_question_is_answered_through_the_api_and_served_to_the_next_owner(api):
    asked = api.post("/api/chat", json={"question": CANTEEN, "channel": "widget"}).json()
    assert asked["refused"]
    listed = api.get("/api/inquiries", params={"status": "open"}, headers=ADMIN).json()
    inquiry = next(i for i in listed if i["question"] == CANTEEN)
    assert {"id", "question", "status", "asked", "sessions", "region", "channel", "first_asked", "last_asked",
            "reason"} <= set(inquiry)
    assert (inquiry["status"], inquiry["region"], inquiry["channel"], inquiry["asked"]) == ("open", "温县", "widget", 1)

    # The owner leaves a phone number; lists mask it, the inquiry itself shows it to staff.
    huge = api.post("/api/callback", json={"session_id": asked["session_id"], "turn_id": 10**20, "phone": "13812345678"})
    assert huge.status_code == 422
    bad = api.post("/api/callback", json={"session_id": asked["session_id"], "turn_id": asked["turn_id"], "phone": "110"})
    assert bad.status_code == 400 and "手机号" in bad.json()["error"]["message"]
    left = api.post("/api/callback", json={"session_id": asked["session_id"], "turn_id": asked["turn_id"],
                                           "phone": "0391-1234567"})
    assert left.status_code == 200
    assert next(i for i in api.get("/api/inquiries", headers=ADMIN).json() if i["id"] == inquiry["id"])["callbacks"] == ["039******67"]
    assert api.get(f"/api/inquiries/{inquiry['id']}", headers=ADMIN).json()["callbacks"] == ["03911234567"]

    empty = api.post(f"/api/inquiries/{inquiry['id']}/reply", json={"answer": "  "}, headers=ADMIN)
    assert empty.status_code == 400 and "不能为空" in empty.json()["error"]["message"]
    elsewhere = api.post(f"/api/inquiries/{inquiry['id']}/reply",
                         json={"answer": "到政务服务中心办理。", "publish": True, "region": "上海市"}, headers=ADMIN)
    assert elsewhere.status_code == 400 and "上海市" in elsewhere.json()["error"]["message"]
    replied = api.post(f"/api/inquiries/{inquiry['id']}/reply", headers=ADMIN, json={
        "answer": "请到温县政务服务中心市场监管窗口办理。", "publish": True, "unit": "温县市场监管局",
    })
    assert replied.status_code == 200 and replied.json()["status"] == "answered"
    again = api.post(f"/api/inquiries/{inquiry['id']}/reply", json={"answer": "第二份答复"}, headers=ADMIN)
    assert again.status_code == 409 and "市场监管窗口" in again.json()["error"]["message"]

    session = api.get(f"/api/sessions/{asked['session_id']}").json()
    reply = session["turns"][0]["reply"]
    assert reply["answer"] == "请到温县政务服务中心市场监管窗口办理。" and reply["label"].startswith("人工答复 · 温县市场监管局 · ")

    served = api.post("/api/chat", json={"question": SAME_ASK}).json()
    assert (served["mode"], served["refused"]) == ("curated", False)
    assert served["answer"].startswith("请到温县政务服务中心市场监管窗口办理。")
    assert api.post("/api/chat", json={"question": "郑州市企业食堂卫生许可证怎么办理？"}).json()["mode"] != "curated"

    figures = api.get("/api/stats", params={"days": 30}, headers=ADMIN).json()
    assert {"questions", "answered", "related", "refused", "curated", "inquiries_opened", "inquiries_resolved",
            "resolution_rate", "median_reply_hours"} <= set(figures)
    assert figures["curated"] >= 1 and figures["inquiries_resolved"] >= 1
    assert api.get("/api/stats", params={"days": 0}, headers=ADMIN).status_code == 422


def test_sessions_are_private_to_their_id(api):
    assert api.get("/api/sessions/" + "0" * 32).status_code == 404
    assert api.get("/api/sessions/short-guessable-id").status_code == 404
    assert "会话" in api.get("/api/sessions/" + "f" * 32).json()["error"]["message"]


def test_closing_an_inquiry_through_the_api(api):
    asked = api.post("/api/chat", json={"question": "郑州市企业员工社保断缴怎么补？"}).json()
    inquiry = next(i for i in api.get("/api/inquiries", params={"status": "open"}, headers=ADMIN).json()
                   if i["question"] == "郑州市企业员工社保断缴怎么补？")
    assert asked["refused"]
    no_reason = api.post(f"/api/inquiries/{inquiry['id']}/close", json={"reason": ""}, headers=ADMIN)
    assert no_reason.status_code == 400
    closed = api.post(f"/api/inquiries/{inquiry['id']}/close", json={"reason": "属人社部门职责，已转办"}, headers=ADMIN)
    assert closed.json()["status"] == "closed" and closed.json()["reason"] == "属人社部门职责，已转办"
    assert inquiry["id"] in [i["id"] for i in api.get("/api/inquiries", params={"status": "closed"}, headers=ADMIN).json()]
    assert api.get("/api/inquiries", params={"status": "gone"}, headers=ADMIN).status_code == 422
    assert api.post("/api/inquiries/99999/close", json={"reason": "x"}, headers=ADMIN).status_code == 404
    assert api.post(f"/api/inquiries/{10**20}/close", json={"reason": "x"}, headers=ADMIN).status_code == 404


def test_curated_answers_crud_import_and_export(api):
    created = api.post("/api/curated", headers=ADMIN, json={
        "question": "温县专精特新申报网址是什么？", "alternatives": ["温县专精特新在哪个网站申报"],
        "answer": "登录河南省中小企业公共服务平台申报。", "region": "温县",
    })
    assert created.status_code == 201
    curated_id = created.json()["id"]
    assert api.post("/api/chat", json={"question": "温县专精特新在哪个网站上申报"}).json()["mode"] == "curated"
    bad_region = api.post("/api/curated", headers=ADMIN, json={"question": "问", "answer": "答", "region": "火星"})
    assert bad_region.status_code == 400 and "火星" in bad_region.json()["error"]["message"]

    edited = api.put(f"/api/curated/{curated_id}", headers=ADMIN, json={
        "question": "温县专精特新申报网址是什么？", "answer": "请在河南省专精特新申报系统填报。", "region": "温县",
    })
    assert edited.json()["answer"] == "请在河南省专精特新申报系统填报。"
    assert api.post("/api/chat", json={"question": "温县专精特新申报网址是什么"}).json()["answer"].startswith("请在河南省专精特新")

    exported = api.get("/api/curated/export", params={"format": "xlsx"}, headers=ADMIN)
    sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["问题", "其他问法", "答复", "地区", "单位", "条款编号"]
    assert any(r[0] == "温县专精特新申报网址是什么？" for r in rows[1:])
    csv_export = api.get("/api/curated/export", params={"format": "csv"}, headers=ADMIN)
    assert csv_export.headers["content-type"].startswith("text/csv") and "温县专精特新" in csv_export.content.decode("utf-8-sig")

    upload = "问题,答复,地区\n温县稳岗返还多久到账？,审核通过后 15 个工作日内到账。,温县\n坏行,,温县\n".encode("utf-8")
    imported = api.post("/api/curated/import", headers=ADMIN, files={"file": ("问答.csv", upload, "text/csv")}).json()
    assert [a["question"] for a in imported["added"]] == ["温县稳岗返还多久到账？"]
    assert imported["rejected"] == [{"row": 3, "reason": "答复内容不能为空。"}]
    broken = api.post("/api/curated/import", headers=ADMIN, files={"file": ("问答.xlsx", b"PK\x03\x04broken", "application/zip")})
    assert broken.status_code == 400 and "Excel" in broken.json()["error"]["message"]

    withdrawn = api.delete(f"/api/curated/{curated_id}", headers=ADMIN)
    assert withdrawn.status_code == 200
    assert api.post("/api/chat", json={"question": "温县专精特新申报网址是什么"}).json()["mode"] != "curated"
    assert api.delete(f"/api/curated/{curated_id}", headers=ADMIN).status_code == 404
    assert api.get(f"/api/curated/{2**70}", headers=ADMIN).status_code == 404
