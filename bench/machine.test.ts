import { test } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import { getBackend, kernelThreadCount, wasmSimdSupported } from "../engine/backend";
import { describeMachine, engineThreads } from "./machine";

test("the thread count is the backend's own, 1 when it reports none or nonsense", () => {
  assert.equal(engineThreads({}), 1);
  assert.equal(engineThreads({ kernelThreadCount: () => 2 }), 2);
  assert.equal(engineThreads({ kernelThreadCount: 4 }), 4);
  assert.equal(engineThreads({ kernelThreadCount: () => 0 }), 1);
  assert.equal(engineThreads({ kernelThreadCount: "2" }), 1);
});

test("the machine line names the CPU, its cores, our threads, the SIMD support and Node", () => {
  const machine = describeMachine();
  assert.equal(machine.cpus, os.cpus().length);
  assert.equal(machine.threads, getBackend() === "wasm" ? kernelThreadCount() : 1, "the matrix kernel's pool, on the wasm backend");
  assert.equal(machine.simd.startsWith("simd128"), wasmSimdSupported());
  assert.ok(machine.summary.includes(`${machine.cpuModel}, ${machine.cpus} cores`), machine.summary);
  assert.match(machine.summary, /our engine: (js|wasm) backend on \d+ threads?;/);
  assert.ok(machine.summary.includes(`WebAssembly SIMD: ${machine.simd}`), machine.summary);
  assert.ok(machine.summary.includes(`Node ${process.version}`), machine.summary);
});
