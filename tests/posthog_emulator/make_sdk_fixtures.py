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

In those three the script names the OpenAI and Anthropic calls itself (``$ai_span_name`` in
``posthog_properties``). The scenarios below pass no span name, as most applications do, so the
fixtures hold what the SDKs send on their own:

* ``openai_plain``: the OpenAI wrapper's chat completions: a tool call, the answer after the
  tool result, a streamed summary, an answer cut at ``max_tokens`` and a 500;
* ``openai_responses``: the Responses API: a function call, the answer, an answer cut at
  ``max_output_tokens`` (status ``incomplete``; the SDK records no ``$ai_max_tokens``);
* ``anthropic_tools``: Anthropic with tool use: two ``tool_use`` calls, a streamed answer after
  the tool result, and an answer cut at ``max_tokens``;
* ``langchain_spans``: a LangChain ``RunnableSequence`` of named steps (``outline``, ``polish``,
  a tool-calling ``lookup`` and a ``teaser`` cut at 12 tokens) under a ``trip_planner`` run:
  the handler names generations by the model class and steps on ``$ai_span`` events;
* ``recorder``: events shaped like a hand-rolled recorder (a PR-review agent): one
  ``$ai_generation`` per model call with its usage, cost and stop reason but no span name, and
  a ``$ai_trace`` per run with ``$ai_trace_name`` and custom ``stamphog_*`` properties (PR
  number and author, tier, verdict, gate results), captured through ``Posthog.capture``;
* ``node``: PostHog's Node SDK (``@posthog/ai`` over ``posthog-node``, ``node_sdk_scenario.cjs``):
  OpenAI chat (a tool call, its answer, a cut answer), the Responses API cut at
  ``max_output_tokens``, Anthropic tool use and a cut answer. Needs ``node`` and a
  ``node_modules`` folder with ``@posthog/ai``, ``posthog-node``, ``openai`` and
  ``@anthropic-ai/sdk`` (``--node-modules DIR``).

Record with the SDK packages of ``requirements-sdk.txt`` plus ``posthog`` (any virtualenv; the
tests only read the committed JSONL):

    python tests/posthog_emulator/make_sdk_fixtures.py [--out-dir DIR] [--scenario NAME ...] [--node-modules DIR]

