"""The OpenBLAS that NumPy loaded (as NumPy's wheels ship it): its thread count and its kernel set."""

import ctypes
import os


def _openblas_function(names):
    """The first of ``names`` exported by an OpenBLAS library loaded in this process, or None."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and ".so" in line}
    except OSError:
        return None
    for path in sorted(paths):
        lib = ctypes.CDLL(path)
        for symbol in names:  # scipy-openblas builds prefix their symbols; 64-bit-integer builds suffix them
            if hasattr(lib, symbol):
                return getattr(lib, symbol)
    return None


def _symbols(name):
    return (f"scipy_{name}64_", f"scipy_{name}", f"{name}64_", name)


def set_blas_threads(n):
    """Best effort: the env vars for children, the loaded OpenBLAS for this process; True when it was set."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)
    function = _openblas_function(_symbols("openblas_set_num_threads"))
    if function is None:
        return False
    function(ctypes.c_int(n))
    return True


def openblas_core():
    """The kernel set of the OpenBLAS NumPy loaded ('Haswell', 'SkylakeX', ...), or None."""
    function = _openblas_function(_symbols("openblas_get_corename"))
    if function is None:
        return None
    function.restype = ctypes.c_char_p
    return function().decode()
