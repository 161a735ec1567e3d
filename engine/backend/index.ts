/**
 * The backend layer: the raw kernels the ops compute with (elementwise, reductions, softmax
 * rows, transpose, matmul) behind one interface, with a plain JavaScript backend as the reference and a
 * WebAssembly SIMD one. Modules here import only storage's dtype and shape helpers — nothing
 * about tensors, ops or tapes (engine/README.md).
 *
 * The backend is chosen once at start: `AGNB_BACKEND=js|wasm` if set, else wasm when this
 * runtime validates WebAssembly SIMD, else js with a one-line note. `AGNB_WASM_MIN_ELEMENTS=1`
 * sends even the smallest float32 arrays through the WebAssembly kernels and into their memory
 * (for testing them).
 */
import { matmulSettings } from "./gemm";
import { jsBackend } from "./js";
import type { Backend, BackendName } from "./types";
import { createWasmBackend, wasmSimdSupported } from "./wasm";

export type { Backend, BackendName, BinaryKernelName, UnaryKernelName, Reducer, MiddleReducer, SoftmaxKind } from "./types";
export { wasmSimdSupported } from "./wasm";
export { relaxedSimdSupported } from "./relaxed-simd";
export { matmulThreads as kernelThreadCount, chosenVariant as matmulVariant } from "./gemm";

/** Staging operands through WebAssembly memory pays off from about this many elements (measured: add, relu, exp). */
const WASM_MIN_ELEMENTS = 256;
/**
 * Results from this size up live in WebAssembly memory, up to a budget: the memory of arrays
 * dropped inside one synchronous loop comes back only after it (finalizers run between tasks),
 * and only after a full collection, which V8 starts when ordinary arrays made past the budget
 * reach about 64 MB. A budget of twice that keeps most results in place in a loop that yields.
 */
const RESIDENT_MIN_ELEMENTS = 16384;
const RESIDENT_BUDGET_BYTES = 128 * 2 ** 20;
const NO_SIMD_NOTE = "WebAssembly SIMD is not available in this runtime: the engine computes with its JavaScript backend";

let current: Backend | undefined;
let wasm: Backend | undefined;

const environment = (name: string): string | undefined => (typeof process === "object" ? process.env?.[name] : undefined);

/** AGNB_WASM_MIN_ELEMENTS, when set, stands for both thresholds. */
function minimumOverride(): number | undefined {
  const value = Number(environment("AGNB_WASM_MIN_ELEMENTS"));
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

function createWasm(): Backend {
  const override = minimumOverride();
  return createWasmBackend({
    minElements: override ?? WASM_MIN_ELEMENTS,
    residentMinElements: override ?? RESIDENT_MIN_ELEMENTS,
    residentBudget: RESIDENT_BUDGET_BYTES,
  });
}

const backendNamed = (name: BackendName): Backend => (name === "js" ? jsBackend : (wasm ??= createWasm()));

function install(backend: Backend): Backend {
  current = backend;
  // Products made directly on the gemm (Dense layers' fused passes, convolutions) follow too.
  matmulSettings.useWasm = backend.name === "wasm";
  return backend;
}

/** The start-up choice: `requested` (from AGNB_BACKEND) when it can run, else wasm if SIMD validates. */
export function chooseBackendName(requested: string | undefined, simd: boolean, note: (line: string) => void): BackendName {
  if (requested !== undefined && requested !== "" && requested !== "js" && requested !== "wasm") {
    note(`AGNB_BACKEND=${requested} is not a backend (expected js or wasm); choosing automatically`);
    requested = undefined;
  }
  if (requested === "js") return "js";
  if (simd) return "wasm";
  note(NO_SIMD_NOTE);
  return "js";
}

export function currentBackend(): Backend {
  if (current) return current;
  return install(backendNamed(chooseBackendName(environment("AGNB_BACKEND"), wasmSimdSupported(), (line) => console.warn(line))));
}

/** Switches the backend, as tf.setBackend: resolves to false (with a note) when wasm cannot run here. */
export function setBackend(name: BackendName): Promise<boolean> {
  if (name !== "js" && name !== "wasm") throw new Error(`setBackend: unknown backend '${String(name)}'; expected "js" or "wasm"`);
  if (name === "wasm" && !wasmSimdSupported()) {
    console.warn(NO_SIMD_NOTE);
    currentBackend();
    return Promise.resolve(false);
  }
  install(backendNamed(name));
  return Promise.resolve(true);
}

/** The name of the backend in use, as tf.getBackend. */
export function getBackend(): BackendName {
  return currentBackend().name;
}
