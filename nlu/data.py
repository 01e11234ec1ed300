"""Loader for Rasa 3 YAML NLU training data (the same files a Rasa server trains from).

Why our own loader: the embedded classifier must not depend on Rasa, yet it has to read
exactly what Rasa reads, and a broken file must fail loudly with its file and line so a
content editor can fix it without reading a stack trace.

Accepted constructs (a subset of Rasa's format, the one this project uses):
- top level: ``version`` (``"2.x"``/``"3.x"``), ``nlu``; other keys (``rules``,
  ``stories``, ``responses``...) are ignored, as ``rasa train nlu`` does;
- ``intent`` with ``examples`` as a block of ``- text`` lines, or as a list of
  ``{text, metadata}`` mappings; optional item-level ``metadata``;
- entity annotations inside examples: ``[text](entity)``, ``[text](entity:value)``,
  ``[text]{"entity": "e", "value": "v", "role": "r", "group": "g"}`` and
  ``[text][{...}, {...}]``; an annotation whose value differs from its text adds a synonym;
- ``synonym``, ``regex`` and ``lookup`` items with ``examples``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# Same grammar as rasa.shared.nlu.training_data.entities_parser.ENTITY_REGEX.
ENTITY_REGEX = re.compile(
    r"\[(?P<entity_text>[^\]]+?)\]"
    r"(\((?P<entity>[^:)]+?)(?:\:(?P<value>[^)]+))?\)"
    r"|\{(?P<entity_dict>[^}]+?)\}"
    r"|\[(?P<list_entity_dicts>.*?)\])"
)
SUPPORTED_VERSIONS = ("2.", "3.")
_ITEM_KINDS = ("intent", "synonym", "regex", "lookup")


class TrainingDataError(ValueError):
    """Malformed training data; the message always names the file and the 1-based line."""

    def __init__(self, path: Path | str, line: int, problem: str) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        super().__init__(f"{self.path}:{line}: {problem}")


@dataclass(frozen=True)
class Entity:
    """One annotated entity, offsets into the plain (annotation-stripped) text."""

    entity: str
    value: str
    start: int
    end: int
    role: str | None = None
    group: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"entity": self.entity, "value": self.value, "start": self.start, "end": self.end}
        if self.role:
            out["role"] = self.role
        if self.group:
            out["group"] = self.group
        return out


@dataclass(frozen=True)
class Example:
    """A training or test utterance with its intent label."""

    text: str
    intent: str
    entities: tuple[Entity, ...] = ()
    metadata: dict[str, Any] | None = None
    source: str = ""  # "file:line", for error messages and evaluation reports


@dataclass
class TrainingData:
    """Everything one locale's files declare."""

    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # lower-cased surface form -> canonical
    regexes: dict[str, list[str]] = field(default_factory=dict)
    lookups: dict[str, list[str]] = field(default_factory=dict)
    intent_metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples})

    def merge(self, other: TrainingData) -> None:
        self.examples.extend(other.examples)
        self.synonyms.update(other.synonyms)
        for name, patterns in other.regexes.items():
            self.regexes.setdefault(name, []).extend(patterns)
        for name, elements in other.lookups.items():
            self.lookups.setdefault(name, []).extend(elements)
        for name, meta in other.intent_metadata.items():
            self.intent_metadata.setdefault(name, {}).update(meta)
        self.files.extend(other.files)


TEST_FOLDER = "test"


def training_files(path: Path) -> list[Path]:
    """YAML files under ``path`` (recursively, like Rasa), in a stable order.

    A ``test/`` folder holds a held-out set (``nlu/<locale>/test/``): it sits next to the
    training data but is never trained on, so it is skipped here.
    """
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"no training data at {path}")
    return sorted(
        p
        for p in path.rglob("*")
        if p.suffix in (".yml", ".yaml") and p.is_file() and TEST_FOLDER not in p.relative_to(path).parts[:-1]
    )


