"""A small OpenAI-compatible chat completions server on 127.0.0.1, for driving the real
`ChatOpenAI` client end to end (plain JSON and Server-Sent Events streaming)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class OpenAICompatibleServer:
    """Answers POST /v1/chat/completions with `respond(messages) -> str`; keeps requests.

    Example:
        with OpenAICompatibleServer(lambda messages: "你好[1]") as server:
            ChatOpenAI(base_url=server.base_url, model="m", api_key="k").invoke("hi")
    """

    def __init__(
        self, respond: Callable[[list[dict]], str], chunk_chars: int = 3, delay_s: float = 0.0, chunk_delay_s: float = 0.0
    ) -> None:
        self.respond = respond
        self.chunk_chars = chunk_chars
        self.delay_s = delay_s  # before any byte of the response: a model that hangs
        self.chunk_delay_s = chunk_delay_s  # between streamed chunks: a model that trickles
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> OpenAICompatibleServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._json(404, {"error": {"message": "not found"}})
                    return
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                server.requests.append(body)
                server.headers.append({k.lower(): v for k, v in self.headers.items()})
                text = server.respond(body["messages"])
                time.sleep(server.delay_s)
                if body.get("stream"):
                    self._stream(body, text)
                else:
                    self._json(200, {
                        "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
                        "model": body["model"],
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                     "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    })

            def _stream(self, body: dict, text: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                pieces = [text[i : i + server.chunk_chars] for i in range(0, len(text), server.chunk_chars)]
                for i, piece in enumerate(pieces):
                    time.sleep(server.chunk_delay_s)
                    delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
                    self._event({"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": int(time.time()),
                                 "model": body["model"], "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
                self._event({"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": int(time.time()),
                             "model": body["model"], "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _event(self, data: dict) -> None:
                try:
                    self.wfile.write(f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode())
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):  # the client gave up on a slow stream
                    pass

            def _json(self, status: int, data: dict) -> None:
                payload = json.dumps(data, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler
