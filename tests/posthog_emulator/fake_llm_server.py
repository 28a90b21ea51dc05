"""A tiny local stand-in for the OpenAI and Anthropic HTTP APIs, for driving PostHog's SDK wrappers.

It speaks just enough of both APIs for the SDKs' clients: chat completions (plain, streamed with
usage, tool calls, cached prompt tokens, ``finish_reason: length``), embeddings, the Responses
API (plain, a function call, ``status: incomplete`` below 20 ``max_output_tokens``), and Anthropic
messages (plain, streamed, ``tool_use``, cache read/creation tokens, ``stop_reason:
max_tokens``). A request whose model name ends in ``-429`` or ``-500`` gets that error status.
Token counts are derived from the request so runs are deterministic.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _words(messages) -> int:
    text = json.dumps(messages)
    return max(1, len(text) // 4)


def _has_tools(body: dict) -> bool:
    return bool(body.get("tools")) and not any(
        m.get("role") in ("tool",) or (isinstance(m.get("content"), list) and any(
            isinstance(c, dict) and c.get("type") == "tool_result" for c in m["content"]))
        for m in body.get("messages", [])
    )


class FakeLLMHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output quiet
        pass

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length", "0"))
        return json.loads(self.rfile.read(length) or b"{}")

    def _json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _sse(self, events: list) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for name, payload in events:
            text = (f"event: {name}\n" if name else "") + f"data: {payload if isinstance(payload, str) else json.dumps(payload)}\n\n"
            chunk = text.encode()
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def _maybe_error(self, model: str, anthropic: bool) -> bool:
        for status in (429, 500):
            if model.endswith(f"-{status}"):
                if anthropic:
                    kind = "rate_limit_error" if status == 429 else "api_error"
                    self._json(status, {"type": "error", "error": {"type": kind, "message": f"fake {kind}"}})
                else:
                    self._json(status, {"error": {"message": f"fake error {status}", "type": "server_error" if status == 500
                                                  else "rate_limit_exceeded", "code": None}})
                return True
        return False

    def do_POST(self):  # noqa: N802
        body = self._body()
        path = self.path.split("?")[0].rstrip("/")
        if path.endswith("/chat/completions"):
            return self._openai_chat(body)
        if path.endswith("/embeddings"):
            tokens = _words(body.get("input"))
            return self._json(200, {"object": "list", "model": body.get("model"),
                                    "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
                                    "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})
        if path.endswith("/messages"):
            return self._anthropic_messages(body)
        if path.endswith("/responses"):
            return self._openai_responses(body)
        self._json(404, {"error": {"message": f"no route {self.path}"}})

    # ---- OpenAI ------------------------------------------------------------------------------

    def _openai_chat(self, body: dict) -> None:
        model = body.get("model", "")
        if self._maybe_error(model, anthropic=False):
            return
        prompt_tokens = _words(body.get("messages"))
        max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
        truncated = bool(max_tokens) and max_tokens < 20
        completion_tokens = max_tokens if truncated else 24
        cached = 1024 if prompt_tokens > 1200 else 0
        finish = "length" if truncated else "stop"
        message = {"role": "assistant", "content": "Here is a careful answer." if not truncated else "Here is a careful"}
        if _has_tools(body):
            tool = body["tools"][0]["function"]["name"]
            message = {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_fake_1", "type": "function", "function": {"name": tool, "arguments": '{"city": "Paris"}'}}]}
            finish = "tool_calls"
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                 "total_tokens": prompt_tokens + completion_tokens,
                 "prompt_tokens_details": {"cached_tokens": cached},
                 "completion_tokens_details": {"reasoning_tokens": 0}}
        base = {"id": "chatcmpl-fake", "created": 1760000000, "model": model}
        if not body.get("stream"):
            return self._json(200, {**base, "object": "chat.completion", "usage": usage,
                                    "choices": [{"index": 0, "message": message, "finish_reason": finish}]})
        events = [(None, {**base, "object": "chat.completion.chunk",
                          "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]})]
        for word in (message.get("content") or "").split(" "):
            events.append((None, {**base, "object": "chat.completion.chunk",
                                  "choices": [{"index": 0, "delta": {"content": word + " "}, "finish_reason": None}]}))
        events.append((None, {**base, "object": "chat.completion.chunk",
                              "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}))
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append((None, {**base, "object": "chat.completion.chunk", "choices": [], "usage": usage}))
        events.append((None, "[DONE]"))
        self._sse(events)

    def _openai_responses(self, body: dict) -> None:
        model = body.get("model", "")
        if self._maybe_error(model, anthropic=False):
            return
        items = body.get("input") if isinstance(body.get("input"), list) else [{"role": "user", "content": body.get("input")}]
        input_tokens = _words(items) + _words(body.get("instructions") or "")
        max_tokens = body.get("max_output_tokens")
        truncated = bool(max_tokens) and max_tokens < 20
        output_tokens = max_tokens if truncated else 28
        answered = any(isinstance(i, dict) and i.get("type") == "function_call_output" for i in items)
        if body.get("tools") and not answered:
            tool = body["tools"][0]["name"]
            output = [{"type": "function_call", "id": "fc_fake_1", "call_id": "call_fake_1", "name": tool,
                       "arguments": '{"city": "Paris"}', "status": "completed"}]
        else:
            text = "A measured answer." if not truncated else "A measured"
            output = [{"type": "message", "id": "msg_fake_1", "status": "incomplete" if truncated else "completed",
                       "role": "assistant", "content": [{"type": "output_text", "text": text, "annotations": []}]}]
        self._json(200, {
            "id": "resp_fake", "object": "response", "created_at": 1760000000, "model": model,
            "status": "incomplete" if truncated else "completed",
            "incomplete_details": {"reason": "max_output_tokens"} if truncated else None,
            "output": output, "parallel_tool_calls": True, "tool_choice": "auto", "tools": body.get("tools") or [],
            "max_output_tokens": max_tokens, "temperature": body.get("temperature"),
            "usage": {"input_tokens": input_tokens, "input_tokens_details": {"cached_tokens": 0},
                      "output_tokens": output_tokens, "output_tokens_details": {"reasoning_tokens": 0},
                      "total_tokens": input_tokens + output_tokens},
        })

    # ---- Anthropic ---------------------------------------------------------------------------

    def _anthropic_messages(self, body: dict) -> None:
        model = body.get("model", "")
        if self._maybe_error(model, anthropic=True):
            return
        input_tokens = _words(body.get("messages")) + _words(body.get("system") or "")
        cache_read = 2048 if body.get("system") else 0
        cache_creation = 512 if body.get("system") else 0
        truncated = body.get("max_tokens", 1024) < 20
        output_tokens = body["max_tokens"] if truncated else 30
        stop = "max_tokens" if truncated else "end_turn"
        content = [{"type": "text", "text": "A thoughtful reply." if not truncated else "A thoughtful"}]
        if _has_tools(body):
            content = [{"type": "tool_use", "id": "toolu_fake_1", "name": body["tools"][0]["name"],
                        "input": {"city": "Paris"}}]
            stop = "tool_use"
        usage = {"input_tokens": input_tokens, "output_tokens": output_tokens,
                 "cache_read_input_tokens": cache_read, "cache_creation_input_tokens": cache_creation}
        message = {"id": "msg_fake", "type": "message", "role": "assistant", "model": model, "content": content,
                   "stop_reason": stop, "stop_sequence": None, "usage": usage}
        if not body.get("stream"):
            return self._json(200, message)
        start_usage = {**usage, "output_tokens": 1}
        events = [("message_start", {"type": "message_start", "message": {**message, "content": [], "stop_reason": None,
                                                                           "usage": start_usage}})]
        for index, block in enumerate(content):
            if block["type"] == "text":
                events.append(("content_block_start", {"type": "content_block_start", "index": index,
                                                       "content_block": {"type": "text", "text": ""}}))
                for word in block["text"].split(" "):
                    events.append(("content_block_delta", {"type": "content_block_delta", "index": index,
                                                           "delta": {"type": "text_delta", "text": word + " "}}))
            else:
                events.append(("content_block_start", {"type": "content_block_start", "index": index,
                                                       "content_block": {**block, "input": {}}}))
                events.append(("content_block_delta", {"type": "content_block_delta", "index": index,
                                                       "delta": {"type": "input_json_delta",
                                                                 "partial_json": json.dumps(block["input"])}}))
            events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        events.append(("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                                         "usage": {"output_tokens": output_tokens}}))
        events.append(("message_stop", {"type": "message_stop"}))
        self._sse(events)


def start_fake_llm_server(host: str = "127.0.0.1") -> tuple[ThreadingHTTPServer, str]:
    """Start the server on a free port in a daemon thread; returns it and its base URL."""
    server = ThreadingHTTPServer((host, 0), FakeLLMHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{host}:{server.server_address[1]}"
