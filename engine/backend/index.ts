/**
 * The backend layer: the raw kernels the ops compute with (elementwise, reductions, softmax
 * rows, transpose, matmul, convolution and pooling) behind one interface, with a plain JavaScript backend as the reference and a
 * WebAssembly SIMD one. Modules here import only storage's dtype and shape helpers — nothing
 * about tensors, ops or tapes (engine/README.md).
 *
 * The backend is chosen once at start: `AGNB_BACKEND=js|wasm` if set, else wasm when this
 * runtime validates WebAssembly SIMD and has shared memory, else js with a one-line note naming
 * what is missing. `AGNB_WASM_MIN_ELEMENTS=1`
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
 * Results from this size up live in WebAssembly memory, up to a budget; reaching it reclaims the
 * blocks of dropped arrays, inside synchronous loops too (wasm/memory.ts), and may raise it.
 */
const RESIDENT_MIN_ELEMENTS = 16384;
const RESIDENT_BUDGET_BYTES = 128 * 2 ** 20;

/** The smallest module with a SIMD instruction (v128.const): validates where WebAssembly SIMD does. */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, ...new Array(16).fill(0), 11]);

function probe(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

/**
 * What the WebAssembly kernels need that this runtime lacks, by name: [] when they run. Kernels
 * that fail to validate for another reason are named as such, so the note never blames the wrong
 * feature.
 */
export function missingWasmFeatures(): string[] {
  if (wasmSimdSupported()) return [];
  const missing: string[] = [];
  if (!probe(() => typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE))) missing.push("WebAssembly SIMD");
  if (typeof SharedArrayBuffer !== "function") missing.push("shared memory (SharedArrayBuffer)");
  else if (!probe(() => new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer)) missing.push("shared WebAssembly memory");
  return missing.length ? missing : ["some WebAssembly feature the engine's kernels use"];
}

/** The one line said when the WebAssembly kernels cannot run, naming what is missing. */
export function javascriptBackendNote(missing: readonly string[]): string {
  const named = missing.length > 1 ? `${missing.slice(0, -1).join(", ")} and ${missing[missing.length - 1]} are` : `${missing[0]} is`;
  return `${named} not available in this runtime: the engine computes with its JavaScript backend`;
}

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

/** The start-up choice: `requested` (from AGNB_BACKEND) when it can run, else wasm unless something it needs is `missing`. */
export function chooseBackendName(requested: string | undefined, missing: readonly string[], note: (line: string) => void): BackendName {
  if (requested !== undefined && requested !== "" && requested !== "js" && requested !== "wasm") {
    note(`AGNB_BACKEND=${requested} is not a backend (expected js or wasm); choosing automatically`);
    requested = undefined;
  }
  if (requested === "js") return "js";
  if (missing.length === 0) return "wasm";
  note(javascriptBackendNote(missing));
  return "js";
}

export function currentBackend(): Backend {
  if (current) return current;
  return install(backendNamed(chooseBackendName(environment("AGNB_BACKEND"), missingWasmFeatures(), (line) => console.warn(line))));
}

/** Switches the backend, as tf.setBackend: resolves to false (with a note) when wasm cannot run here. */
export function setBackend(name: BackendName): Promise<boolean> {
  if (name !== "js" && name !== "wasm") throw new Error(`setBackend: unknown backend '${String(name)}'; expected "js" or "wasm"`);
  const missing = name === "wasm" ? missingWasmFeatures() : [];
  if (missing.length) {
    console.warn(javascriptBackendNote(missing));
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
