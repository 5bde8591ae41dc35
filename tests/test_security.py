"""Attacks a hostile visitor tried against `huiqi serve`, replayed over real HTTP on
127.0.0.1; each must fail."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import shutil
import socket
import stat
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.config import Settings
from assistant.conversation import ConversationRow, FeedbackRow, TurnRow
from assistant.ratelimit import FailureThrottle, TooManyFailures
from assistant.service import Assistant
from knowledge.index import KnowledgeBase
from tests.web import AppServer, sse_events
from ui.app import create_app
from ui.handler_errors import HandlerErrorLog

TOKEN = "security-token-for-tests-7c2e"
SECRET = "HUIQI-SECRET-MARKER-5d1f0b"


@pytest.fixture(scope="module")
def secret_files(tmp_path_factory):
    """Files a server must never hand out: one beside the data, one inside the data dir."""
    folder = tmp_path_factory.mktemp("secrets")
    outside = folder / "secret.txt"
    outside.write_text(f"HUIQI_ADMIN_TOKEN={SECRET}\n", encoding="utf-8")
    return outside


@pytest.fixture(scope="module")
def server(bundled_data_dir, e5, tmp_path_factory, secret_files):
    data_dir = tmp_path_factory.mktemp("security") / "data"
    shutil.copytree(bundled_data_dir, data_dir)
    (data_dir / "inside-secret.txt").write_text(SECRET, encoding="utf-8")
    # Question limits off: the naughty-strings test asks hundreds of questions.
    settings = Settings(data_dir=data_dir, admin_token=TOKEN, rate_limit="off", rate_limit_per_ip="off")
    kb = KnowledgeBase.open(settings.knowledge_config(), embedder=e5)
    with AppServer(create_app(settings, Assistant.open(settings, kb=kb))) as running:
        running.data_dir = data_dir
        yield running


def log_in(client: httpx.Client) -> httpx.Response:
    """Log `client` in to the console: it holds the session cookie from now on."""
    response = client.post("/console/login", data={"token": TOKEN})
    assert response.status_code == 303, response.text
    return response


def file_part(path: str) -> dict:
    return {"path": path, "meta": {"_type": "gradio.FileData"}, "orig_name": "x.txt"}


def hostile_history(path: str) -> list:
    """Chat history as a browser could forge it, holding a file message."""
    return [
        {"role": "user", "content": [{"type": "file", "file": file_part(path)}]},
        {"role": "assistant", "content": [{"type": "text", "text": "好的"}]},
    ]


def hostile_inputs(components: dict, input_ids: list, path: str) -> list:
    """A value for each input of a handler: text where text is expected, and a forged
    file (or a history holding one) everywhere else."""
    values = []
    for component_id in input_ids:
        kind = components[component_id]["type"]
        if kind in ("textbox", "markdown", "code"):
            values.append("温县政府采购预留比例是多少？")
        elif kind == "chatbot":
            values.append(hostile_history(path))
        elif kind == "dropdown":
            values.append("全部")
        elif kind == "state":
            values.append(None)  # held by the server; what a browser sends is not used
        elif kind == "file":
            values.append([file_part(path)])
        else:
            values.append(file_part(path))
    return values


def run_every_handler(client: httpx.Client, mount: str, path: str) -> str:
    """Calls every event handler of the Gradio app at `mount` through the queue, as a
    browser does, with forged files for `path`; returns all that came back."""
    config = client.get(f"{mount}config").json()
    components = {c["id"]: c for c in config["components"]}
    received = []
    for fn_index, dependency in enumerate(config["dependencies"]):
        session = uuid.uuid4().hex[:11]
        join = client.post(
            f"{mount}gradio_api/queue/join",
            json={"data": hostile_inputs(components, dependency.get("inputs", []), path), "fn_index": fn_index,
                  "session_hash": session, "event_data": None, "trigger_id": dependency["targets"][0][0]},
        )
        received.append(join.text)
        if join.status_code != 200:
            continue
        with client.stream("GET", f"{mount}gradio_api/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                received.append(line)
                if '"process_completed"' in line or '"close_stream"' in line:
                    break
    return "\n".join(received)


def fetch_file_urls(client: httpx.Client, text: str) -> list[str]:
    """Every file a response pointed to, fetched."""
    bodies = []
    for chunk in text.split('"'):
        if "gradio_api/file=" in chunk:
            url = chunk if chunk.startswith("http") else client.base_url.join(chunk)
            bodies.append(client.get(str(url)).text)
    return bodies


def test_forged_file_in_chat_history_never_reads_server_files(server, secret_files):
    targets = [str(secret_files), str(server.data_dir / "inside-secret.txt"), "/proc/self/environ", "/etc/passwd"]
    with httpx.Client(base_url=server.url, timeout=60) as client:
        log_in(client)
        for mount in ("/", "/console/"):
            for target in targets:
                received = run_every_handler(client, mount, target)
                fetched = fetch_file_urls(client, received)
                leaked = [body for body in [received, *fetched] if SECRET in body or "root:x:0:0" in body]
                assert not leaked, f"{mount} handed out {target}"
                assert "PATH=" not in received and not any("PATH=" in body for body in fetched)


def test_files_outside_gradios_cache_are_not_served(server, secret_files):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        log_in(client)
        for mount in ("/", "/console/"):
            for target in (secret_files, server.data_dir / "inside-secret.txt", "/etc/passwd"):
                response = client.get(f"{mount}gradio_api/file={target}")
                assert response.status_code in (403, 404), (mount, target, response.status_code)
                assert SECRET not in response.text and "root:x" not in response.text


def test_chat_page_still_answers_after_the_fix(server):
    """The page keeps the conversation on the server: a question asked through the page's
    own handler comes back answered, with the question shown as text."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        config = client.get("/config").json()
        components = {c["id"]: c for c in config["components"]}
        for fn_index, dependency in enumerate(config["dependencies"]):
            types = [components[i]["type"] for i in dependency["inputs"]]
            if "chatbot" in types or types[:1] != ["textbox"]:
                continue
            if "chatbot" not in [components[i]["type"] for i in dependency["outputs"]]:
                continue
            data = ["温县政府采购工程项目预留比例是多少？" if t == "textbox" else None for t in types]
            for i, t in enumerate(types):
                if t == "dropdown":
                    data[i] = "全部"
            session = uuid.uuid4().hex[:11]
            join = client.post("/gradio_api/queue/join", json={
                "data": data, "fn_index": fn_index, "session_hash": session, "event_data": None,
                "trigger_id": dependency["targets"][0][0]})
            assert join.status_code == 200, join.text
            lines = []
            with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as stream:
                for line in stream.iter_lines():
                    lines.append(line)
                    if '"process_completed"' in line:
                        break
            completed = json.loads(lines[-1][len("data: "):])
            assert completed["success"], completed
            assert "40%以上" in json.dumps(completed["output"], ensure_ascii=False)
            return
    pytest.fail("the chat page has no handler that takes the question and shows the chat")



