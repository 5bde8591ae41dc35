"""The chat page for enterprise owners: streamed answers with citation cards, a region
selector, example questions, 👍/👎 with an optional comment, and a new-conversation
button. Callbacks only wire the page to `Assistant` and `assistant.presentation`."""

from __future__ import annotations

import gradio as gr

from assistant.answer.base import Answer
from assistant.conversation import ISSUED_SESSION_ID
from assistant.errors import AssistantError
from assistant.presentation import answer_markdown, escape_text, restored_messages
from assistant.ratelimit import RateLimiter
from assistant.service import Assistant
from assistant.suggestions import MAX_SUGGESTIONS
from knowledge.errors import KnowledgeError

ALL_REGIONS = "全部"


def suggestion_updates(suggestions) -> list:
    """The suggestion buttons showing `suggestions` (the rest hidden)."""
    shown = list(suggestions)[:MAX_SUGGESTIONS]
    return [
        gr.Button(value=shown[i], visible=True) if i < len(shown) else gr.Button(value="", visible=False)
        for i in range(MAX_SUGGESTIONS)
    ]


def build_chat_page(assistant: Assistant, title: str, limiter: RateLimiter) -> gr.Blocks:
    """The Gradio page mounted at `/`."""
    with gr.Blocks(title=title, analytics_enabled=False) as page:
        session = gr.State(None)
        saved_session = gr.BrowserState(None, storage_key="huiqi-chat-session")
        """the conversation id kept in the visitor's browser, so a reload shows it again"""
        shown = gr.State([])
        """the conversation as displayed, kept on the server: the chatbot's own value comes
        from the browser and may hold forged file parts, so it is never an input"""
        turns = gr.State({})
        """assistant message index -> stored turn id, for feedback"""
        rated = gr.State(None)
        """(turn id, rating) of the answer last rated, for its comment"""

        with gr.Column(elem_id="hq-header"):
            gr.Markdown(
                f"## {escape_text(title)}\n按地区查询惠企政策，回答中的 [n] 可点开查看所引用的政策原文。"
                "\n\n[政策直达：填写企业情况，查能享受哪些政策 →](/direct)",
                elem_id="hq-intro",
            )
        with gr.Row(equal_height=True):
            region = gr.Dropdown(
                [ALL_REGIONS, *assistant.covered_regions()], value=ALL_REGIONS, label="地区",
                scale=3, min_width=120, elem_id="hq-region",
            )
            new_chat = gr.Button("新对话", scale=1, min_width=80, elem_id="hq-new")
        with gr.Column(elem_id="hq-examples"):
            # Above the conversation, so they are on screen at first sight; a click asks one.
            gr.Markdown("可以这样问", elem_id="hq-examples-label")
            with gr.Row():
                example_buttons = [
                    gr.Button(example, size="sm", variant="secondary", elem_classes=["hq-example"])
                    for example in assistant.examples(limit=3)
                ]
        chatbot = gr.Chatbot(
            label="对话", show_label=False, elem_id="hq-chat", height="58vh", feedback_options=("Like", "Dislike"),
            buttons=["copy"], placeholder="您好！请问想了解哪方面的惠企政策？", layout="bubble",
            # A long answer is read from its start: chat.js brings each new question to the
            # top instead of following the text to its end.
            autoscroll=False,
        )
        with gr.Row(elem_id="hq-suggestions"):
            # Filled after each answer with the questions it suggests; a click asks one.
            suggestion_buttons = [
                gr.Button(visible=False, size="sm", variant="secondary", elem_classes=["hq-suggestion"])
                for _ in range(MAX_SUGGESTIONS)
            ]
        with gr.Row(equal_height=True, elem_id="hq-ask"):
            question = gr.Textbox(
                show_label=False, placeholder="请输入问题，例如：郑州小巨人企业奖励多少？", scale=5,
                min_width=160, elem_id="hq-question", max_lines=4,
            )  # no autofocus: on a phone it opens the keyboard and scrolls the examples away
            send = gr.Button("发送", variant="primary", scale=1, min_width=70, elem_id="hq-send")
        with gr.Group(visible=False, elem_id="hq-feedback") as feedback_box:
            comment = gr.Textbox(label="谢谢评价！还有什么想补充的吗？（可选）", max_lines=3, elem_id="hq-comment")
            send_comment = gr.Button("提交意见", size="sm", elem_id="hq-send-comment")
        feedback_note = gr.Markdown(elem_id="hq-feedback-note")
        unanswered = gr.State(None)
        """turn id of the last answer huiqi could not give, for a call-back number"""
        with gr.Group(visible=False, elem_id="hq-callback") as callback_box:
            with gr.Row(equal_height=True):
                phone = gr.Textbox(
                    label="需要人工解答？留下电话，帮办人员会回电（可选）", max_lines=1, scale=4, elem_id="hq-phone",
                    placeholder="手机号或带区号的固定电话",
                )
                send_phone = gr.Button("留电话", size="sm", scale=1, min_width=80, elem_id="hq-send-phone")
        callback_note = gr.Markdown(elem_id="hq-callback-note")
        gr.Markdown(
            "回答摘自已收录的政策原文，具体以正式文件为准；知识库没有的内容会如实说明。",
            elem_id="hq-disclaimer",
        )

        def respond(
            text: str, history: list, session_id: str | None, region_name: str, turn_ids: dict, request: gr.Request
        ):
            history = list(history or [])
            hidden = suggestion_updates(())
            keep = (gr.skip(), gr.skip(), gr.skip())
            if not isinstance(text, str) or not text.strip():
                gr.Warning("请输入问题。")
                yield history, history, session_id, turn_ids, text if isinstance(text, str) else "", *hidden, *keep
                return
            history += [{"role": "user", "content": escape_text(text)}, {"role": "assistant", "content": "正在查找政策…"}]
            no_callback = (None, gr.Group(visible=False), "")
            yield history, history, session_id, turn_ids, "", *hidden, *no_callback
            streamed = ""
            key = str(len(history))
            try:
                client = request.client.host if request and request.client else "-"
                # The page's own session (one per page load) rather than the conversation id,
                # which changes on 新对话 and would let a visitor reset the count.
                limiter.check(client, (request.session_hash if request else None) or session_id)
                for event in assistant.stream(text, session_id=session_id, region=region_name, channel="web"):
                    suggestions, callback = hidden, keep
                    if isinstance(event, Answer):
                        shown = answer_markdown(event.text, event.citations, key, event.standalone_question or text)
                        history[-1] = {"role": "assistant", "content": shown}
                        session_id = event.session_id
                        turn_ids = {**turn_ids, len(history) - 1: event.turn_id}
                        suggestions = suggestion_updates(event.suggestions)
                        if event.refused or event.related:
                            callback = (event.turn_id, gr.Group(visible=True), "")
                    else:
                        streamed += event
                        history[-1] = {"role": "assistant", "content": answer_markdown(streamed, (), key, text)}
                    # The box was emptied when the question was taken; leave it alone from
                    # here on, or whatever the visitor types meanwhile is wiped.
                    yield history, history, session_id, turn_ids, gr.skip(), *suggestions, *callback
            except (AssistantError, KnowledgeError) as exc:
                history[-1] = {"role": "assistant", "content": "⚠️ " + escape_text(str(exc))}
                yield history, history, session_id, turn_ids, text, *hidden, *keep

        def on_like(data: gr.LikeData, session_id: str | None, turn_ids: dict):
            turn_id = turn_ids.get(data.index if isinstance(data.index, int) else data.index[0])
            if session_id is None or turn_id is None or data.liked not in (True, False):
                return gr.Group(visible=False), None, ""
            rating = "up" if data.liked else "down"
            try:
                assistant.rate(session_id, turn_id, rating)
            except AssistantError as exc:
                return gr.Group(visible=False), None, "⚠️ " + escape_text(str(exc))
            return gr.Group(visible=True), (turn_id, rating), "已记录您的评价。"

        def on_comment(text: str, session_id: str | None, last: tuple | None):
            if not last or session_id is None:
                return gr.Group(visible=False), None, "", ""
            try:
                assistant.rate(session_id, last[0], last[1], text)
            except AssistantError as exc:
                return gr.Group(visible=True), last, text, "⚠️ " + escape_text(str(exc))
            return gr.Group(visible=False), None, "", "谢谢，您的意见已提交给帮办人员。"

        def on_phone(number: str, session_id: str | None, turn_id: int | None):
            if session_id is None or turn_id is None:
                return gr.Group(visible=False), number, ""
            try:
                assistant.helpdesk.inquiries.leave_phone(session_id, turn_id, number)
            except AssistantError as exc:
                return gr.Group(visible=True), number, "⚠️ " + escape_text(str(exc))
            return gr.Group(visible=False), "", "已记录，帮办人员会尽快与您联系。"

        def start_over():
            return ([], [], None, {}, None, gr.Group(visible=False), "", "", *suggestion_updates(()),
                    None, gr.Group(visible=False), "", "")

        def restore(saved: str | None, current: str | None, current_shown: list):
            """The visitor's conversation after a reload, read back from the server. It
            changes nothing when there is none, or when a question was asked meanwhile
            (the load event may finish after the visitor's first question)."""
            unchanged = [gr.skip()] * 5
            if current or current_shown:
                return unchanged
            try:
                issued = isinstance(saved, str) and ISSUED_SESSION_ID.match(saved)
                turns = assistant.conversations.session_turns(saved) if issued else []
            except AssistantError:
                turns = []
            if not turns:
                return unchanged
            messages, turn_ids = restored_messages(turns, assistant.helpdesk.replies([t.turn_id for t in turns]))
            return messages, messages, saved, turn_ids, saved

        def remember(session_id: str | None):
            return session_id

        def refresh_regions(current: str):
            choices = [ALL_REGIONS, *assistant.covered_regions()]
            return gr.Dropdown(choices=choices, value=current if current in choices else ALL_REGIONS)

        ask_inputs = [question, shown, session, region, turns]
        ask_outputs = [chatbot, shown, session, turns, question, *suggestion_buttons, unanswered, callback_box, callback_note]
        # A question sent while the last answer is still streaming runs once that one
        # is done (Gradio's default drops it).
        gr.on([question.submit, send.click], respond, ask_inputs, ask_outputs, concurrency_limit=None,
              trigger_mode="always_last")
        for button in [*suggestion_buttons, *example_buttons]:
            button.click(respond, [button, shown, session, region, turns], ask_outputs, concurrency_limit=None)
        chatbot.like(on_like, [session, turns], [feedback_box, rated, feedback_note])
        send_comment.click(on_comment, [comment, session, rated], [feedback_box, rated, comment, feedback_note])
        send_phone.click(on_phone, [phone, session, unanswered], [callback_box, phone, callback_note])
        phone.submit(on_phone, [phone, session, unanswered], [callback_box, phone, callback_note])
        resets = [chatbot, shown, session, turns, rated, feedback_box, comment, feedback_note, *suggestion_buttons,
                  unanswered, callback_box, phone, callback_note]
        new_chat.click(start_over, None, resets)
        # The chatbot's own clear icon starts over too, so what is shown and what the
        # assistant remembers never part ways.
        chatbot.clear(start_over, None, resets)
        page.load(refresh_regions, region, region)
        page.load(restore, [saved_session, session, shown], [chatbot, shown, session, turns, saved_session])
        session.change(remember, session, saved_session)
    return page
