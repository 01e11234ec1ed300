"""`liaison nlu` commands, driven through click's CliRunner on the group itself."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from nlu import heldout_file
from nlu.cli import nlu_group

Invoke = Callable[..., tuple[int, str]]


@pytest.fixture
def run(nlu_cache: Path, nlu_service: object) -> Invoke:
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(nlu_group, ["--cache-dir", str(nlu_cache), *args], catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


def test_train_uses_the_cache(run: Invoke) -> None:
    code, out = run("train", "--locale", "all")
    assert code == 0
    assert "en: 16 intents, loaded from cache" in out
    assert "de: 16 intents, loaded from cache" in out


def test_train_force_retrains(tmp_path: Path) -> None:
    result = CliRunner().invoke(nlu_group, ["--cache-dir", str(tmp_path), "train", "--locale", "de", "--force"])
    assert result.exit_code == 0, result.output
    assert "de: 16 intents, trained in" in result.output
    assert list(tmp_path.glob("de-*.npz"))


def test_parse_prints_rasa_json(run: Invoke) -> None:
    code, out = run("parse", "--locale", "en", "please call me tomorrow")
    assert code == 0
    parse = json.loads(out)
    assert parse["text"] == "please call me tomorrow"
    assert parse["intent"]["name"] == "request_callback"
    assert {"intent_ranking", "entities"} <= set(parse)


def test_parse_explain_shows_danger_and_what_the_service_does(run: Invoke) -> None:
    code, out = run("parse", "--locale", "de", "--explain", "er steht vor der tür")
    assert code == 0
    shown = json.loads(out)
    assert shown["danger"] == {"rule": "abuser_present", "locale": "de"}
    assert shown["decision"] == {"action": "alert", "score": 1.0, "reason": "net:abuser_present"}
    assert shown["flow_intent"] == "danger_now"
    assert shown["policy"] == {"says": ["emergency.numbers", "danger.team_told"], "effects": ["RaiseEscalation"]}


def test_evaluate_text_report(run: Invoke) -> None:
    code, out = run("evaluate", str(heldout_file("en")), "--locale", "en")
    assert code == 0
    for needle in (
        "precision",
        "recall",
        "f1-score",
        "support",
        "macro avg",
        "weighted avg",
        "Confusions",
        "Danger recall: 1.000",
        "danger_now",
        "request_callback",
    ):
        assert needle in out


def test_evaluate_json(run: Invoke) -> None:
    code, out = run("evaluate", str(heldout_file("de")), "--locale", "de", "--json")
    assert code == 0
    report = json.loads(out)
    assert {"macro_f1", "weighted_f1", "accuracy", "per_intent", "danger_recall"} <= set(report)
    assert set(report["per_intent"]["danger_now"]) == {"precision", "recall", "f1", "support"}
    assert report["per_intent"]["danger_now"]["support"] == report["danger_support"]


def test_evaluate_fail_under(run: Invoke) -> None:
    code, _ = run("evaluate", str(heldout_file("en")), "--locale", "en", "--fail-under", "1.01")
    assert code == 1


def test_evaluate_malformed_file_names_file_and_line(run: Invoke, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n    hello\n', encoding="utf-8")
    result = CliRunner().invoke(nlu_group, ["evaluate", str(bad), "--locale", "en"])
    assert result.exit_code != 0
    assert f"{bad}:6" in result.output


def test_rasa_data_copies_the_training_files_but_never_the_test_set(tmp_path: Path) -> None:
    out = tmp_path / "rasa-en"
    result = CliRunner().invoke(nlu_group, ["rasa-data", str(out), "--locale", "en"])
    assert result.exit_code == 0, result.output
    copied = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yml"))
    assert "nlu.yml" in copied and "entities.yml" in copied
    assert not any(p.startswith("test/") for p in copied)

