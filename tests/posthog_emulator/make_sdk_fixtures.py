"""Record LLM analytics events produced by PostHog's own Python SDK into JSONL fixtures.

Drives the SDK's AI wrappers (``posthog.ai.openai.OpenAI``, ``posthog.ai.anthropic.Anthropic``
and the LangChain ``CallbackHandler``) against the local fake LLM server, sending to a local
emulator that logs every captured event as received. The SDK decides the event shapes; this
script only chooses the traces:

* an OpenAI agent: tool call, tool result with cached prompt tokens, streamed summary,
  a truncated answer (``max_tokens``), a 500 error, and an embedding;
* an Anthropic agent: tool use, streamed answer with cache read/creation tokens, a truncated
  answer and a 429 rate limit followed by a successful retry;
* a LangChain chain with two model calls (trace, span and generation events).

Run with ``./scripts/emulator-tests --make-sdk-fixtures`` is not needed; use:

    .venv/bin/python tests/posthog_emulator/make_sdk_fixtures.py [--out-dir tests/posthog_emulator/fixtures]

(the SDK packages come from ``requirements-sdk.txt``). Writes ``sdk_openai.jsonl``,
``sdk_anthropic.jsonl`` and ``sdk_langchain.jsonl``.
"""

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT_TOKEN = "phc_emulator_project_1"
TOOLS_OPENAI = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
TOOLS_ANTHROPIC = [{"name": "get_weather", "description": "Current weather for a city",
                    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]
LONG_POLICY = "You are a travel assistant. Follow the booking policy carefully. " * 120


def start_emulator(capture_log: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0", "--capture-log", capture_log],
        cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    for line in process.stdout:
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            return process, match.group(1)
    raise RuntimeError("emulator did not start")


def openai_agent(ph_client, llm_url: str) -> None:
    from posthog.ai.openai import OpenAI

    client = OpenAI(posthog_client=ph_client, api_key="sk-fake", base_url=f"{llm_url}/v1", max_retries=0)
    trace = f"sdk-openai-{uuid.uuid4()}"
    common = {"posthog_distinct_id": "sdk_user_1", "posthog_trace_id": trace}
    messages = [{"role": "system", "content": LONG_POLICY}, {"role": "user", "content": "Weather in Paris for my trip?"}]
    first = client.chat.completions.create(
        model="gpt-4o", messages=messages, tools=TOOLS_OPENAI, temperature=0.2,
        posthog_properties={"$ai_span_name": "plan", "stamphog_tier": "pro"}, **common)
    call = first.choices[0].message.tool_calls[0]
    messages += [first.choices[0].message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 18, "sky": "cloudy"}'}]
    client.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS_OPENAI, temperature=0.2,
                                   posthog_properties={"$ai_span_name": "answer"}, **common)
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Summarize: cloudy, 18C"}], stream=True,
        posthog_properties={"$ai_span_name": "summarize"}, **common)
    for _ in stream:
        pass
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Write a long poem"}],
                                   max_tokens=12, posthog_properties={"$ai_span_name": "draft"}, **common)
    try:
        client.chat.completions.create(model="gpt-4o-500", messages=[{"role": "user", "content": "Retry me"}],
                                       posthog_properties={"$ai_span_name": "draft"}, **common)
    except Exception:  # the SDK records the failed call; the error itself is expected
        pass
    client.embeddings.create(model="text-embedding-3-small", input="cloudy in Paris",
                             posthog_properties={"$ai_span_name": "embed"}, **common)


def anthropic_agent(ph_client, llm_url: str) -> None:
    from posthog.ai.anthropic import Anthropic

    client = Anthropic(posthog_client=ph_client, api_key="sk-ant-fake", base_url=llm_url, max_retries=0)
    trace = f"sdk-anthropic-{uuid.uuid4()}"
    common = {"posthog_distinct_id": "sdk_user_2", "posthog_trace_id": trace}
    messages = [{"role": "user", "content": "What is the weather in Paris?"}]
    first = client.messages.create(model="claude-sonnet-4-5", max_tokens=512, tools=TOOLS_ANTHROPIC, messages=messages,
                                   system=LONG_POLICY, posthog_properties={"$ai_span_name": "plan"}, **common)
    tool_use = first.content[0]
    messages += [{"role": "assistant", "content": [tool_use.model_dump()]},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use.id,
                                               "content": '{"temp_c": 18}'}]}]
    stream = client.messages.create(model="claude-sonnet-4-5", max_tokens=512, tools=TOOLS_ANTHROPIC,
                                    messages=messages, system=LONG_POLICY, stream=True,
                                    posthog_properties={"$ai_span_name": "answer"}, **common)
    for _ in stream:
        pass
    client.messages.create(model="claude-3-5-haiku-20241022", max_tokens=10,
                           messages=[{"role": "user", "content": "Tell me everything about Paris"}],
                           posthog_properties={"$ai_span_name": "draft"}, **common)
    try:
        client.messages.create(model="claude-3-5-haiku-429", max_tokens=256,
                               messages=[{"role": "user", "content": "Grade the answer"}],
                               posthog_properties={"$ai_span_name": "grade"}, **common)
    except Exception:  # rate limited on purpose; retried below like an application would
        pass
    client.messages.create(model="claude-3-5-haiku-20241022", max_tokens=256,
                           messages=[{"role": "user", "content": "Grade the answer"}],
                           posthog_properties={"$ai_span_name": "grade"}, **common)


def langchain_chain(ph_client, llm_url: str) -> None:
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_openai import ChatOpenAI
    from posthog.ai.langchain import CallbackHandler

    handler = CallbackHandler(client=ph_client, distinct_id="sdk_user_3", trace_id=f"sdk-langchain-{uuid.uuid4()}",
                              properties={"stamphog_tier": "free"})
    llm = ChatOpenAI(model="gpt-4.1-mini", api_key="sk-fake", base_url=f"{llm_url}/v1", temperature=0, max_retries=0)
    outline = ChatPromptTemplate.from_messages([("system", "You plan trips."), ("user", "Outline a day in {city}")])
    polish = ChatPromptTemplate.from_messages([("user", "Polish this outline: {outline}")])
    chain = {"outline": outline | llm | StrOutputParser()} | polish | llm | StrOutputParser()
    chain.invoke({"city": "Paris"}, config={"callbacks": [handler], "run_name": "trip_outline"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default=str(HERE / "fixtures"))
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from fake_llm_server import start_fake_llm_server
    from posthog import Posthog

    llm_server, llm_url = start_fake_llm_server()
    scenarios = [("sdk_openai.jsonl", openai_agent, False), ("sdk_anthropic.jsonl", anthropic_agent, True),
                 ("sdk_langchain.jsonl", langchain_chain, False)]
    with tempfile.TemporaryDirectory() as tmp:
        for filename, scenario, gzip in scenarios:
            log = Path(tmp) / filename
            process, url = start_emulator(str(log))
            try:
                ph_client = Posthog(PROJECT_TOKEN, host=url, sync_mode=True, gzip=gzip)
                scenario(ph_client, llm_url)
                ph_client.flush()
                ph_client.shutdown()
                time.sleep(0.2)
            finally:
                process.terminate()
                process.wait(timeout=10)
            events = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
            events.sort(key=lambda e: e["timestamp"])
            out = Path(args.out_dir) / filename
            out.write_text("".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in events))
            print(f"{out}: {len(events)} events ({', '.join(sorted({e['event'] for e in events}))})")
    llm_server.shutdown()


if __name__ == "__main__":
    main()