Writes ``sdk_<scenario>.jsonl`` for each scenario (all of them when none is named).
"""

import argparse
import functools
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


def openai_plain(ph_client, llm_url: str) -> None:
    from posthog.ai.openai import OpenAI

    client = OpenAI(posthog_client=ph_client, api_key="sk-fake", base_url=f"{llm_url}/v1", max_retries=0)
    trace = f"sdk-openai-plain-{uuid.uuid4()}"
    common = {"posthog_distinct_id": "sdk_user_4", "posthog_trace_id": trace}
    messages = [{"role": "system", "content": LONG_POLICY}, {"role": "user", "content": "Weather in Lyon for my trip?"}]
    first = client.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS_OPENAI, temperature=0.2, **common)
    call = first.choices[0].message.tool_calls[0]
    messages += [first.choices[0].message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 21, "sky": "clear"}'}]
    client.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS_OPENAI, temperature=0.2, **common)
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Summarize: clear, 21C"}],
                                            stream=True, stream_options={"include_usage": True}, **common)
    for _ in stream:
        pass
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Write a long packing list"}],
                                   max_tokens=12, **common)
    try:
        client.chat.completions.create(model="gpt-4o-500", messages=[{"role": "user", "content": "Retry me"}], **common)
    except Exception:  # the SDK records the failed call; the error itself is expected
        pass


def openai_responses(ph_client, llm_url: str) -> None:
    from posthog.ai.openai import OpenAI

    client = OpenAI(posthog_client=ph_client, api_key="sk-fake", base_url=f"{llm_url}/v1", max_retries=0)
    trace = f"sdk-openai-responses-{uuid.uuid4()}"
    common = {"posthog_distinct_id": "sdk_user_5", "posthog_trace_id": trace}
    tools = [{"type": "function", "name": "get_weather", "description": "Current weather for a city",
              "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]
    question = [{"role": "user", "content": "Weather in Nice tomorrow?"}]
    first = client.responses.create(model="gpt-4.1", instructions="You are a travel assistant.", input=question,
                                    tools=tools, **common)
    call = first.output[0]
    follow_up = question + [call.model_dump(exclude_none=True),
                            {"type": "function_call_output", "call_id": call.call_id, "output": '{"temp_c": 24}'}]
    client.responses.create(model="gpt-4.1", instructions="You are a travel assistant.", input=follow_up, tools=tools, **common)
    client.responses.create(model="gpt-4.1-mini", input="Describe Nice in detail", max_output_tokens=16, **common)


def anthropic_tools(ph_client, llm_url: str) -> None:
    from posthog.ai.anthropic import Anthropic

    client = Anthropic(posthog_client=ph_client, api_key="sk-ant-fake", base_url=llm_url, max_retries=0)
    trace = f"sdk-anthropic-tools-{uuid.uuid4()}"
    common = {"posthog_distinct_id": "sdk_user_6", "posthog_trace_id": trace}
    messages = [{"role": "user", "content": "What is the weather in Rome?"}]
    tool_use = client.messages.create(model="claude-sonnet-4-5", max_tokens=512, tools=TOOLS_ANTHROPIC, messages=messages,
                                      system=LONG_POLICY, **common).content[0]
    client.messages.create(model="claude-sonnet-4-5", max_tokens=512, tools=TOOLS_ANTHROPIC, system=LONG_POLICY,
                           messages=[{"role": "user", "content": "And in Milan?"}], **common)
    messages += [{"role": "assistant", "content": [tool_use.model_dump()]},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use.id, "content": '{"temp_c": 19}'}]}]
    stream = client.messages.create(model="claude-sonnet-4-5", max_tokens=512, tools=TOOLS_ANTHROPIC, messages=messages,
                                    system=LONG_POLICY, stream=True, **common)
    for _ in stream:
        pass
    client.messages.create(model="claude-3-5-haiku-20241022", max_tokens=8,
                           messages=[{"role": "user", "content": "List every Roman monument"}], **common)


def langchain_spans(ph_client, llm_url: str) -> None:
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.runnables import RunnableLambda, RunnablePassthrough
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI
    from posthog.ai.langchain import CallbackHandler

    @tool
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        return f"{city}: 20C"

    handler = CallbackHandler(client=ph_client, distinct_id="sdk_user_7", trace_id=f"sdk-langchain-spans-{uuid.uuid4()}")
    llm = ChatOpenAI(model="gpt-4.1-mini", api_key="sk-fake", base_url=f"{llm_url}/v1", temperature=0, max_retries=0)
    short = ChatOpenAI(model="gpt-4.1-mini", api_key="sk-fake", base_url=f"{llm_url}/v1", max_tokens=12, max_retries=0)
    outline = (ChatPromptTemplate.from_messages([("system", "You plan trips."), ("user", "Outline a day in {city}")])
               | llm | StrOutputParser()).with_config(run_name="outline")
    polish = (ChatPromptTemplate.from_messages([("user", "Polish this outline: {outline}")])
              | llm | StrOutputParser()).with_config(run_name="polish")
    lookup = (ChatPromptTemplate.from_messages([("user", "What is the weather in {city}?")])
              | llm.bind_tools([get_weather]) | RunnableLambda(lambda m: len(m.tool_calls))).with_config(run_name="lookup")
    teaser = (ChatPromptTemplate.from_messages([("user", "Write a long teaser for {city}")])
              | short | StrOutputParser()).with_config(run_name="teaser")
    chain = (RunnablePassthrough.assign(outline=outline, tools=lookup, teaser=teaser) | polish).with_config(run_name="trip_planner")
    chain.invoke({"city": "Paris"}, config={"callbacks": [handler]})


def recorder(ph_client, llm_url: str) -> None:
    """Two review runs, recorded the way a hand-rolled recorder does: the Anthropic client
    unwrapped, and each call's usage and cost captured as ``$ai_generation``."""
    import anthropic

    client = anthropic.Anthropic(api_key="sk-ant-fake", base_url=llm_url, max_retries=0)
    runs = [(52984, "andrewm4894", "standard", "approve", 700), (53008, "pauldambra", "careful", "request_changes", 12)]
    for pr, author, tier, verdict, max_tokens in runs:
        trace = f"stamphog-{pr}-{uuid.uuid4()}"
        meta = {"stamphog_pr_number": pr, "stamphog_pr_author": author, "stamphog_tier": tier}
        started = time.time()
        cost = 0.0
        for turn, prompt in enumerate(["Review the diff for risky changes.", "Check the tests cover the change."], 1):
            messages = [{"role": "user", "content": prompt}]
            t0 = time.time()
            reply = client.messages.create(model="claude-sonnet-4-5", max_tokens=max_tokens, system=LONG_POLICY, messages=messages)
            usage = reply.usage
            call_cost = round((usage.input_tokens * 3 + usage.output_tokens * 15 + usage.cache_read_input_tokens * 0.3
                               + usage.cache_creation_input_tokens * 3.75) / 1e6, 8)
            cost += call_cost
            ph_client.capture("$ai_generation", distinct_id="stamphog", properties={
                "$ai_trace_id": trace, "$ai_model": reply.model, "$ai_provider": "anthropic",
                "$ai_input": [{"role": "system", "content": LONG_POLICY}] + messages,
                "$ai_output_choices": [{"role": "assistant", "content": reply.content[0].text}],
                "$ai_input_tokens": usage.input_tokens, "$ai_output_tokens": usage.output_tokens,
                "$ai_cache_read_input_tokens": usage.cache_read_input_tokens,
                "$ai_cache_creation_input_tokens": usage.cache_creation_input_tokens,
                "$ai_latency": round(time.time() - t0, 3), "$ai_total_cost_usd": call_cost,
                "$ai_stop_reason": reply.stop_reason, "stamphog_num_turns": turn, **meta,
            })
        ph_client.capture("$ai_trace", distinct_id="stamphog", properties={
            "$ai_trace_id": trace, "$ai_trace_name": "stamphog_review", "$ai_latency": round(time.time() - started, 3),
            "$ai_total_cost_usd": round(cost, 8), "stamphog_verdict": verdict,
            "stamphog_gates": {"tests": "pass", "size": "pass" if tier == "standard" else "warn"}, **meta,
        })


