"""The `huiqi` CLI as a help-desk member uses it: ingest, docs list/remove, search."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from huiqi.cli import app

runner = CliRunner()



def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.mark.parametrize(
    ("question", "doc_id", "must_contain"),
    [
        ("郑州首次获评小巨人奖励", "zhengzhou-2024-sme-development-reply", "对首次获评的“小巨人”企业"),
        ("温县政府采购预留比例", "wenxian-2023-wanrenzhuwanqi-plan", "预留比例提高至40%以上"),
        ("金华隐形冠军奖励", "jinhua-2023-sme-regulation-reply", "“隐形冠军”企业分别给予50万元和30万元"),
        ("惠济区助企三十条研发费用补助最高多少", "zhengzhou-2022-wanrenzhuwanqi-bulletin", "最高可给予200万元"),
        ("义乌评上国家级隐形冠军奖多少钱", "jinhua-2023-sme-regulation-reply", "义乌市对评为国家级“隐形冠军”企业给予200万元"),
        ("优秀青年科技人才培养经费", "zhengzhou-2024-sme-development-reply", "给予10万元培养经费支持"),
    ],
)
def test_search_finds_the_clause_in_the_top_3(bundled_env, question, doc_id, must_contain):
    result = run("search", question, "--k", "3", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [row["rank"] for row in rows] == [1, 2, 3]
    assert set(rows[0]) == {"rank", "score", "relevance", "doc_id", "title", "region", "clause_id", "clause_path", "text"}
    assert any(row["doc_id"] == doc_id and must_contain in row["text"] for row in rows), [
        (row["clause_id"], row["text"][:40]) for row in rows
    ]


def test_search_region_filter_keeps_other_regions_out(bundled_env):
    rows = json.loads(run("search", "小巨人企业奖励", "--region", "金华市", "--json").output)
    assert rows and {row["region"] for row in rows} == {"金华市"}


def test_search_scopes_regions_as_ask_does_and_prints_relevance(bundled_env):
    from assistant.config import Settings
    from assistant.conversation import ConversationStore
    from assistant.service import Assistant

    rows = json.loads(run("search", "小巨人企业奖励", "--region", "郑州市", "--json").output)
    assistant = Assistant.open(Settings(), conversations=ConversationStore("sqlite://"))
    scoped = assistant.search("小巨人企业奖励", region="郑州市", k=5)
    assert [(row["clause_id"], row["relevance"]) for row in rows] == [
        (hit.clause.clause_id, round(hit.scores["relevance"], 4)) for hit in scoped.hits
    ]
    assert rows and "金华市" not in {row["region"] for row in rows}

    # The place the question names scopes the search, as it scopes an answer.
    named = json.loads(run("search", "金华隐形冠军奖励", "--json").output)
    assert named and {row["region"] for row in named} == {"金华市"}

    # Fewer hits asked for are the most relevant of more, and the terminal shows them as JSON does.
    top3 = json.loads(run("search", "小巨人企业奖励", "--region", "郑州市", "--k", "3", "--json").output)
    assert [row["clause_id"] for row in top3] == [row["clause_id"] for row in rows[:3]]
    shown = run("search", "小巨人企业奖励", "--region", "郑州市", "--k", "3").output
    for row in top3:
        assert f"[{row['rank']}] 相关度 {row['relevance']:.3f}  {row['title']}（{row['region']}）" in shown
    assert "拒答阈值：相关度 <" in shown


def test_search_for_a_place_without_documents_says_so(bundled_env):
    result = run("search", "研发补助", "--region", "大连市")
    assert result.exit_code == 0
    assert "知识库暂未收录大连市的政策文件" in result.output and "没有找到相关条款" in result.output


def test_search_human_output_shows_title_and_path(bundled_env):
    result = run("search", "温县政府采购预留比例", "--k", "1")
    assert "温县2023年深化“万人助万企”活动实施方案" in result.output
    assert "4.加强产业链上下游企业适配对接" in result.output


@pytest.mark.parametrize(("args", "message"), [(["search", "   "], "问题不能为空"), (["search", "奖励", "--k", "0"], "--k 必须大于 0")])
def test_search_bad_arguments_exit_2_in_chinese(bundled_env, args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output


def test_docs_list_json_shape(bundled_env):
    rows = json.loads(run("docs", "list", "--json").output)
    assert len(rows) == 5
    jinhua = next(row for row in rows if row["doc_id"] == "jinhua-2023-sme-regulation-reply")
    assert jinhua == {
        "doc_id": "jinhua-2023-sme-regulation-reply",
        "title": "关于对金华市八届人大三次会议义12号建议答复的函",
        "doc_number": "金经信办建〔2023〕31号",
        "issuer": "金华市经济和信息化局",
        "date": "2023-07-13",
        "region": "金华市",
        "level": "市",
        "source": "jinhua-2023-sme-regulation-reply.txt",
        "chunks": jinhua["chunks"],
        "validity": "",
    }
    assert jinhua["chunks"] >= 15


def test_ingest_then_remove_through_the_cli(bundled_env, tmp_path):
    policy = tmp_path / "试点政策.txt"
    policy.write_text("关于试点的通知\n一、对试点企业给予8万元补助。\n二、试点期限为两年。", encoding="utf-8")
    bad = tmp_path / "坏文件.txt"
    bad.write_bytes(b"")
    result = runner.invoke(app, ["ingest", str(policy), str(bad)])
    assert result.exit_code == 1, "a rejected file makes the exit code non-zero"
    assert "新增" in result.output and "坏文件.txt" in result.output and "文件是空的" in result.output
    rows = json.loads(run("docs", "list", "--json").output)
    added = [row for row in rows if row["source"] == "试点政策.txt"]
    assert len(added) == 1 and added[0]["doc_id"].startswith("sdzc-"), "pinyin initials of 试点政策"

    again = run("ingest", str(policy))
    assert again.exit_code == 0 and "未变" in again.output

    removed = run("docs", "remove", added[0]["doc_id"])
    assert "已删除" in removed.output
    assert len(json.loads(run("docs", "list", "--json").output)) == 5
    missing = runner.invoke(app, ["docs", "remove", added[0]["doc_id"]])
    assert missing.exit_code == 1 and "没有编号为" in missing.output


def test_empty_knowledge_base_says_how_to_fill_it(tmp_path):
    result = run("docs", "list")
    assert "huiqi ingest" in result.output


def test_ask_json_answers_with_citations(bundled_env):
    result = run("ask", "温县2023年政府采购工程项目预留比例是多少？", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert "40%" in data["answer"] and "[1]" in data["answer"]
    assert data["citations"][0]["clause_id"] == "wenxian-2023-wanrenzhuwanqi-plan:2.1.4"


def test_ask_prints_answer_then_full_cited_clauses(bundled_env):
    result = run("ask", "郑州首次获评小巨人企业奖励多少？")
    assert result.exit_code == 0
    answer, _, cited = result.output.partition("引用条款：")
    assert "200万元" in answer and "[1]" in answer
    assert "[1] 《关于促进中小企业健康发展建议的答复》" in cited
    assert "一、大力开展政策宣传,加大财政扶持力度" in cited


def test_ask_session_carries_over_between_runs(bundled_env):
    run("ask", "金华对国家级隐形冠军企业奖励多少？", "--session", "desk-42")
    data = json.loads(run("ask", "那省级的呢？", "--session", "desk-42", "--json").output)
    assert data["session_id"] == "desk-42"
    assert data["standalone_question"] == "金华对省级隐形冠军企业奖励多少？"
    assert "30万元" in data["answer"]


@pytest.mark.parametrize("question", ["", "  ", "补" * 600, "\x00温县"])
def test_ask_bad_question_exits_2_with_chinese_message(bundled_env, question):
    result = runner.invoke(app, ["ask", question])
    assert result.exit_code == 2
    assert "错误：问题" in result.output
    assert "Traceback" not in result.output


def test_ask_refuses_with_exit_0_and_contact(bundled_env):
    result = run("ask", "农村宅基地可以买卖吗？")
    assert result.exit_code == 0
    assert "抱歉" in result.output and "12345" in result.output


def test_chat_streams_answers_and_keeps_the_conversation(bundled_env):
    result = runner.invoke(
        app, ["chat"], input="金华对国家级隐形冠军企业奖励多少？\n那省级的呢？\n\n/quit\n", catch_exceptions=False
    )
    assert result.exit_code == 0
    assert result.output.count("引用条款：") == 2
    assert "30万元" in result.output.split("引用条款：")[1].split("问>")[-1]
    assert "错误：问题不能为空" in result.output


def test_ask_with_invalid_utf8_in_the_shell_exits_2_in_chinese(bundled_env):
    import os
    import subprocess
    import sys
    from pathlib import Path

    huiqi = str(Path(sys.executable).parent / "huiqi")
    result = subprocess.run(
        [huiqi.encode(), b"ask", b"\xff\xfe\xe6\xb8\xa9"], env={**os.environ, "HUIQI_DATA_DIR": str(bundled_env)},
        capture_output=True, timeout=120,
    )
    assert result.returncode == 2
    assert "无法识别的控制字符" in result.stderr.decode("utf-8") + result.stdout.decode("utf-8")


def test_serve_on_a_public_address_refuses_a_short_admin_token(bundled_env, monkeypatch):
    monkeypatch.setenv("HUIQI_ADMIN_TOKEN", "admin")
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "9"])
    assert result.exit_code == 2 and "管理令牌太短" in result.output and "admin" not in result.output.replace("管理", "")


def test_serve_with_several_workers_needs_a_chroma_server(bundled_env):
    result = CliRunner().invoke(app, ["serve", "--workers", "2", "--port", "9"])
    assert result.exit_code == 2 and "HUIQI_CHROMA_URL" in result.output
