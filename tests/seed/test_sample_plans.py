"""SEED_SAMPLE_PLANS: the five sample boards on first start, or an empty deployment."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.runtime import open_store
from bot.settings import ConfigError, Settings
from store.models import Board


def _codes(tmp_path: Path, **env: str) -> set[str]:
    settings = Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'db' / 'x.db'}", **env})
    engine = open_store(settings)
    with Session(engine) as s:
        codes = {b.code for b in s.exec(select(Board))}
    engine.dispose()
    return codes


def test_a_fresh_deployment_gets_the_sample_boards_by_default(tmp_path: Path) -> None:
    assert _codes(tmp_path) == {"WSCB", "DSCB", "HSCB", "WDSCB", "SSCB"}


@pytest.mark.parametrize("value", ["false", "FALSE", "0", "no"])
def test_seed_sample_plans_false_starts_empty(tmp_path: Path, value: str) -> None:
    assert _codes(tmp_path, SEED_SAMPLE_PLANS=value) == set()


def test_a_malformed_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="SEED_SAMPLE_PLANS"):
        Settings.from_env({"SEED_SAMPLE_PLANS": "sometimes"})