def node_sdk(ph_client, llm_url: str, node_modules: str) -> None:
    """Runs the Node SDK scenario against the same emulator (the Python client only names it)."""
    subprocess.run(["node", str(HERE / "node_sdk_scenario.cjs"), node_modules, ph_client.raw_host, llm_url, PROJECT_TOKEN],
                   check=True, timeout=120)

# (scenario, what it records, whether the SDK gzips its batches)
SCENARIOS = {
    "openai": (openai_agent, False), "anthropic": (anthropic_agent, True), "langchain": (langchain_chain, False),
    "openai_plain": (openai_plain, False), "openai_responses": (openai_responses, False),
    "anthropic_tools": (anthropic_tools, True), "langchain_spans": (langchain_spans, False), "recorder": (recorder, False),
    "node": (node_sdk, False),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default=str(HERE / "fixtures"))
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS), help="record only these (repeatable)")
    parser.add_argument("--node-modules", default="node_modules", help="node_modules folder for the node scenario")
    args = parser.parse_args()
    SCENARIOS["node"] = (functools.partial(node_sdk, node_modules=str(Path(args.node_modules).resolve())), False)
    sys.path.insert(0, str(HERE))
    from fake_llm_server import start_fake_llm_server
    from posthog import Posthog

    llm_server, llm_url = start_fake_llm_server()
    chosen = args.scenario or list(SCENARIOS)
    scenarios = [(f"sdk_{name}.jsonl", *SCENARIOS[name]) for name in chosen]
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
