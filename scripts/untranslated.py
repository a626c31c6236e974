"""Texts a person may read that do not go through the message catalogue (lib/i18n.py).

    python scripts/untranslated.py [PATH ...]     # default: streamlit_app.py pages/ lib/; exit 1 if any

A *text* is a string literal (or an f-string's literal part) holding prose: two words, or one capitalised
word handed to a Streamlit element. It is fine when it is:
- an argument of ``_``, ``ngettext`` or ``N_`` (in the catalogue);
- a docstring, a logger's message, an exception raised for a programmer (``TypeError``, ``AssertionError``,
  ``NotImplementedError``, ``KeyError``), ``warnings.warn``, ``argparse`` help, an ``st.session_state`` /
  ``st.query_params`` / ``os.environ`` key, a ``key=`` / ``icon=`` / format argument, a comparison operand;
- on a line (or the line before) marked ``# i18n: <why>`` — data, code shown as code, a model's own output,
  a technical identifier; or in a module with a top-level ``# i18n: file <why>`` line (a module that never
  makes a text for people).

Every other text is reported as ``path:line: text``. The tests run this over the code (tests/test_i18n.py).
"""
from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ("streamlit_app.py", "pages", "lib")
SKIP_DIRS = ("lib/store/migrations", "lib/locale", "lib/data")
MARKED = {"_", "ngettext", "N_", "pgettext"}
LOGGERS = {"debug", "info", "warning", "error", "exception", "critical", "log"}
PROGRAMMER_ERRORS = {"TypeError", "AssertionError", "NotImplementedError", "KeyError", "AttributeError",
                     "IndexError", "RecursionError"}
NOT_TEXT_KW = {"key", "icon", "type", "width", "height", "format", "anchor", "selection_mode", "on_click",
               "on_change", "mime", "file_name", "data", "language", "page", "url", "sep", "encoding",
               "errors", "mode", "dtype", "step", "disabled", "border", "vertical_alignment", "gap",
               "label_visibility", "column_order", "use_container_width", "hide_index", "kind", "method",
               "color", "theme", "align", "orient", "how", "on", "axis", "columns_order", "backend", "provider",
               "task", "model_id", "revision", "repo_type", "filename", "repo_id", "pattern", "scheme", "path"}
#: calls whose string arguments are not texts for people (patterns, paths, SQL, env names, argparse help)
NOT_TEXT_CALLS = {"warn", "add_argument", "ArgumentParser", "getenv", "get_option", "set_option", "compile", "match",
                  "fullmatch", "search", "sub", "split", "strptime", "strftime", "startswith", "endswith",
                  "replace", "getLogger", "text", "execute", "Path", "isoformat", "sql", "select",
                  "_env"}  # lib/settings.py's _env(): the README configuration table's text (README.es.md has it)
UI_ELEMENTS = {"title", "header", "subheader", "markdown", "caption", "write", "text", "info", "warning",
               "error", "success", "exception", "button", "toggle", "checkbox", "radio", "selectbox",
               "multiselect", "text_input", "text_area", "number_input", "slider", "select_slider", "metric",
               "expander", "tabs", "page_link", "download_button", "form_submit_button", "toast", "spinner",
               "status", "popover", "segmented_control", "pills", "file_uploader", "date_input", "link_button",
               "TextColumn", "NumberColumn", "LinkColumn", "ProgressColumn", "CheckboxColumn", "Column",
               "ListColumn", "DateColumn", "DatetimeColumn", "BarChartColumn", "ImageColumn", "SelectboxColumn",
               "badge", "feedback", "chat_input", "audio_input", "camera_input", "color_picker", "dialog",
               "set_page_config", "help"}
_ICON = re.compile(r":material/[a-z_]+:|:[a-z]+(-badge)?\[|\]|`[^`]*`|\{[^}]*\}|https?://\S+|\*+|#+")
_WORD = re.compile(r"[A-Za-zÀ-ÿ]{2,}")


def _prose(text: str, in_element: bool) -> bool:
    bare = _ICON.sub(" ", text)
    words = _WORD.findall(bare)
    if not words:
        return False
    if re.fullmatch(r"[\w.\-/:]+", text.strip()) and not in_element:
        return False  # an identifier, a path, a repo id, a dotted name
    if len(words) >= 2 and re.search(r"[A-Za-z]{2,}[^A-Za-z\n]+[A-Za-z]{2,}", bare):
        return True
    return in_element and words[0][0].isupper()


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _name(node.func)
    return ""


