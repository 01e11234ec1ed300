"""The Rasa YAML loader: every accepted construct, and errors that name file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nlu import SUPPORTED_LOCALES, heldout_file, training_dir
from nlu.classifier import DEFAULT_THRESHOLD
from nlu.data import Entity, TrainingDataError, data_hash, load_file, load_training_data, parse_example_text

REQUIRED_INTENTS = {
    "danger_now",
    "report_incident",
    "feeling_unsafe",
    "request_callback",
    "programme_info",
    "quick_exit",
    "stop",
    "delete_data",
    "change_contact_time",
    "help_menu",
    "greet",
    "affirm",
    "deny",
    "thanks",
}

FULL_FILE = """\
version: "3.1"
nlu:
- intent: request_callback
  metadata:
    priority: normal
  examples: |
    - call me [tomorrow](day)
    - ring me at [3pm]{"entity": "time", "role": "start"}
    - call me [tonight](daypart:evening)
    - phone me [this afternoon]{"entity": "daypart", "value": "afternoon", "group": "1"}
    - [monday][{"entity": "day"}, {"entity": "weekday", "value": "mon"}] works
- intent: greet
  examples:
  - text: hello
    metadata:
      sentiment: neutral
  - hi there
- synonym: evening
  examples: |
    - evenings
    - Tonight
- regex: time
  examples: |
    - \\b\\d{1,2}(am|pm)\\b
- lookup: day
  examples: |
    - monday
    - tomorrow
rules:
- rule: ignored by NLU
  steps: []