def upload(client: httpx.Client, name: str, text: str) -> httpx.Response:
    return client.post("/api/documents", headers={"Authorization": f"Bearer {TOKEN}"},
                       files=[("files", (name, text.encode("utf-8"), "text/plain"))])


def test_a_different_file_never_replaces_a_stored_document(server):
    zheng = "郑州市人民政府办公厅\n一、支持措施\n（一）对首次认定的专精特新企业奖励30万元。\n"
    jin = "金华市人民政府办公室\n一、支持措施\n（一）对首次认定的专精特新企业奖励50万元。\n"
    with httpx.Client(base_url=server.url, timeout=120) as client:
        first = upload(client, "郑政〔2023〕12号.txt", zheng).json()["added"][0]
        second = upload(client, "金政〔2023〕12号.txt", jin).json()["added"][0]
        assert first["doc_id"] != second["doc_id"]
        assert first["doc_id"].startswith("zz-2023-12h") and second["doc_id"].startswith("jz-2023-12h")
        talent = "焦作市人力资源和社会保障局\n一、人才补贴\n（一）新引进博士每人每月生活补贴{}元。\n"
        third = upload(client, "policy(2023).txt", talent.format(3000)).json()["added"][0]
        fourth = upload(client, "Policy-2023.txt", talent.format(5000).replace("博士", "硕士")).json()["added"][0]
        assert third["doc_id"] != fourth["doc_id"]

        stored = {d["doc_id"]: d for d in client.get("/api/documents").json()}
        assert {first["doc_id"], second["doc_id"], third["doc_id"], fourth["doc_id"]} <= set(stored)

        # The same file name again is an update of that document, under its id.
        again = upload(client, "郑政〔2023〕12号.txt", zheng.replace("30万元", "40万元")).json()
        assert [u["doc_id"] for u in again["updated"]] == [first["doc_id"]]
        answer = client.post("/api/chat", json={"question": "金华专精特新企业首次认定奖励多少？"}).json()
        assert "50万元" in answer["answer"]

        for doc_id in (first["doc_id"], second["doc_id"], third["doc_id"], fourth["doc_id"]):
            assert client.delete(f"/api/documents/{doc_id}", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        kept = list((server.data_dir / "documents").glob("*")) if (server.data_dir / "documents").exists() else []
        assert not [p for p in kept if "政" in p.name or "olicy" in p.name], kept


# --- the console login, admin tokens, exports, bodies, naughty strings, quiet logs ----

WX = "wenxian-2023-wanrenzhuwanqi-plan"
BLNS = [
    line for line in (Path(__file__).parent / "data" / "blns.txt").read_text(encoding="utf-8").split("\n")
    if line and not line.startswith("#")
]


def from_address(server, address: str) -> httpx.Client:
    """A client whose connections come from another loopback address (another visitor)."""
    return httpx.Client(base_url=server.url, timeout=60, transport=httpx.HTTPTransport(local_address=address))


def handler_index(client: httpx.Client, api_name: str) -> tuple[int, int]:
    """(fn_index, trigger id) of the console handler `api_name`, from the page's config."""
    config = client.get("/console/config").json()
    for fn_index, dependency in enumerate(config["dependencies"]):
        if dependency.get("api_name") == api_name:
            return fn_index, dependency["targets"][0][0]
    raise AssertionError(f"the console has no handler {api_name}")


def run_queued(client: httpx.Client, handler: tuple[int, int], data: list, session: str) -> tuple[httpx.Response, dict | None]:
    """Runs a console handler through Gradio's queue as the page does: the join response,
    and the completed message (None when the join was refused)."""
    fn_index, trigger = handler
    join = client.post("/console/gradio_api/queue/join", json={
        "data": data, "fn_index": fn_index, "session_hash": session, "event_data": None, "trigger_id": trigger})
    if join.status_code != 200:
        return join, None
    with client.stream("GET", "/console/gradio_api/queue/data", params={"session_hash": session}) as stream:
        for line in stream.iter_lines():
            if '"process_completed"' in line:
                return join, json.loads(line[len("data: "):])
    raise AssertionError("the queue closed without completing the event")


def export_log(client: httpx.Client) -> str:
    """Exports the conversation log through the console; the download link's path."""
    _, done = run_queued(client, handler_index(client, "on_export"), [""], uuid.uuid4().hex[:11])
    assert done["success"], done
    output = json.dumps(done["output"], ensure_ascii=False)
    assert "gradio_api/file=" not in output  # served by the console's route, not Gradio's cache
    return "/console/" + re.search(r'href=\\"(exports/[^"\\]+)', output).group(1)


def stored_rows(server) -> tuple[int, int, int]:
    """How many sessions, turns and ratings the conversation store holds."""
    with Session(server.app.state.assistant.conversations.engine) as db:
        return tuple(db.scalar(select(func.count()).select_from(row)) for row in (ConversationRow, TurnRow, FeedbackRow))


def test_console_login_is_a_cookie_and_a_session_hash_alone_runs_nothing(server):
    with httpx.Client(base_url=server.url, timeout=60) as admin, httpx.Client(base_url=server.url, timeout=60) as attacker:
        assert admin.get("/console/").status_code == 303  # to the login page
        cookie = log_in(admin).headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/console" in cookie
        assert "secure" not in cookie  # plain HTTP here; Secure whenever the request came over HTTPS

        session = uuid.uuid4().hex[:11]
        opened = handler_index(admin, "on_open")
        _, done = run_queued(admin, opened, [], session)
        assert done["success"] and WX in json.dumps(done["output"])

        # The session hash travels in URLs; replayed without the cookie it runs nothing.
        for api_name, data in (("on_open", []), ("on_export", [""]), ("on_search", [""]), ("on_upload", [None])):
            join, done = run_queued(attacker, handler_index(admin, api_name), data, session)
            assert join.status_code == 401 and done is None, (api_name, join.text)
        assert attacker.get("/console/gradio_api/queue/data", params={"session_hash": session}).status_code == 401
        assert attacker.get("/console/config").status_code == 401
        attacker.cookies.set("huiqi_console", "forged-session-id")
        assert attacker.get("/console/config").status_code == 401

        # Logging out ends the session on the server: the same cookie, replayed, is refused.
        stolen = admin.cookies.get("huiqi_console")
        assert admin.post("/console/logout").status_code == 303
        attacker.cookies.set("huiqi_console", stolen)
        assert attacker.get("/console/config").status_code == 401
        assert run_queued(attacker, opened, [], session)[0].status_code == 401


def test_wrong_admin_tokens_lock_the_address_out_even_for_the_right_token(server, caplog):
    guess = "guess-5f3a9c"
    with caplog.at_level(logging.WARNING, logger="huiqi.admin"), \
            from_address(server, "127.0.0.3") as attacker, from_address(server, "127.0.0.4") as neighbour:
        statuses = []
        for attempt in range(10):  # the API and the console login share one count
            if attempt % 2:
                response = attacker.post("/console/login", data={"token": f"{guess}-{attempt}"})
            else:
                response = attacker.delete(f"/api/documents/{WX}", headers={"Authorization": f"Bearer {guess}-{attempt}"})
            statuses.append(response.status_code)
        assert statuses == [403] * 5 + [429] * 5

        refused = attacker.delete(f"/api/documents/{WX}", headers={"Authorization": f"Bearer {TOKEN}"})
        assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 32
        assert "管理令牌错误次数过多" in refused.json()["error"]["message"]
        login = attacker.post("/console/login", data={"token": TOKEN})
        assert login.status_code == 429 and "管理令牌错误次数过多" in login.text and "set-cookie" not in login.headers

        # Another address is not affected.
        assert neighbour.post("/console/login", data={"token": "wrong"}).status_code == 403
        assert neighbour.post("/console/login", data={"token": TOKEN}).status_code == 303
    assert WX in {d["doc_id"] for d in httpx.get(f"{server.url}/api/documents").json()}
    lines = [record.getMessage() for record in caplog.records if record.name == "huiqi.admin"]
    assert len([line for line in lines if "127.0.0.3" in line]) == 5  # one line per wrong token
    assert not any(guess in line or TOKEN in line for line in lines)


def test_the_throttle_grows_per_address_and_forgets_on_success():
    now = [0.0]
    throttle = FailureThrottle(clock=lambda: now[0])
    assert [throttle.failed("203.0.113.7") for _ in range(5)] == [0, 0, 0, 0, 32]
    with pytest.raises(TooManyFailures) as refused:
        throttle.check("203.0.113.7")
    assert refused.value.retry_after == 32
    throttle.check("198.51.100.2")  # another address
    now[0] += 33
    throttle.check("203.0.113.7")
    assert throttle.failed("203.0.113.7") == 64
    for _ in range(10):
        now[0] += 4000
        longest = throttle.failed("203.0.113.7")
    assert longest == 3600
    throttle.succeeded("203.0.113.7")
    throttle.check("203.0.113.7")
    assert throttle.failed("203.0.113.7") == 0


def test_exported_log_cells_never_run_as_spreadsheet_formulas(server):
    formulas = ['=HYPERLINK("http://x.example","点我")温县预留比例', "+1+1 温县采购预留比例", "-2+3 温县预留比例",
                "@SUM(1+1) 温县预留比例"]
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for question in formulas:
            answer = client.post("/api/chat", json={"question": question}).json()
        rated = client.post("/api/feedback", json={"session_id": answer["session_id"], "turn_id": answer["turn_id"],
                                                   "rating": "down", "comment": "=cmd|' /C calc'!A0"})
        assert rated.status_code == 200
        log_in(client)
        exported = client.get(export_log(client))
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert {f"'{question}" for question in formulas} <= set(cells)
    assert "'=cmd|' /C calc'!A0" in cells


def test_gradio_uploads_and_exports_need_the_console_login(server):
    upload = {"files": ("政策.txt", "温县\n一、奖励\n奖励10万元。\n".encode(), "text/plain")}
    with httpx.Client(base_url=server.url, timeout=60) as anonymous, httpx.Client(base_url=server.url, timeout=60) as admin:
        assert anonymous.post("/console/gradio_api/upload", files=upload).status_code == 401
        assert anonymous.post("/gradio_api/upload", files=upload).status_code == 403  # the chat page takes no files
        log_in(admin)
        assert admin.post("/console/gradio_api/upload", files=upload).status_code == 200

        link = export_log(admin)
        assert anonymous.get(link).status_code == 401
        fetched = admin.get(link)
        assert fetched.status_code == 200 and fetched.text.lstrip("\ufeff").startswith("时间,会话")
        assert "attachment" in fetched.headers["content-disposition"]
        stored = server.data_dir / "exports" / link.rsplit("/", 1)[1]
        assert stat.S_IMODE(stored.stat().st_mode) == 0o600

        # An hour later the file is gone: not served, and deleted at the next export.
        an_hour_ago = time.time() - 3601
        os.utime(stored, (an_hour_ago, an_hour_ago))
        assert admin.get(link).status_code == 404
        export_log(admin)
        assert not stored.exists()


@pytest.mark.parametrize("path", ["/api/chat", "/api/chat/stream", "/api/feedback"])
def test_a_chunked_body_over_the_limit_is_refused(server, path):
    def five_megabytes():  # no Content-Length: the body arrives in chunks
        for _ in range(80):
            yield b" " * 65536

    response = httpx.post(server.url + path, content=five_megabytes(), headers={"Content-Type": "application/json"},
                          timeout=60)
    assert response.status_code == 413
    assert "请求体过大" in response.json()["error"]["message"]


def test_an_upload_without_the_token_is_refused_before_its_body_is_read(server):
    headers = (
        "POST /api/documents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: multipart/form-data; boundary=huiqi\r\nContent-Length: 50000000\r\n{auth}\r\n"
    )
    part = b"--huiqi\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n\r\n" + b"x" * 65536
    for address, auth, status in (("127.0.0.1", "", b"401"), ("127.0.0.5", "Authorization: Bearer wrong\r\n", b"403")):
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", server.port), timeout=10, source_address=(address, 0)) as sock:
            # 64 KB of a 50 MB body, then nothing: the answer must come without the rest.
            sock.sendall(headers.format(auth=auth).encode() + part)
            answer = b""
            while b"\r\n\r\n" not in answer:
                answer += sock.recv(4096)
        assert answer.split(b" ")[1] == status, answer[:200]
        assert time.monotonic() - started < 5


def naughty_bodies(text: str) -> list[dict]:
    return [{"question": text}, {"question": "温县政府采购工程项目预留比例是多少？", "region": text}]


def test_naughty_strings_get_the_same_status_on_both_chat_routes_and_rejected_ones_store_nothing(server):
    assert len(BLNS) > 300
    problems = []
    with httpx.Client(base_url=server.url, timeout=60) as client:
        answered = client.post("/api/chat", json={"question": "温县政府采购工程项目预留比例是多少？"}).json()
        for text in BLNS:
            for body in naughty_bodies(text):
                before = stored_rows(server)
                chat = client.post("/api/chat", json=body)
                after_chat = stored_rows(server)
                stream = client.post("/api/chat/stream", json=body)
                for response in (chat, stream):
                    if response.status_code >= 500 or "Traceback" in response.text:
                        problems.append((body, response.status_code, response.text[:200]))
                if chat.status_code != stream.status_code:
                    problems.append((body, chat.status_code, stream.status_code))
                elif chat.status_code == 200:
                    events = [name for name, _ in sse_events(stream.text)]
                    if "error" in events or events[-1:] != ["answer"]:
                        problems.append((body, "stream", stream.text[:200]))
                else:
                    assert chat.json()["error"]["code"] == stream.json()["error"]["code"]
                    if not before == after_chat == stored_rows(server):
                        problems.append((body, "rejected but stored"))
            for body in ({"session_id": answered["session_id"], "turn_id": answered["turn_id"], "rating": "down",
                          "comment": text},
                         {"session_id": text, "turn_id": answered["turn_id"], "rating": "up"}):
                before = stored_rows(server)
                rated = client.post("/api/feedback", json=body)
                if rated.status_code >= 500 or "Traceback" in rated.text:
                    problems.append((body, rated.status_code, rated.text[:200]))
                elif rated.status_code != 200 and stored_rows(server) != before:
                    problems.append((body, "rejected feedback stored"))
        # What JSON can carry but no database can store, and an id no database can hold.
        session, turn = answered["session_id"], answered["turn_id"]
        for raw in (f'{{"session_id": "{session}", "turn_id": {turn}, "rating": "up", "comment": "\\ud800"}}',
                    f'{{"session_id": "{session}", "turn_id": {turn}, "rating": "up", "comment": "a\\u0000b"}}',
                    f'{{"session_id": "{session}", "turn_id": {10 ** 30}, "rating": "up"}}'):
            rated = client.post("/api/feedback", content=raw.encode(), headers={"Content-Type": "application/json"})
            if not 400 <= rated.status_code < 500:
                problems.append((raw, rated.status_code, rated.text[:200]))
    assert not problems, problems[:10]


def test_a_forged_gradio_call_logs_one_short_line(server, capfd, caplog):
    forged = "/etc/HUIQI-FORGED-INPUT-5e1c"
    with caplog.at_level(logging.WARNING), httpx.Client(base_url=server.url, timeout=60) as client:
        log_in(client)
        upload = handler_index(client, "on_upload")
        capfd.readouterr()
        for _ in range(3):
            _, done = run_queued(client, upload, [[file_part(forged)]], uuid.uuid4().hex[:11])
            assert not done["success"] and "HUIQI-FORGED" not in json.dumps(done)
    stderr = capfd.readouterr().err
    assert "Traceback" not in stderr and "HUIQI-FORGED" not in stderr
    lines = [record.getMessage() for record in caplog.records if record.name == "huiqi.pages"]
    assert len(lines) <= 1 and not any("HUIQI-FORGED" in line for line in lines)


def test_handler_failures_are_logged_once_per_kind_every_ten_seconds(caplog):
    now = [0.0]
    errors = HandlerErrorLog(interval_s=10, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="huiqi.pages"):
        for _ in range(3):
            errors.report("console", "on_upload", ValueError("/proc/self/environ 13812345678"))
        errors.report("console", "on_probe", ValueError("x"))
        now[0] += 11
        errors.report("console", "on_upload", ValueError("/proc/self/environ"))
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        "console page: handler on_upload failed with ValueError",
        "console page: handler on_probe failed with ValueError",
        "console page: handler on_upload failed with ValueError (and 2 more in the last 11 s)",
    ]


