"""Acceptance: `liaison nlu evaluate` on the held-out files meets the issue's bars."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nlu import heldout_file
from nlu.cli import nlu_group

MIN_MACRO_F1 = {"en": 0.90, "de": 0.85}


@pytest.mark.parametrize("locale", ["en", "de"])
def test_heldout_quality(nlu_cache: Path, nlu_service: object, locale: str) -> None:
    result = CliRunner().invoke(
        nlu_group, ["--cache-dir", str(nlu_cache), "evaluate", str(heldout_file(locale)), "--locale", locale, "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    print(
        f"{locale}: macro F1 {report['macro_f1']:.3f}, weighted F1 {report['weighted_f1']:.3f}, "
        f"accuracy {report['accuracy']:.3f}, danger recall {report['danger_recall']:.3f}"
    )
    assert report["macro_f1"] >= MIN_MACRO_F1[locale], report["confusions"]
    assert report["danger_recall"] == 1.0, report["danger_missed"]
    assert report["danger_support"] >= 25
