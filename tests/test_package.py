"""The package's version is written once (lstm_xor.__version__) and is what pip installed."""

import tomllib
from importlib.metadata import version
from pathlib import Path

import lstm_xor

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_the_installed_version_is_the_packages():
    project = tomllib.loads(PYPROJECT.read_text())
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "lstm_xor.__version__"}
    assert version("lstm_xor") == lstm_xor.__version__
