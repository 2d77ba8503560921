"""How a re-run's figures are compared with its record's: under the kernels the record names (OpenBLAS's
kernel set, NumPy's SIMD loops) where this CPU has them, equal; elsewhere within a stated drift tolerance."""

import math
import os

from lstm_xor.blas import NUMPY_AVX512, cpu_supports, kernel_env, recorded_kernel
from lstm_xor.tasks import get_task

# Under the recorded kernel a re-run is the same computation, so its figures are the record's: equal up to
# a float64's round trip through JSON (exact in practice; 1e-9 relative leaves room for nothing else).
EXACT = 1e-9
# Under another kernel float32 sums round differently and thousands of steps carry that into the weights:
# fixed-03 (12 epochs, 2 ranks) ends at test loss 28.0887 with OpenBLAS's SkylakeX kernels against the
# record's 28.0624 from Haswell's (9e-4 relative), with the same 20,000 of 20,000 strings right. Ten times
# that on losses and errors, and half a percentage point on accuracies, let such drift pass and still catch
# a changed result (a record edited by hand, a different stopping epoch, a network that learnt otherwise).
DRIFT_RELATIVE = 1e-2
DRIFT_ACCURACY = 0.005


def kernels_env(record):
    """The environment whose processes compute with the kernels the record names (OpenBLAS's set and
    NumPy's SIMD loops), or None when it names no OpenBLAS set or this CPU lacks one of them."""
    kernel = recorded_kernel(record)
    if not (kernel and cpu_supports(kernel)):
        return None
    targets = (record["environment"].get("numpy_simd") or {}).get("targets", ())
    avx512 = any(target in NUMPY_AVX512.split() for target in targets)
    if avx512 and not cpu_supports("SkylakeX"):  # NumPy's X86_V4 loops need SkylakeX's AVX-512 subsets
        return None
    env = kernel_env(kernel)
    if avx512:
        env["NPY_DISABLE_CPU_FEATURES"] = ""  # the record's AVX-512 loops: not the book's pin, which drops them
    return env


def kernel_plan(record):
    """(environment of the re-run, exact?, in words): the recorded kernels wherever this CPU has them."""
    env = kernels_env(record)
    kernel = recorded_kernel(record)
    if env is not None:
        loops = " ".join((record["environment"].get("numpy_simd") or {}).get("targets", ())) or "not recorded"
        return env, True, f"kernels as recorded (OpenBLAS {kernel}, NumPy {loops}): figures must be equal"
    why = f"this CPU lacks the record's kernels ({kernel})" if kernel else "the record names no BLAS kernel"
    return dict(os.environ), False, (f"{why}: drift tolerance (losses {DRIFT_RELATIVE:g} relative, "
                                     f"accuracies {100 * DRIFT_ACCURACY:g} points)")


def figures(record):
    """The figures compared: final test loss, the task's headline metric (None where the record has none),
    epochs, status."""
    test = record.get("test") or {}
    primary = get_task(record["config"]["task"]).primary
    return {"test loss": test.get("loss"), primary: test.get(primary),
            "epochs": record["epochs_completed"], "status": record["status"]}


def agrees(name, a, b, exact):
    """Are two values of a figure the same within the tolerance (exact, or the drift one)?"""
    if not (isinstance(a, float) and isinstance(b, float)):
        return a == b  # a figure missing on one side (None) never agrees with a number
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if exact:
        return math.isclose(a, b, rel_tol=EXACT, abs_tol=0.0)
    if name.endswith("accuracy"):
        return abs(a - b) <= DRIFT_ACCURACY
    return math.isclose(a, b, rel_tol=DRIFT_RELATIVE, abs_tol=0.0)


def compare(committed, recomputed, exact):
    """(name, committed, re-computed, difference text, agrees?) for each figure."""
    new = figures(recomputed)
    rows = []
    for name, a in figures(committed).items():
        b = new.get(name)
        numbers = isinstance(a, int | float) and isinstance(b, int | float)
        rows.append((name, a, b, f"{b - a:+.3g}" if numbers else ("" if a == b else "differs"),
                     agrees(name, a, b, exact)))
    return rows


def table(rows):
    """The compared figures as aligned text lines, those beyond tolerance marked."""
    lines = [f"    {'figure':<20}{'committed':>24}{'re-computed':>24}{'difference':>12}"]
    for name, a, b, diff, ok in rows:
        lines.append(f"    {name:<20}{a!s:>24}{b!s:>24}{diff:>12}" + ("" if ok else "  <- beyond tolerance"))
    return lines
