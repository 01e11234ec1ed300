"""NLU fixtures: train each locale's embedded model once per test session, in a temp cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.classifier import EmbeddedClassifier
from nlu.service import NluService

DATA_DIR = Path(__file__).parent / "data"


def phrases(name: str) -> list[str]:
    """Lines of a phrase file in tests/nlu/data, without blanks and '#' comments."""
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


@pytest.fixture(scope="session")
def nlu_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nlu-cache")


@pytest.fixture(scope="session")
def nlu_service(nlu_cache: Path) -> NluService:
    """Embedded-only service with both locales trained (about a second each)."""
    service = NluService(cache_dir=nlu_cache)
    service.model("en")
    service.model("de")
    return service


@pytest.fixture(scope="session")
def en_model(nlu_service: NluService) -> EmbeddedClassifier:
    return nlu_service.model("en")


@pytest.fixture(scope="session")
def de_model(nlu_service: NluService) -> EmbeddedClassifier:
    return nlu_service.model("de")
