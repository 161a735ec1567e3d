"""NumPy (Debian's, with OpenBLAS) timing the engine bench's matmul and elementwise workloads,
the hardware reference column. Prints one JSON object: the BLAS kernel that ran, its thread
count, and the median milliseconds of each workload.

    /usr/bin/python3 bench/numpy_reference.py '{"matmul": [64, 128], "elementwise": 1000000}'
"""
import ctypes
import json
import statistics
import sys
import time

import numpy as np


def median_ms(run, min_batch_seconds=0.02, rounds=7):
    run()
    repeats, elapsed = 1, 0.0
    while True:
        start = time.perf_counter()
        for _ in range(repeats):
            run()
        elapsed = time.perf_counter() - start
        if elapsed >= min_batch_seconds:
            break
        repeats *= 2
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            run()
        samples.append((time.perf_counter() - start) * 1000 / repeats)
    return statistics.median(samples)


def openblas_library():
    """The OpenBLAS the process loaded, found among its mapped files, or None (another BLAS)."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "openblas" in line and line.split()[-1].startswith("/")}
    for path in sorted(paths):
        try:
            library = ctypes.CDLL(path)
            library.openblas_get_corename.restype = ctypes.c_char_p
            library.openblas_get_config.restype = ctypes.c_char_p
            return library
        except (OSError, AttributeError):
            continue
    return None


def kernel_description():
    library = openblas_library()
    if library is None:
        return {"blas": "not OpenBLAS (see numpy.show_config())", "threads": None}
    return {
        # The configuration string opens with "OpenBLAS <version>"; the core is the kernel set it picked.
        "blas": " ".join(library.openblas_get_config().decode().split()[:2]) + f" {library.openblas_get_corename().decode()}",
        "threads": library.openblas_get_num_threads(),
    }


def main():
    spec = json.loads(sys.argv[1])
    rng = np.random.default_rng(1)
    size = spec["elementwise"]
    a = rng.uniform(-1, 1, size).astype(np.float32)
    b = rng.uniform(-1, 1, size).astype(np.float32)
    figures = {
        "add": median_ms(lambda: a + b),
        "mul": median_ms(lambda: a * b),
        "exp": median_ms(lambda: np.exp(a)),
        "sum": median_ms(lambda: a.sum()),
    }
    for n in spec["matmul"]:
        left = rng.uniform(-1, 1, (n, n)).astype(np.float32)
        right = rng.uniform(-1, 1, (n, n)).astype(np.float32)
        figures[f"matmul {n}"] = median_ms(lambda: left @ right)
    print(json.dumps({"numpy": np.__version__, **kernel_description(), "ms": figures}))


main()
