"""The layers stay apart: services/ and emulator/ never import Textual or the UI packages."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


# Where text reaches the screen as markup: an f-string there would let outside text in unescaped.
TEXT_SINKS = {"Static", "Label", "update", "border_title", "border_subtitle"}


def test_widgets_never_build_markup_from_outside_text():
    """The TUI shows text from the service through widgets.markup (literal(), markup() with $slots):
    an f-string given to a Static, Label, update() or a border title is refused here, as are the
    markup escapers (textual.markup.escape lets `[JOB]` through and a trailing backslash escape the
    next tag)."""
    import ast

    def f_strings(node: ast.AST) -> bool:
        if isinstance(node, (ast.IfExp, ast.BoolOp, ast.BinOp)):
            return any(f_strings(child) for child in ast.iter_child_nodes(node))
        return isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in node.values)

    found = []
    for path in sorted([*ROOT.glob("tui/**/*.py"), *ROOT.glob("widgets/*.py")]):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call) and node.args:
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in TEXT_SINKS and f_strings(node.args[0]):
                    found.append(f"{where} {name}(f'...')")
            elif isinstance(node, ast.Assign) and f_strings(node.value):
                if any(isinstance(t, ast.Attribute) and t.attr in TEXT_SINKS for t in node.targets):
                    found.append(f"{where} title = f'...'")
            elif isinstance(node, ast.ImportFrom) and node.module in ("textual.markup", "rich.markup"):
                if any(alias.name == "escape" for alias in node.names):
                    found.append(f"{where} imports {node.module}.escape")
    assert not found, "use widgets.markup (literal, markup) for: " + ", ".join(found)
