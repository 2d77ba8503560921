"""One book folder: its paths (the runs, their records, the cache of checkpoints), the
repository's static pages copied into a book folder other than the repository's, and the
atomic writes every page and record goes through."""

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from pathlib import Path

from lstm_xor import reports
from lstm_xor.records import atomic_write

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "notebooks" / "train.ipynb"
BOOK = REPO / "book"
CONFIG_YML = REPO / "_config.yml"

# The book's generated pages: executed by the driver (papermill, in place) after the runs.
ROOT = "intro.ipynb"  # the book's first page (the toc's root): every run's totals
SUMMARIES = (ROOT, *(name for part in reports.PARTS for name in part.summaries))
STAMPS = "summary/stamp.json"  # the stamps of the summaries executed in this book folder (publish.summaries)
SCALING = "scaling/scaling.ipynb"  # written by notebooks/scaling.ipynb's own driver; listed when present


class Book:
    """Paths of one book folder: the runs, their records, the cache of checkpoints."""

    def __init__(self, root):
        self.root = Path(root).resolve()
        self.runs = self.root / "runs"
        self.cache = self.runs / ".cache"
        self.checkpoints = self.cache / "checkpoints"
        self.tmp = self.cache / "tmp"  # a run's record and page while it runs, moved into place when whole

    def notebook(self, run_id):
        return self.runs / f"{run_id}.ipynb"

    def record(self, run_id):
        return self.runs / f"{run_id}.json"

    def tmp_record(self, run_id):
        return self.tmp / f"{run_id}.json"

    @contextlib.contextmanager
    def locked(self):
        """Held by the one driver executing into this book: a second one fails at once, naming the first (two
        would execute the same runs into the same files). The lock ends with its process, however it ends."""
        self.cache.mkdir(parents=True, exist_ok=True)
        with open(self.cache / "driver.lock", "a+") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                f.seek(0)
                holder = f.read().strip() or "?"
                raise ValueError(f"another `python -m lstm_xor runs` (pid {holder}) is executing into {self.root}: "
                                 "wait for it to end, or stop it") from None
            f.truncate(0)
            f.write(str(os.getpid()))
            f.flush()
            yield


def sources_hash(path):
    """A notebook's cell sources, without outputs (what a copy must agree on); its bytes if it is no notebook."""
    try:
        nb = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return hashlib.sha256(Path(path).read_bytes() if Path(path).exists() else b"").hexdigest()
    cells = [(c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list) else c["source"],
              sorted(c.get("metadata", {}).get("tags", [])))
             for c in nb["cells"] if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    return hashlib.sha256(json.dumps(cells).encode()).hexdigest()


def seed_book(book):
    """A book folder other than the repository's gets the repository's static pages and _config.yml.

    The summary notebooks are copied only when their cells differ (so a copy executed
    here keeps its outputs); other files when their bytes differ. The toc and the
    summaries' stamps are the folder's own: they say what was executed here.
    """
    if book.root == BOOK.resolve():
        return
    book.root.mkdir(parents=True, exist_ok=True)
    for src in BOOK.rglob("*"):
        rel = src.relative_to(BOOK)
        if (src.is_dir() or rel.parts[0] in ("runs", "_build") or any(p.startswith(".") for p in rel.parts)
                or rel.as_posix() in ("_toc.yml", STAMPS)):
            continue
        dst = book.root / rel
        if dst.exists():
            same = (sources_hash(src) == sources_hash(dst) if rel.as_posix() in SUMMARIES
                    else src.read_bytes() == dst.read_bytes())
            if same:
                continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    config = book.root.parent / "_config.yml"
    if not config.exists() or config.read_bytes() != CONFIG_YML.read_bytes():
        shutil.copyfile(CONFIG_YML, config)


def shown(path):
    """A path as messages name it: from the repository's root, or whole outside the repository."""
    try:
        return Path(path).resolve().relative_to(REPO).as_posix()
    except ValueError:
        return str(Path(path).resolve())


def write_file(path, data):
    """Atomically, and readable by all like any other file of the repository."""
    atomic_write(path, lambda f: f.write(data))


def write_notebook(path, nb):
    write_file(path, (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode())
