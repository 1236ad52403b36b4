"""Pages that docs/_ext/rz_docs.py generates: the benchmarks page renders each script's
docstring as reStructuredText (tables, literal blocks, roles), not as a preformatted box."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "benchmarks").glob("*.py"))

pytest.importorskip("sphinx", reason="the docs extension needs the docs extra (sphinx)")


@pytest.fixture(scope="module")
def benchmarks_page(tmp_path_factory):
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    try:
        import rz_docs
    finally:
        sys.path.remove(str(ROOT / "docs" / "_ext"))
    gen = tmp_path_factory.mktemp("generated")
    rz_docs._benchmarks(ROOT, gen)
    return (gen / "benchmarks.rst.inc").read_text(encoding="utf-8")


@pytest.mark.skipif(not SCRIPTS, reason="no benchmark scripts in this checkout")
@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_benchmark_docstring_is_rendered_as_rest(benchmarks_page, script):
    doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8")))
    assert doc, f"{script.name} has no docstring"
    heading = f"``{script.name}``\n" + "-" * len(f"``{script.name}``") + "\n"
    section = benchmarks_page.split(heading)[1]
    section = section.split("\n.. literalinclude::")[0].split("\n.. note::")[0]
    # the docstring's lines stand at the left margin, as written: reST, not an indented block
    assert doc.strip() in section, f"{script.name}: the docstring is not included as written"
    assert ".. code-block:: text" not in section

    from docutils.core import publish_doctree
    from docutils.utils import Reporter

    tree = publish_doctree(
        section,
        settings_overrides={"report_level": Reporter.SEVERE_LEVEL + 1, "halt_level": 5},
    )
    problems = [
        m.astext()
        for m in tree.findall(lambda n: n.tagname == "system_message")
        if m["level"] >= Reporter.WARNING_LEVEL
        # Sphinx's own roles (:func:, :mod:, ...) are unknown to plain docutils
        and "Unknown interpreted text role" not in m.astext()
        and 'No role entry for "' not in m.astext()
    ]
    assert not problems, f"{script.name}: " + "\n".join(problems)
    # and it is really parsed: a docstring's table or literal block becomes one
    if "\n===" in doc:
        assert any(True for _ in tree.findall(lambda n: n.tagname == "table"))
    if "::\n" in doc:
        assert any(True for _ in tree.findall(lambda n: n.tagname == "literal_block"))
