"""README's "A new report", done for real: report 005 from a copy of report 004's folder, in a copy of the package."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import lstm_xor

PACKAGE = Path(lstm_xor.__file__).resolve().parent

# Step 2 of the walk-through: the copied runs.py made report 005's (its number, caption, pages, ids, groups).
EDITS = [('report="004"', 'report="005"'),
         ('caption="Report 004: truncated BPTT and vanishing gradients"', 'caption="Report 005: a new report"'),
         ('pages=("bptt.md",)', 'pages=("r005.md",)'),
         ('summaries=("summary/bptt.ipynb",)', 'summaries=("summary/r005.ipynb",)'),
         ('f"bptt-grad-', 'f"r5-grad-'), ('f"bptt-{', 'f"r5-{'),
         ('"bptt-gradients"', '"r5-gradients"'), ('"bptt-modes"', '"r5-modes"'),
         ('f"bptt-grad64-', 'f"r5-grad64-'), ('f"bptt-p{', 'f"r5-p{'), ('f"bptt-lag{', 'f"r5-lag{'),
         ('f"bptt-radius', 'f"r5-radius'), ('"bptt-controls"', '"r5-controls"'), ('"bptt-lags"', '"r5-lags"'),
         ('f"bptt-recall{', 'f"r5-recall{'), ('"bptt-recall"', '"r5-recall"'),
         ('"Report 004: vanishing gradients"', '"Report 005: vanishing gradients"'),
         ('"Report 004: full and truncated BPTT"', '"Report 005: full and truncated BPTT"')]

CHECK = """
import json, sys
from pathlib import Path
from lstm_xor import reports
from lstm_xor.publish import bookdir, toc
book = bookdir.Book(sys.argv[1])
toc.write_toc(book)
print(json.dumps(dict(parts=[p.report for p in reports.PARTS], runs=[r.id for r in reports.PARTS[-1].runs],
                      groups=[g.name for g in reports.PARTS[-1].groups], total=len(reports.RUNS),
                      toc=(book.root / "_toc.yml").read_text(), module=reports.__file__)))
"""


def test_a_copied_report_folder_becomes_a_part_of_the_book(tmp_path):
    package = tmp_path / "src" / "lstm_xor"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    new = package / "reports" / "r005"
    shutil.copytree(package / "reports" / "r004", new)  # step 1
    runs = (new / "runs.py").read_text()
    for old, edited in EDITS:
        assert old in runs, old
        runs = runs.replace(old, edited)
    (new / "runs.py").write_text(runs)
    for name in ("tables.py", "plots.py"):  # step 3: they import the new folder's runs
        path = new / name
        path.write_text(path.read_text().replace("lstm_xor.reports.r004", "lstm_xor.reports.r005"))
    book = tmp_path / "book"
    (book / "summary").mkdir(parents=True)
    (book / "r005.md").write_text("# Report 005\n")  # step 4
    (book / "summary" / "r005.ipynb").write_text("{}")
    (book / "runs").mkdir()
    (book / "runs" / "r5-k5-gru-s0.ipynb").write_text("{}")  # a run the driver has executed
    result = subprocess.run([sys.executable, "-c", CHECK, str(book)], capture_output=True, text=True, timeout=300,
                            cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "src"), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout)
    assert Path(found["module"]).is_relative_to(tmp_path)  # the copy, not the installed package
    assert found["parts"] == ["000", "001", "002", "003", "004", "005"]
    assert found["groups"] == ["r5-gradients", "r5-modes", "r5-controls", "r5-lags", "r5-recall"]
    assert "r5-k5-gru-s0" in found["runs"] and not [r for r in found["runs"] if r.startswith("bptt-")]
    assert found["total"] == len(__import__("lstm_xor.reports").reports.RUNS) + len(found["runs"])
    toc = found["toc"]
    assert '  - caption: "Report 005: a new report"\n    chapters:\n      - file: r005\n' \
           '      - file: summary/r005\n      - file: runs/study-r5-modes\n        sections:\n' \
           '          - file: runs/r5-k5-gru-s0\n' in toc
    assert (book / "runs" / "study-r5-modes.md").read_text().startswith("# Report 005: full and truncated BPTT\n")
