"""The gallery's examples, read as sphinx-gallery reads them, without running them (the docs
build runs them): every figure is drawn in the code block that shows it, and no block ends in
an expression whose repr sphinx-gallery would print (``<matplotlib.legend.Legend ...>``).

sphinx-gallery splits an example at its ``# %%`` lines, runs the blocks in order, and after each
block saves and closes every open figure; if a block's last statement is an expression it prints
the value's repr. So a figure made in one block and drawn on in a later one shows up half empty,
and a block ending in ``ax.legend()`` prints a stray line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").rglob("plot_*.py"))

# calls that return None, so that sphinx-gallery prints nothing when a block ends with them
_SILENT_CALLS = {"print", "show", "tight_layout", "close"}


def code_blocks(path: Path) -> list[tuple[int, ast.Module]]:
    """The code blocks of an example as ``(first line, parsed block)``, split at ``# %%``."""
    lines = path.read_text().splitlines(keepends=True)
    starts = [0] + [i for i, line in enumerate(lines) if line.startswith("# %%")]
    starts.append(len(lines))
    blocks = []
    for a, b in zip(starts[:-1], starts[1:], strict=True):
        source = "".join(lines[a:b])
        tree = ast.parse(source)
        if a == 0 and tree.body and isinstance(tree.body[0], ast.Expr):
            tree.body = tree.body[1:]  # the example's title docstring is text, not code
        if tree.body:
            blocks.append((a + 1, tree))
    return blocks


def _called_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        f = node.func
        return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
    return None


def _is_matplotlib_call(node: ast.expr | None) -> bool:
    """``plt.anything(...)`` or ``something.add_subplot/add_axes/subplots/twinx(...)``."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return False
    owner = node.func.value
    if isinstance(owner, ast.Name) and owner.id == "plt":
        return True
    return node.func.attr in {"add_subplot", "add_axes", "subplots", "twinx", "twiny", "inset_axes"}


def _bound_names(target: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def stray_reprs(blocks: list[tuple[int, ast.Module]]) -> list[str]:
    found = []
    for start, tree in blocks:
        last = tree.body[-1]
        if isinstance(last, ast.Expr) and _called_name(last.value) not in _SILENT_CALLS:
            found.append(
                f"line {start + last.lineno - 1}: the block ends with an expression whose repr "
                f"is printed: {ast.unparse(last)[:60]}"
            )
    return found


def figures_drawn_off_screen(blocks: list[tuple[int, ast.Module]]) -> list[str]:
    found = []
    figures: dict[str, int] = {}  # name of a figure or axes -> the block that made it
    for k, (start, tree) in enumerate(blocks):
        made_here: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and _is_matplotlib_call(node.value):
                for target in node.targets:
                    made_here |= _bound_names(target)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Name)
                and isinstance(node.ctx, ast.Load)
                and node.id in figures
                and node.id not in made_here
            ):
                found.append(
                    f"line {start + node.lineno - 1}: {node.id!r} was made in an earlier block "
                    "and drawn on here, after sphinx-gallery saved and closed its figure"
                )
        figures.update(dict.fromkeys(made_here, k))
    return found


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_shows_what_it_draws(path):
    blocks = code_blocks(path)
    assert blocks, f"{path} has no code"
    problems = stray_reprs(blocks) + figures_drawn_off_screen(blocks)
    assert not problems, f"{path.relative_to(ROOT)}:\n" + "\n".join(problems)


def test_the_checks_bite(tmp_path):
    """The two faults of the former CTRNN example are found."""
    example = tmp_path / "plot_bad.py"
    example.write_text(
        '"""Title\n=====\n"""\n\n'
        "# %%\nimport matplotlib.pyplot as plt\n\n"
        "fig, (ax1, ax2) = plt.subplots(1, 2)\nax1.plot([0, 1])\nax1.legend()\n\n"
        "# %%\n# Text.\nax2.plot([1, 0])\nplt.show()\n"
    )
    blocks = code_blocks(example)
    assert len(blocks) == 2
    assert len(stray_reprs(blocks)) == 1 and "ax1.legend()" in stray_reprs(blocks)[0]
    (off_screen,) = figures_drawn_off_screen(blocks)
    assert "'ax2' was made in an earlier block" in off_screen