def test_naughty_strings_through_the_chat_page_never_break_it(server, capfd):
    """Every naughty string typed into the chat page's question box: the page answers or
    says why not, in Chinese; no failure, no traceback, nothing echoed as markup."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        config = client.get("/config").json()
        components = {c["id"]: c for c in config["components"]}
        fn_index, dependency = next(
            (i, d) for i, d in enumerate(config["dependencies"]) if d.get("api_name") == "respond"
        )
        kinds = [components[i]["type"] for i in dependency["inputs"]]
        for n, text in enumerate(BLNS):
            data = [text if kind == "textbox" else "全部" if kind == "dropdown" else None for kind in kinds]
            session = f"blns{n:07d}"
            join = client.post("/gradio_api/queue/join", json={
                "data": data, "fn_index": fn_index, "session_hash": session, "event_data": None,
                "trigger_id": dependency["targets"][0][0]})
            assert join.status_code == 200, (text, join.text)
            completed = None
            buffer = b""
            with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as stream:
                # Split on the SSE newline only: a naughty string may hold U+2028 and such,
                # which a generic line splitter would also break at.
                for chunk in stream.iter_bytes():
                    buffer += chunk
                    *lines, buffer = buffer.split(b"\n")
                    done = [line for line in lines if b'"process_completed"' in line]
                    if done:
                        completed = json.loads(done[0].decode("utf-8")[6:])
                        break
            assert completed and completed["success"], (text, completed)
            shown = json.dumps(completed["output"]["data"][0], ensure_ascii=False)
            assert "<script" not in shown.lower() and "<img" not in shown.lower(), (text, shown[:200])
    assert "Traceback" not in capfd.readouterr().err
