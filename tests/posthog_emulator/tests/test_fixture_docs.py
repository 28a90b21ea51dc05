"""The README's list of SDK properties matches the recorded fixtures exactly."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fixture_properties import property_table, readme_table  # noqa: E402


def test_readme_lists_the_sdk_properties_and_types():
    assert readme_table() == property_table(), "run: python fixture_properties.py --write"
