"""Settings: defaults, NAVPLUGIN_* environment variables, explicit overrides."""
from __future__ import annotations

from pathlib import Path

import pytest

from navplugin.config import SETTINGS, load_settings, settings_table_markdown


def test_environment_overrides_defaults_and_overrides_win():
    settings = load_settings({"MAX_LIMIT": 7}, environ={"NAVPLUGIN_MAX_LIMIT": "50", "NAVPLUGIN_LOAD_SAMPLE": "no"})
    assert settings["MAX_LIMIT"] == 7
    assert settings["LOAD_SAMPLE"] is False
    assert settings["GEOCODERS"] == "offline"


def test_bad_values_and_unknown_names_are_refused():
    with pytest.raises(ValueError, match="NAVPLUGIN_MAX_LIMIT"):
        load_settings(environ={"NAVPLUGIN_MAX_LIMIT": "many"})
    with pytest.raises(KeyError):
        load_settings({"NO_SUCH_SETTING": 1}, environ={})


def test_readme_settings_table_is_the_config_table():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert settings_table_markdown() in readme
    assert all(f"NAVPLUGIN_{s.name}" in readme for s in SETTINGS)
