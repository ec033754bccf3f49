"""Marker taxonomy and example layout, read from models/markers.json (the single source of truth).

The language server does the same in TypeScript (language-server/src/markers.ts); a test checks that
both serialize identically. CLI for that test:
    python3 models/train/markers.py serialize '{"task": "CodeFix", "code_type": "python"}'
    python3 models/train/markers.py example '<example json>'   (prompt + completion, no dropout)
"""
import json
import sys
from pathlib import Path

TAXONOMY_PATH = Path(__file__).resolve().parent.parent / "markers.json"
TAXONOMY = json.loads(TAXONOMY_PATH.read_text())
ORDER = TAXONOMY["order"]
CATEGORIES = TAXONOMY["categories"]
SER = TAXONOMY["serialization"]
FMT = TAXONOMY["format"]
DROPOUT = TAXONOMY["dropout"]


def tags():
    """Every marker tag and format token: each becomes a single token in the tokenizer."""
    out = [SER["open"], SER["close"]]
    for key in ORDER:
        out += [f"<{key}>", f"</{key}>"]
    return out


def special_tokens():
    return [FMT["prompt_open"], FMT["completion_open"], FMT["end"], FMT["file_open"], "<|pad|>"]


def validate(markers):
    for key, value in markers.items():
        if key not in CATEGORIES:
            raise ValueError(f"unknown marker {key!r}")
        cat = CATEGORIES[key]
        if cat["kind"] == "enum" and str(value) not in cat["values"]:
            raise ValueError(f"marker {key}: unknown value {value!r}")
        if cat["kind"] == "integer":
            n = int(value)
            if not cat["min"] <= n <= cat["max"]:
                raise ValueError(f"marker {key}: {n} out of range")


def serialize(markers):
    """<MARKER_LIST> <k> v </k> ... </MARKER_LIST>, categories in taxonomy order."""
    sep = SER["separator"]
    parts = [SER["open"]]
    for key in ORDER:
        if key in markers and markers[key] is not None:
            parts += [f"<{key}>", str(markers[key]), f"</{key}>"]
    parts.append(SER["close"])
    return sep.join(parts)


def length_bucket(lines):
    for name, (lo, hi) in CATEGORIES["length_bucket"]["bounds"].items():
        if lo <= lines <= hi:
            return name
    return "long"


def drop_markers(markers, rng):
    """The paper's prompt-side dropout: all markers gone for `all` of examples, else each with `each`."""
    if rng.random() < DROPOUT["all"]:
        return {}
    return {k: v for k, v in markers.items() if rng.random() >= DROPOUT["each"]}


def prompt_text(task, code, diagnostic=None, given=None):
    s = FMT["prompt_open"] + FMT["instructions"][task] + "\n"
    if diagnostic:
        s += FMT["diagnostic_prefix"] + diagnostic + "\n"
    s += code + "\n"
    if given:
        s += serialize(given) + "\n"
    return s + FMT["completion_open"]


def completion_text(markers, answer):
    """With markers=None (the no-marker baseline) the completion is the answer alone."""
    head = serialize(markers) + "\n" if markers is not None else ""
    return head + answer + FMT["end"]


def render(example, rng=None, use_markers=True):
    """(prompt, completion) for one task example. rng=None: no dropout (all markers in the prompt)."""
    markers = example["markers"]
    if not use_markers:
        given, full = None, None
    else:
        given = drop_markers(markers, rng) if rng is not None else markers
        full = markers
    prompt = prompt_text(markers["task"], example["code"], example.get("diagnostic"), given)
    return prompt, completion_text(full, example["answer"])


def file_text(text):
    return FMT["file_open"] + text + FMT["end"]


if __name__ == "__main__":
    cmd, arg = sys.argv[1], json.loads(sys.argv[2])
    if cmd == "serialize":
        validate(arg)
        print(serialize(arg))
    elif cmd == "example":
        p, c = render(arg)
        print(json.dumps({"prompt": p, "completion": c}))
    else:
        sys.exit(f"unknown command {cmd}")