def _marked_lines(source: str) -> set[int]:
    lines = set()
    for i, line in enumerate(source.splitlines(), 1):
        if "# i18n:" in line:
            lines.update((i, i + 1))
    return lines


class _Scan(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found: list[tuple[int, str]] = []
        self.skip: set[int] = set()  # ids of nodes already judged fine
        self.element: set[int] = set()  # ids of string nodes handed to a Streamlit element

    def _skip_tree(self, node: ast.AST) -> None:
        for sub in ast.walk(node):
            self.skip.add(id(sub))

    def visit_Module(self, node):  # docstrings
        self._docstring(node)
        self.generic_visit(node)

    def _docstring(self, node) -> None:
        body = getattr(node, "body", [])
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            self._skip_tree(body[0])

    def visit_FunctionDef(self, node):
        self._docstring(node)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call):
        name = _name(node.func)
        owner = _name(node.func.value) if isinstance(node.func, ast.Attribute) else ""
        internal = name in MARKED or (name in LOGGERS and owner in {"log", "logger", "logging", "_log", "LOG"}) \
            or (name in NOT_TEXT_CALLS and owner not in {"st", "sb", "sidebar"})
        if internal:
            self._skip_tree(node)
        for kw in node.keywords:
            if kw.arg in NOT_TEXT_KW:
                self._skip_tree(kw.value)
            elif name in UI_ELEMENTS or kw.arg in {"label", "help", "placeholder", "caption", "body", "title"}:
                for sub in ast.walk(kw.value):
                    self.element.add(id(sub))
        if name in UI_ELEMENTS:
            for arg in node.args[:1]:
                for sub in ast.walk(arg):
                    self.element.add(id(sub))
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise):
        if node.exc is not None and _name(node.exc) in PROGRAMMER_ERRORS:
            self._skip_tree(node.exc)
        self.generic_visit(node)

    def visit_Assert(self, node: ast.Assert):
        self._skip_tree(node)

    def visit_Compare(self, node: ast.Compare):
        self._skip_tree(node)

    def visit_Subscript(self, node: ast.Subscript):
        self._skip_tree(node.slice)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant):
        if isinstance(node.value, str) and id(node) not in self.skip and _prose(node.value, id(node) in self.element):
            self.found.append((node.lineno, node.value))

    def visit_JoinedStr(self, node: ast.JoinedStr):
        if id(node) in self.skip:
            return
        literal = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        if _prose(literal, id(node) in self.element):
            self.found.append((node.lineno, literal))
        for v in node.values:  # the expressions inside (a nested _() is fine; a nested literal is not)
            if isinstance(v, ast.FormattedValue):
                self.visit(v.value)


def scan_file(path: Path) -> Iterator[tuple[int, str]]:
    source = path.read_text(encoding="utf-8")
    if any(line.startswith("# i18n: file") for line in source.splitlines()[:40]):
        return  # a module that never makes a text for people (said why on that line)
    marked = _marked_lines(source)
    scan = _Scan()
    scan.visit(ast.parse(source))
    for line, text in scan.found:
        if line not in marked:
            yield line, text


def files(paths: list[str]) -> Iterator[Path]:
    for p in paths:
        path = ROOT / p
        if path.is_file():
            yield path
        else:
            for f in sorted(path.rglob("*.py")):
                rel = f.relative_to(ROOT).as_posix()
                if not any(rel.startswith(d) for d in SKIP_DIRS):
                    yield f


def scan(paths: list[str] | None = None) -> dict[str, list[tuple[int, str]]]:
    """``relative path -> [(line, text)]`` for every text outside the catalogue."""
    out: dict[str, list[tuple[int, str]]] = {}
    for f in files(list(paths or DEFAULT)):
        hits = list(scan_file(f))
        if hits:
            out[f.relative_to(ROOT).as_posix()] = hits
    return out


def main(argv: list[str]) -> int:
    found = scan(argv or None)
    for path, hits in found.items():
        for line, text in hits:
            print(f"{path}:{line}: {text[:100]!r}")
    total = sum(len(h) for h in found.values())
    print(f"{total} texts outside the catalogue in {len(found)} files", file=sys.stderr)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
