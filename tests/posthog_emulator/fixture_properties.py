"""The property names and JSON types found in the SDK-recorded fixtures, as a Markdown table.

    python fixture_properties.py            # print the table
    python fixture_properties.py --write    # refresh the table in README.md

The README's table sits between ``<!-- sdk-properties:start -->`` and
``<!-- sdk-properties:end -->``; a test checks that it matches the fixtures.
"""

import argparse
import json
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SDK_FIXTURES = ["sdk_openai.jsonl", "sdk_anthropic.jsonl", "sdk_langchain.jsonl", "sdk_openai_plain.jsonl",
                "sdk_openai_responses.jsonl", "sdk_anthropic_tools.jsonl", "sdk_langchain_spans.jsonl", "sdk_recorder.jsonl", "sdk_node.jsonl"]
START, END = "<!-- sdk-properties:start -->", "<!-- sdk-properties:end -->"
EVENT_ORDER = ["$ai_generation", "$ai_embedding", "$ai_span", "$ai_trace"]


def json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def property_table(fixture_dir: Path = HERE / "fixtures") -> str:
    types = defaultdict(lambda: defaultdict(set))  # property -> event -> types
    seen_in = defaultdict(set)  # property -> fixture files
    events = set()
    for name in SDK_FIXTURES:
        for line in (fixture_dir / name).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            event = json.loads(line)
            events.add(event["event"])
            for key, value in event["properties"].items():
                types[key][event["event"]].add(json_type(value))
                seen_in[key].add(name.removeprefix("sdk_").removesuffix(".jsonl"))
    columns = [e for e in EVENT_ORDER if e in events] + sorted(events - set(EVENT_ORDER))
    lines = ["| property | " + " | ".join(f"`{e}`" for e in columns) + " | recorded from |",
             "|---|" + "---|" * len(columns) + "---|"]
    for key in sorted(types):
        cells = [", ".join(sorted(types[key][e])) if types[key].get(e) else "" for e in columns]
        lines.append(f"| `{key}` | " + " | ".join(cells) + f" | {', '.join(sorted(seen_in[key]))} |")
    return "\n".join(lines)


def readme_table(readme: Path = HERE / "README.md") -> str:
    text = readme.read_text(encoding="utf-8")
    return text[text.index(START) + len(START): text.index(END)].strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace the table in README.md")
    args = parser.parse_args()
    table = property_table()
    if not args.write:
        print(table)
        return
    readme = HERE / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
