/**
 * The hardware reference column: Debian's NumPy with OpenBLAS timing the matmul and elementwise
 * rows (bench/numpy_reference.py), installed on first use by scripts/install-numpy.sh.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const NUMPY = "numpy";

export interface NumpyReference {
  /** Which BLAS kernel ran, on how many threads: printed with the table. */
  description: string;
  /** Median milliseconds per workload: "add", "mul", "exp", "sum", "matmul N". */
  ms: Record<string, number>;
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The environment for the NumPy command alone: OpenBLAS picks its own kernel and cache sizes. */
export function numpyEnvironment(environment: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { OPENBLAS_CORETYPE: _core, OPENBLAS_L2_SIZE: _l2, ...rest } = environment;
  return rest;
}

export function runNumpyReference(matmulSizes: number[], elementwiseSize: number): NumpyReference | Error {
  const install = spawnSync(here("../scripts/install-numpy.sh"), { stdio: ["ignore", "inherit", "inherit"] });
  if (install.status !== 0) return new Error(`scripts/install-numpy.sh failed (${install.error?.message ?? `exit ${install.status}`})`);
  const spec = JSON.stringify({ matmul: matmulSizes, elementwise: elementwiseSize });
  const run = spawnSync("/usr/bin/python3", [here("./numpy_reference.py"), spec], { env: numpyEnvironment(process.env), encoding: "utf8" });
  if (run.status !== 0) return new Error(`bench/numpy_reference.py failed: ${(run.stderr || run.error?.message || "").trim().split("\n").pop()}`);
  const result = JSON.parse(run.stdout) as { numpy: string; blas: string; threads: number | null; ms: Record<string, number> };
  return { description: `numpy ${result.numpy}: ${result.blas}, ${result.threads ?? "?"} threads`, ms: result.ms };
}

/** The NumPy workload a bench row stands for ("add 1e6" → "add", "matmul 512" as it is). */
export function numpyWorkload(group: string, rowName: string): string | undefined {
  if (group === "matmul") return rowName;
  if (group === "elementwise") return rowName.split(" ")[0];
  return undefined;
}
