"""The book's summary notebooks: each re-executed only when what it draws from changed.

A summary's stamp hashes what can change its outputs: its own cells, the records it
reads (the runs of its part, every run for the root page, and any other file of the
runs folder it names, such as ``baselines.json``), the profile, and the code it calls.
The code counts as behaviour, not bytes: each module is hashed as its syntax tree
without docstrings (comments are not in the tree), so editing a comment or a docstring
re-executes nothing. The modules are those the notebook imports from ``lstm_xor`` and,
transitively, theirs. The stamps are committed beside the summaries (not in the ignored
cache), so a fresh clone of an up-to-date book re-executes nothing.
"""

import ast
import hashlib
import json
import os
import re
import time
from pathlib import Path

from lstm_xor import reports
from lstm_xor.publish.bookdir import BOOK, ROOT, STAMPS, SUMMARIES, sources_hash, write_notebook
from lstm_xor.publish.execute import error_text, executed, papermill_execute
from lstm_xor.records import atomic_write, read_json_or_none
from lstm_xor.render import seconds_text

PACKAGE = Path(__file__).resolve().parents[1]  # lstm_xor/
# The registry imports each report's runs.py by discovery (importlib), not by an import statement.
DISCOVERED = {"lstm_xor.reports": tuple(f"lstm_xor.reports.{p.parent.name}.runs"
                                        for p in sorted((PACKAGE / "reports").glob("r*/runs.py")))}


def stamp_path(book):
    """Where the book's summary stamps are committed."""
    return book.root / STAMPS


# -- the code a notebook calls, as behaviour ------------------------------------------------------

def module_file(name):
    """The file of an lstm_xor module or package, or None."""
    base = PACKAGE.parent.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.exists():
            return path
    return None


def _imports(tree, package):
    """Names of the lstm_xor modules a syntax tree imports (a `from m import x` counts m and m.x)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + [base]).strip(".")
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names)
    return {n for n in names if n.split(".")[0] == "lstm_xor" and module_file(n)}


def _with_parents(names):
    """Importing a.b.c runs a/__init__ and a/b/__init__ too."""
    return {".".join(n.split(".")[:i]) for n in names for i in range(1, n.count(".") + 2)}


def _tree(path):
    return ast.parse(Path(path).read_text(), str(path))


def code_closure(names):
    """{module name: file} of these lstm_xor modules and, transitively, every lstm_xor module they import."""
    todo, seen = list(_with_parents(names)), {}
    while todo:
        name = todo.pop()
        if name in seen or not module_file(name):
            continue
        path = seen[name] = module_file(name)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        todo += _with_parents(_imports(_tree(path), package) | set(DISCOVERED.get(name, ())))
    return seen


def behaviour(path):
    """A module's syntax tree without its docstrings: what it does, not how it is commented."""
    tree = _tree(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()


def _code_cells(path):
    nb = json.loads(Path(path).read_text())
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb["cells"] if c["cell_type"] == "code"]


def notebook_imports(path):
    """The lstm_xor modules a notebook's code cells import (IPython's %magics left out)."""
    code = "\n".join(line for cell in _code_cells(path) for line in cell.splitlines()
                     if not line.lstrip().startswith(("%", "!")))
    return _imports(ast.parse(code), "")


# -- what a summary reads -------------------------------------------------------------------------

def runs_read(name, runs):
    """The runs whose records a summary reads: its part's (every run for the book's root page)."""
    if name == ROOT:
        return list(runs)
    part = next((p for p in reports.PARTS if name in p.summaries), None)
    ids = {run.id for run in part.runs} if part else set()
    return [run for run in runs if run.id in ids]


def named_files(path):
    """Other files of the runs folder a summary names in its code (e.g. "baselines.json")."""
    return sorted(set(re.findall(r"[\"']([\w.-]+\.json)[\"']", "\n".join(_code_cells(path)))))


def stamp(book, name, profile, runs):
    """What summary ``name``'s outputs depend on, hashed (see the module's docstring)."""
    path = book.root / name
    h = hashlib.sha256(f"{name} {profile} {sources_hash(path)}".encode())
    for module, file in sorted(code_closure(notebook_imports(path)).items()):
        h.update(f"{module} {behaviour(file)}".encode())
    for run_id in [run.id for run in runs_read(name, runs)] + named_files(path):
        record = book.runs / (run_id if run_id.endswith(".json") else f"{run_id}.json")
        h.update(run_id.encode() + (hashlib.sha256(record.read_bytes()).digest() if record.exists() else b"-"))
    return h.hexdigest()[:16]


def stamps(book, profile, runs):
    """{summary name: stamp} for the summaries this book holds."""
    return {name: stamp(book, name, profile, runs) for name in SUMMARIES if (book.root / name).exists()}


# -- re-execution ---------------------------------------------------------------------------------

def _execute_one(book, name, profile):
    path = book.root / name
    tmp = book.cache / "tmp" / Path(name).name
    tmp.parent.mkdir(parents=True, exist_ok=True)
    runs_dir = os.path.relpath(book.runs, path.parent)
    papermill_execute(str(path), tmp, path.parent, book.cache / "logs" / f"summary-{Path(name).stem}.log",
                      parameters=dict(runs_dir=runs_dir, profile=profile))
    rel = (Path("book") / name).as_posix() if book.root == BOOK.resolve() else name
    write_notebook(path, executed(tmp, rel, rel))
    tmp.unlink()


def stale(book, profile, runs, force=False):
    """{summary name: its current stamp} for the summaries whose committed stamp differs (all with force)."""
    committed = read_json_or_none(stamp_path(book)) or {}
    return {name: s for name, s in stamps(book, profile, runs).items() if force or committed.get(name) != s}


def execute_summaries(book, profile, runs, force=False, out=print):
    """Re-execute the summaries whose stamp changed; returns the names of those that failed."""
    failures, done = [], {}
    for name, new in stale(book, profile, runs, force).items():
        t0 = time.perf_counter()
        try:
            _execute_one(book, name, profile)
        except Exception as e:
            failures.append(name)
            out(f"[FAILED ] summary {name}: {error_text(e).splitlines()[0]}")
            continue
        done[name] = new
        out(f"[summary] {name} ({seconds_text(time.perf_counter() - t0, 1)})")
    if done:
        merged = {**(read_json_or_none(stamp_path(book)) or {}), **done}
        merged = {k: v for k, v in merged.items() if k in SUMMARIES}
        text = json.dumps(merged, indent=1, sort_keys=True) + "\n"
        atomic_write(stamp_path(book), lambda f: f.write(text.encode()))
    return failures