def data_hash(path: Path) -> str:
    """Content hash of every training file: the cache key of a trained model."""
    root = Path(path)
    digest = hashlib.sha256()
    for file in training_files(root):
        rel = file.name if root.is_file() else file.relative_to(root).as_posix()
        digest.update(rel.encode())
        digest.update(b"\0")
        digest.update(file.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def load_training_data(path: Path) -> TrainingData:
    """Load one file or every YAML file of a folder into one TrainingData."""
    data = TrainingData()
    for file in training_files(Path(path)):
        data.merge(load_file(file))
    return data


def load_file(path: Path) -> TrainingData:
    """Parse one Rasa YAML file; raise TrainingDataError naming file and line on any problem."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise TrainingDataError(path, line, f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        raise TrainingDataError(path, 1, f"invalid YAML: {exc.__class__.__name__}") from None
    return _Parser(path).parse(root)


def parse_example_text(raw: str, path: Path | str = "<string>", line: int = 1) -> tuple[str, list[Entity]]:
    """Strip entity annotations from one example; return plain text and entity offsets."""
    entities: list[Entity] = []
    plain_parts: list[str] = []
    offset = 0  # length of plain text so far
    last = 0
    for match in ENTITY_REGEX.finditer(raw):
        before = raw[last : match.start()]
        plain_parts.append(before)
        offset += len(before)
        surface = match.group("entity_text")
        start, end = offset, offset + len(surface)
        for spec in _entity_specs(match, path, line):
            name = spec.get("entity")
            if not isinstance(name, str) or not name:
                raise TrainingDataError(path, line, f"entity annotation without an entity name: {match.group(0)}")
            value = spec.get("value", surface)
            entities.append(
                Entity(
                    entity=name,
                    value=str(value),
                    start=start,
                    end=end,
                    role=spec.get("role"),
                    group=None if spec.get("group") is None else str(spec.get("group")),
                )
            )
        plain_parts.append(surface)
        offset = end
        last = match.end()
    plain_parts.append(raw[last:])
    plain = "".join(plain_parts)
    if "](" in plain or ("[" in plain and "]{" in plain):
        raise TrainingDataError(path, line, "unbalanced entity annotation")
    return plain, entities


def _entity_specs(match: re.Match[str], path: Path | str, line: int) -> list[dict[str, Any]]:
    if match.group("entity"):
        spec: dict[str, Any] = {"entity": match.group("entity").strip()}
        if match.group("value"):
            spec["value"] = match.group("value").strip()
        return [spec]
    if match.group("entity_dict"):
        source = "{" + match.group("entity_dict") + "}"
    else:
        source = "[" + (match.group("list_entity_dicts") or "") + "]"
    try:
        parsed = json.loads(source)
    except json.JSONDecodeError as exc:
        raise TrainingDataError(path, line, f"entity annotation is not valid JSON ({exc.msg})") from None
    specs = parsed if isinstance(parsed, list) else [parsed]
    if not all(isinstance(s, dict) for s in specs):
        raise TrainingDataError(path, line, "entity annotation must be a JSON object or a list of objects")
    return specs


class _Parser:
    """Walks the composed YAML node tree so that every error keeps its line number."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = TrainingData(files=[path])

    def fail(self, node: Node | None, problem: str, line: int | None = None) -> TrainingDataError:
        if line is None:
            line = node.start_mark.line + 1 if node is not None else 1
        return TrainingDataError(self.path, line, problem)

    def parse(self, root: Node | None) -> TrainingData:
        if root is None:
            return self.data  # empty file: nothing declared, like Rasa
        if not isinstance(root, MappingNode):
            raise self.fail(root, "top level must be a mapping with 'version' and 'nlu' keys")
        for key_node, value_node in root.value:
            key = self.scalar(key_node, "key")
            if key == "version":
                version = self.scalar(value_node, "version")
                if not version.startswith(SUPPORTED_VERSIONS):
                    raise self.fail(value_node, f"unsupported training data version {version!r} (need 2.x or 3.x)")
            elif key == "nlu":
                if isinstance(value_node, ScalarNode) and value_node.value in ("", "null", "~"):
                    continue
                if not isinstance(value_node, SequenceNode):
                    raise self.fail(value_node, "'nlu' must be a list of intent/synonym/regex/lookup items")
                for item in value_node.value:
                    self.item(item)
        return self.data

    def scalar(self, node: Node, what: str) -> str:
        if not isinstance(node, ScalarNode):
            raise self.fail(node, f"{what} must be a plain value")
        return str(node.value)

    def item(self, node: Node) -> None:
        if not isinstance(node, MappingNode):
            raise self.fail(node, "each 'nlu' item must be a mapping such as 'intent: name' with 'examples'")
        fields = {self.scalar(k, "key"): v for k, v in node.value}
        kinds = [k for k in _ITEM_KINDS if k in fields]
        if len(kinds) != 1:
            raise self.fail(node, f"an 'nlu' item needs exactly one of {', '.join(_ITEM_KINDS)}")
        kind = kinds[0]
        name = self.scalar(fields[kind], kind).strip()
        if not name:
            raise self.fail(fields[kind], f"empty {kind} name")
        unknown = set(fields) - {kind, "examples", "metadata"}
        if unknown:
            raise self.fail(node, f"unknown key(s) {sorted(unknown)} in {kind} '{name}'")
        if "examples" not in fields:
            raise self.fail(node, f"{kind} '{name}' has no 'examples'")
        metadata = self.metadata(fields.get("metadata"))
        examples = self.examples(fields["examples"], kind, name)
        if kind == "intent":
            if metadata:
                self.data.intent_metadata.setdefault(name, {}).update(metadata)
            for raw, line, ex_meta in examples:
                text, entities = parse_example_text(raw, self.path, line)
                if not text.strip():
                    raise self.fail(None, f"empty example in intent '{name}'", line)
                for ent in entities:
                    surface = text[ent.start : ent.end]
                    if ent.value != surface:
                        self.data.synonyms[surface.lower()] = ent.value
                self.data.examples.append(Example(text, name, tuple(entities), ex_meta, source=f"{self.path}:{line}"))
        elif kind == "synonym":
            for raw, _line, _ in examples:
                self.data.synonyms[raw.lower()] = name
        elif kind == "regex":
            for raw, line, _ in examples:
                try:
                    re.compile(raw)
                except re.error as exc:
                    raise self.fail(None, f"regex '{name}' does not compile: {exc.msg}", line) from None
                self.data.regexes.setdefault(name, []).append(raw)
        else:
            self.data.lookups.setdefault(name, []).extend(raw for raw, _, _ in examples)

    def metadata(self, node: Node | None) -> dict[str, Any] | None:
        if node is None:
            return None
        if not isinstance(node, MappingNode):
            raise self.fail(node, "'metadata' must be a mapping")
        value = yaml.SafeLoader(yaml.serialize(node)).get_single_data()
        return dict(value)

    def examples(self, node: Node, kind: str, name: str) -> list[tuple[str, int, dict[str, Any] | None]]:
        """Examples as (text, 1-based line, metadata)."""
        out: list[tuple[str, int, dict[str, Any] | None]] = []
        if isinstance(node, ScalarNode):
            # A literal block ("|") starts on the line after its indicator.
            first = node.start_mark.line + (2 if node.style in ("|", ">") else 1)
            for i, raw_line in enumerate(str(node.value).splitlines()):
                stripped = raw_line.strip()
                if not stripped:
                    continue
                line = first + i
                if not stripped.startswith("-"):
                    raise self.fail(None, f"example in {kind} '{name}' must start with '- '", line)
                text = stripped[1:].strip()
                if not text:
                    raise self.fail(None, f"empty example in {kind} '{name}'", line)
                out.append((text, line, None))
        elif isinstance(node, SequenceNode):
            for entry in node.value:
                if isinstance(entry, ScalarNode):
                    out.append((str(entry.value), entry.start_mark.line + 1, None))
                    continue
                if not isinstance(entry, MappingNode):
                    raise self.fail(entry, f"examples of {kind} '{name}' must be text or {{text, metadata}}")
                entry_fields = {self.scalar(k, "key"): v for k, v in entry.value}
                if "text" not in entry_fields:
                    raise self.fail(entry, f"an example of {kind} '{name}' has no 'text'")
                text_node = entry_fields["text"]
                out.append(
                    (
                        self.scalar(text_node, "text").strip(),
                        text_node.start_mark.line + 1,
                        self.metadata(entry_fields.get("metadata")),
                    )
                )
        else:
            raise self.fail(node, f"'examples' of {kind} '{name}' must be a '|' block of '- ' lines or a list")
        if not out:
            raise self.fail(node, f"{kind} '{name}' has no examples")
        return out
