"""The layers stay apart: services/ and emulator/ never import Textual or the UI packages."""

import functools
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

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


# Private Textual names the UI still reaches, each to go (then remove it here: a stale entry fails).
# file: names (a module path for an import). Owners: the footer and the console's helpers.
STILL_PRIVATE = {
    "tui/main_screen.py": {"textual.widgets._footer", "_bindings_ready"},  # DeckFooter re-lays Footer's keys
    "widgets/console.py": {"_suggestion"},  # Tab takes Input's grey suggestion
}


def textual_private_names() -> tuple[set[str], Callable[[type], set[str]]]:
    """Every `_name` Textual defines (methods, class attributes, `self._x = ...`), and a function
    giving those a given class has from its Textual (and Rich) bases, read from their source."""
    import ast
    import sys

    import textual

    def defined(tree: ast.AST) -> set[str]:
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
        return {name for name in names if name.startswith("_") and not name.startswith("__")}

    @functools.cache
    def classes_in(path: str) -> dict[str, set[str]]:
        tree = ast.parse(Path(path).read_text())
        return {node.name: defined(node) for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}

    everywhere = set().union(*(defined(ast.parse(p.read_text())) for p in Path(textual.__file__).parent.rglob("*.py")))

    @functools.cache
    def of_class(cls: type) -> set[str]:
        names = set()
        for base in cls.__mro__:
            if base.__module__.split(".")[0] in ("textual", "rich"):
                names |= {n for n in vars(base) if n.startswith("_") and not n.startswith("__")}
                source = getattr(sys.modules[base.__module__], "__file__", None)
                names |= classes_in(source).get(base.__name__, set()) if source else set()
        return names

    return everywhere, of_class


def test_the_ui_reaches_only_public_textual_names():
    """widgets/ and tui/ use Textual's public API only, so a Textual upgrade is not a rewrite: no
    import from a private module (`textual._two_way_dict`, `textual.widgets._footer`) or of a
    private name, no `._name` Textual defines read on a Textual object (`table._row_locations`,
    `app._driver`), and no Textual class's private method or attribute overridden or used through
    `self` in a subclass (`def _get_row_region`, `self._y_offsets`). ftdeck's own `_names` are fine."""
    import ast
    import importlib

    everywhere, of_class = textual_private_names()
    found: dict[str, set[str]] = {}
    for path in sorted([*ROOT.glob("tui/**/*.py"), *ROOT.glob("widgets/**/*.py")]):
        where = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text(), where)
        name = where.removesuffix(".py").replace("/", ".")
        module = importlib.import_module(name) if not name.endswith("__main__") else None  # that one runs ftdeck
        outside_modules = set()  # names of non-Textual modules imported here (`os._exit` is not Textual's)
        own = set()  # private names this file's own code defines
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "textual" and any(p.startswith("_") for p in alias.name.split(".")):
                        found.setdefault(where, set()).add(alias.name)
                    elif alias.name.split(".")[0] != "textual":
                        outside_modules.add((alias.asname or alias.name).split(".")[0])
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "textual":
                if any(p.startswith("_") for p in node.module.split(".")):
                    found.setdefault(where, set()).add(node.module)
                found.setdefault(where, set()).update(a.name for a in node.names if a.name.startswith("_"))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                own.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name) and node.value.id == "self":
                own.add(node.attr)
        in_classes = set()  # `self._x` there is checked against the class's own Textual bases
        for cls_node in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            cls = getattr(module, cls_node.name, None)
            textual_names = of_class(cls) if isinstance(cls, type) else set()
            for node in ast.walk(cls_node):
                in_classes.add(id(node))
                name = node.name if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node in cls_node.body else \
                    node.attr if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls") else None
                if name in textual_names:
                    found.setdefault(where, set()).add(name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in everywhere and node.attr not in own:
                receiver = node.value
                if isinstance(receiver, ast.Name) and (receiver.id in outside_modules or receiver.id in ("self", "cls") and id(node) in in_classes):
                    continue  # another library's (`os._exit`), or checked above
                found.setdefault(where, set()).add(node.attr)
    used = sorted(f"{where}: {name}" for where, names in found.items() for name in names - STILL_PRIVATE.get(where, set()))
    assert not used, "private Textual names used (use Textual's public API): " + ", ".join(used)
    stale = sorted(f"{where}: {name}" for where, names in STILL_PRIVATE.items() for name in names - found.get(where, set()))
    assert not stale, "no longer used, remove from STILL_PRIVATE: " + ", ".join(stale)