"""


def write(tmp_path: Path, text: str, name: str = "nlu.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_construct_is_loaded(tmp_path: Path) -> None:
    data = load_file(write(tmp_path, FULL_FILE))
    texts = [(e.intent, e.text) for e in data.examples]
    assert texts == [
        ("request_callback", "call me tomorrow"),
        ("request_callback", "ring me at 3pm"),
        ("request_callback", "call me tonight"),
        ("request_callback", "phone me this afternoon"),
        ("request_callback", "monday works"),
        ("greet", "hello"),
        ("greet", "hi there"),
    ]
    assert data.examples[0].entities == (Entity("day", "tomorrow", 8, 16),)
    assert data.examples[1].entities == (Entity("time", "3pm", 11, 14, role="start"),)
    assert data.examples[2].entities == (Entity("daypart", "evening", 8, 15),)
    assert data.examples[3].entities == (Entity("daypart", "afternoon", 9, 23, group="1"),)
    assert [e.entity for e in data.examples[4].entities] == ["day", "weekday"]
    assert data.examples[4].entities[1].value == "mon"
    assert data.examples[5].metadata == {"sentiment": "neutral"}
    assert data.intent_metadata == {"request_callback": {"priority": "normal"}}
    # synonyms: declared ones (lower-cased) plus annotations whose value differs from the text
    assert data.synonyms["evenings"] == "evening"
    assert data.synonyms["tonight"] == "evening"
    assert data.synonyms["this afternoon"] == "afternoon"
    assert data.regexes == {"time": [r"\b\d{1,2}(am|pm)\b"]}
    assert data.lookups == {"day": ["monday", "tomorrow"]}
    assert data.intents == ["greet", "request_callback"]


def test_examples_record_their_source_line(tmp_path: Path) -> None:
    path = write(tmp_path, FULL_FILE)
    data = load_file(path)
    assert data.examples[0].source == f"{path}:7"
    assert data.examples[4].source == f"{path}:11"


def test_parse_example_text_offsets() -> None:
    text, entities = parse_example_text('from [9am](time) to [5 pm]{"entity": "time"} on [sat](day:saturday)')
    assert text == "from 9am to 5 pm on sat"
    assert [(text[e.start : e.end], e.value) for e in entities] == [
        ("9am", "9am"),
        ("5 pm", "5 pm"),
        ("sat", "saturday"),
    ]


def test_folder_is_read_recursively_and_merged(tmp_path: Path) -> None:
    write(tmp_path, 'version: "3.1"\nnlu:\n- intent: a\n  examples: |\n    - x\n', "a.yml")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", 'version: "3.1"\nnlu:\n- intent: b\n  examples: |\n    - y\n', "b.yaml")
    write(tmp_path, "not yaml data", "notes.txt")
    data = load_training_data(tmp_path)
    assert data.intents == ["a", "b"]


def test_data_hash_follows_content(tmp_path: Path) -> None:
    path = write(tmp_path, 'version: "3.1"\nnlu:\n- intent: a\n  examples: |\n    - x\n')
    before = data_hash(tmp_path)
    assert data_hash(tmp_path) == before
    path.write_text(path.read_text() + "    - y\n")
    assert data_hash(tmp_path) != before


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        # broken YAML: the parser's own line
        ('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n   bad: [\n', 6, "invalid YAML"),
        ('version: "3.1"\nnlu:\n- intent: greet\n\texamples: x\n', 4, "invalid YAML"),
        # valid YAML, wrong shape
        ('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n    hello\n', 6, "must start with '- '"),
        ('version: "3.1"\nnlu:\n- intent: greet\n', 3, "has no 'examples'"),
        ('version: "3.1"\nnlu:\n- examples: |\n    - hi\n', 3, "exactly one of"),
        ('version: "3.1"\nnlu:\n- regex: time\n  examples: |\n    - ok\n    - (unclosed\n', 6, "does not compile"),
        ('version: "3.1"\nnlu:\n- intent: a\n  examples: |\n    - x\n    - [y]{"entity": }\n', 6, "not valid JSON"),
        ('version: "3.1"\nnlu:\n- intent: a\n  exmples: |\n    - x\n', 3, "unknown key"),
        ('version: "9.0"\nnlu: []\n', 1, "unsupported training data version"),
        ('version: "3.1"\nnlu: {intent: a}\n', 2, "must be a list"),
        ("- just a list\n", 1, "top level must be a mapping"),
    ],
)
def test_malformed_files_name_file_and_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = write(tmp_path, text, "broken.yml")
    with pytest.raises(TrainingDataError) as info:
        load_file(path)
    err = info.value
    assert err.line == line, str(err)
    assert str(err).startswith(f"{path}:{line}: ")
    assert fragment in str(err)


def test_empty_file_declares_nothing(tmp_path: Path) -> None:
    assert load_file(write(tmp_path, "")).examples == []


# ----------------------------------------------------------------- the project's own data


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_project_training_data_is_rich_enough(locale: str) -> None:
    data = load_training_data(training_dir(locale))
    counts = {i: sum(1 for e in data.examples if e.intent == i) for i in data.intents}
    assert REQUIRED_INTENTS <= set(counts)
    thin = {i: n for i, n in counts.items() if n < 20}
    assert not thin, f"intents with fewer than 20 examples: {thin}"
    assert counts["danger_now"] >= 50
    assert data.regexes and data.lookups and data.synonyms


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_no_example_is_labelled_twice(locale: str) -> None:
    seen: dict[str, str] = {}
    clashes = []
    for e in load_training_data(training_dir(locale)).examples:
        key = e.text.casefold().strip()
        if key in seen and seen[key] != e.intent:
            clashes.append((e.text, seen[key], e.intent))
        seen[key] = e.intent
    assert not clashes


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_heldout_is_outside_training_and_disjoint(locale: str) -> None:
    held = heldout_file(locale)
    assert training_dir(locale) not in held.parents, "Rasa reads the training folder recursively"
    train = {e.text.casefold().strip() for e in load_training_data(training_dir(locale)).examples}
    test = load_training_data(held).examples
    leaked = [e.text for e in test if e.text.casefold().strip() in train]
    assert not leaked
    assert {e.intent for e in test} >= REQUIRED_INTENTS


def test_rasa_domain_declares_exactly_the_trained_intents_and_entities() -> None:
    """deploy/rasa/domain.yml must match the data, or `rasa data validate` fails on the server side."""
    deploy = Path(__file__).resolve().parents[2] / "deploy" / "rasa"
    domain = yaml.safe_load((deploy / "domain.yml").read_text(encoding="utf-8"))
    for locale in SUPPORTED_LOCALES:
        data = load_training_data(training_dir(locale))
        assert set(domain["intents"]) == set(data.intents), locale
        annotated = {ent.entity for e in data.examples for ent in e.entities}
        assert set(domain["entities"]) == annotated, locale
    for config in ("config.yml", "config.de.yml"):
        pipeline = yaml.safe_load((deploy / config).read_text(encoding="utf-8"))["pipeline"]
        fallback = next(c for c in pipeline if c["name"] == "FallbackClassifier")
        assert fallback["threshold"] == DEFAULT_THRESHOLD, "same fallback threshold on both backends"
