"""The README stays true to the code."""

from pathlib import Path

from flowdesk.config import documentation


def test_readme_documents_every_setting():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    for variable, _, _ in documentation():
        assert f"`{variable}`" in readme
