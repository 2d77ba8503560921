"""The kernels that compute a run: the OpenBLAS NumPy loaded (its kernel set and threads, read with
threadpoolctl) and NumPy's own SIMD loops; the book pins both, and a record names what ran.

Both are chosen once, when NumPy loads, from the CPU unless the environment says otherwise
(``OPENBLAS_CORETYPE``, ``NPY_DISABLE_CPU_FEATURES``). Float32 training over thousands of steps turns
their last-bit differences into visible ones, so the book's runs are made with OpenBLAS's Haswell kernels
and NumPy's loops below AVX-512: they run on any x86-64 CPU since 2013 and give the same bits on all of
them. This module imports NumPy only inside its functions, so ``lstm_xor`` can pin both before NumPy loads.
"""

import os
import sys

import threadpoolctl

PINNED_KERNEL = "Haswell"  # the OpenBLAS kernel set of the book's runs
# NumPy's AVX-512 dispatch targets (its names since 2.4): X86_V4 brings an SVML log1p whose float32 last bits
# differ from the AVX2 loop's, and the loss is computed with log1p (bptt-full-rnn-s1: 10 of 400 losses moved).
NUMPY_AVX512 = "X86_V4 AVX512_ICL AVX512_SPR"

# The /proc/cpuinfo flags each OpenBLAS kernel set needs (OpenBLAS's own names, compared case-blind).
_NEEDS = {
    "prescott": {"sse3"},
    "nehalem": {"sse4_2"},
    "sandybridge": {"avx"},
    "haswell": {"avx2", "fma"},
    "zen": {"avx2", "fma"},
    "skylakex": {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"},
    "cooperlake": {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16"},
}


def cpu_flags():
    """This CPU's feature flags as /proc/cpuinfo names them (empty where there is no /proc/cpuinfo)."""
    try:
        with open("/proc/cpuinfo") as f:
            return set(next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), []))
    except OSError:
        return set()


def cpu_supports(architecture, flags=None):
    """Whether this CPU (or one with ``flags``) runs OpenBLAS's ``architecture`` kernels; False when not known."""
    needs = _NEEDS.get((architecture or "").lower())
    return needs is not None and needs <= (cpu_flags() if flags is None else flags)


def kernel_env(architecture=PINNED_KERNEL, base=None):
    """A copy of ``base`` (default os.environ) that makes a new process compute with OpenBLAS's
    ``architecture`` kernels and NumPy's loops below AVX-512: pass it as a subprocess's env."""
    env = dict(os.environ if base is None else base)
    env.update(OPENBLAS_CORETYPE=architecture, NPY_DISABLE_CPU_FEATURES=NUMPY_AVX512)
    return env


def recorded_kernel(record):
    """The OpenBLAS kernel set a run record names ("environment" / "blas" / "architecture"), or None."""
    return ((record.get("environment") or {}).get("blas") or {}).get("architecture")


def pin_kernels(environ=os.environ):
    """Fix the kernels of this process and of those it starts, where ``environ`` sets none (a user's value wins):
    the book's while NumPy is not loaded and this CPU runs them; once NumPy is loaded, the ones it took, so the
    processes it starts (a killed run's resumption, the ranks of its job) compute with the same ones."""
    if "numpy" not in sys.modules:
        chosen = kernel_env(base={}) if cpu_supports(PINNED_KERNEL) else {}
    else:
        architecture = blas_info()["architecture"]
        chosen = {"NPY_DISABLE_CPU_FEATURES": "", **({"OPENBLAS_CORETYPE": architecture} if architecture else {})}
    for var, value in chosen.items():
        environ.setdefault(var, value)


def blas_info():
    """This process's BLAS as a record names it: library, version, kernel set, threads, OPENBLAS_CORETYPE."""
    import numpy  # noqa: F401 - loads the OpenBLAS that threadpoolctl reads
    lib = next((lib for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"), {})
    return {"api": lib.get("internal_api"), "version": lib.get("version"), "architecture": lib.get("architecture"),
            "threads": lib.get("num_threads"), "coretype_env": os.environ.get("OPENBLAS_CORETYPE")}


def numpy_simd():
    """NumPy's SIMD loops in use: the dispatch targets its ufuncs run on here, and NPY_DISABLE_CPU_FEATURES."""
    from numpy.lib.introspect import opt_func_info
    targets = {loop["current"] for signatures in opt_func_info().values() for loop in signatures.values()}
    return {"targets": sorted(targets), "disabled_env": os.environ.get("NPY_DISABLE_CPU_FEATURES")}


def openblas_core():
    """The kernel set of the OpenBLAS NumPy loaded ('Haswell', 'SkylakeX', ...), or None."""
    return blas_info()["architecture"]


def set_blas_threads(n):
    """Best effort: the env vars for children, the loaded BLAS for this process; True when it was set."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)
    import numpy  # noqa: F401 - loads the BLAS whose threads are set
    return bool(threadpoolctl.threadpool_limits(limits=n, user_api="blas").get_original_num_threads()["blas"])
