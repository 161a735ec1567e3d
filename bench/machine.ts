/**
 * The machine line printed with the table: the CPU, the threads our engine computes on, what
 * WebAssembly offers here (SIMD, relaxed SIMD, shared memory), Node, and the load at the start.
 */
import os from "node:os";
import * as backend from "../engine/backend";

export interface MachineInfo {
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  /** Threads our engine's kernels run on (the backend's own count; 1 without a pool). */
  threads: number;
  /** WebAssembly SIMD support: "simd128", "simd128 + relaxed" or "none". */
  simd: string;
  /** Whether WebAssembly memory can be shared with worker threads. */
  sharedMemory: boolean;
  /** One-minute load average when the run started: other work running alongside skews figures. */
  loadAverage: number;
  summary: string;
}

/**
 * The backend's count of kernel threads (`kernelThreadCount`, the matrix kernel's pool), or 1
 * when it reports none: every kernel runs on the calling thread.
 */
export function engineThreads(exports: Record<string, unknown> = backend): number {
  const reported = exports.kernelThreadCount;
  const count = typeof reported === "function" ? (reported as () => unknown)() : reported;
  return typeof count === "number" && Number.isInteger(count) && count > 0 ? count : 1;
}

/** "simd128 + relaxed" when the engine's matmul fuses multiply-adds (relaxed SIMD), "simd128", or "none". */
function simdSupport(): string {
  if (!backend.wasmSimdSupported()) return "none";
  // The matrix kernel turns relaxed SIMD on where the runtime has it behind a flag (Node 20).
  return backend.matmulVariant() === "fused" || backend.relaxedSimdSupported() ? "simd128 + relaxed" : "simd128";
}

function sharedWasmMemory(): boolean {
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/** Node options every engine in the run shares (the kernel runs with the same ones). */
function nodeOptions(): string {
  const flags = process.execArgv.filter((a) => a.startsWith("--max-") || a.includes("wasm"));
  return flags.length ? ` (${flags.join(" ")})` : "";
}

export function describeMachine(): MachineInfo {
  const cpus = os.cpus();
  const cpuModel = cpus[0]?.model.trim() ?? "unknown cpu";
  const loadAverage = Number(os.loadavg()[0].toFixed(2));
  const busy = loadAverage > cpus.length / 2 ? " — the machine was busy: figures are noisy" : "";
  const onWasm = backend.getBackend() === "wasm";
  const threads = onWasm ? engineThreads() : 1;
  const simd = simdSupport();
  const relaxedNote = simd === "simd128" ? " (no relaxed SIMD: matmul multiplies and adds separately)" : "";
  const sharedMemory = sharedWasmMemory();
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus.length,
    cpuModel,
    threads,
    simd,
    sharedMemory,
    loadAverage,
    summary:
      `machine: ${cpuModel}, ${cpus.length} cores; our engine: ${backend.getBackend()} backend on ${threads} thread${threads === 1 ? "" : "s"}; ` +
      `WebAssembly SIMD: ${simd}${relaxedNote}, shared memory: ${sharedMemory ? "yes" : "no"}; ` +
      `Node ${process.version}${nodeOptions()}; load average ${loadAverage} at start${busy}`,
  };
}
