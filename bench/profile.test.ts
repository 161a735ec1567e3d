import { test } from "node:test";
import assert from "node:assert/strict";
import type { Profiler, Runtime } from "node:inspector";
import { hottestFunctions } from "./profile";

const frame = (functionName: string, url: string, lineNumber = 0): Runtime.CallFrame => ({
  functionName, url, lineNumber, columnNumber: 0, scriptId: "1",
});

// Two call-tree nodes for the same kernel (called from two places) must add up.
const profile: Profiler.Profile = {
  nodes: [
    { id: 1, callFrame: frame("(root)", "") },
    { id: 2, callFrame: frame("matmulInto", "file:///repo/engine/kernels.ts", 117) },
    { id: 3, callFrame: frame("matmulInto", "file:///repo/engine/kernels.ts", 117) },
    { id: 4, callFrame: frame("(garbage collector)", "") },
    { id: 5, callFrame: frame("", "") },
  ],
  startTime: 1000,
  endTime: 2000,
  samples: [2, 3, 4, 5, 2, 4],
  timeDeltas: [100, 100, 100, 100, 100, 500],
};

test("self time is summed per function, largest first, with repository-relative files", () => {
  const hot = hottestFunctions(profile, "/repo");
  assert.deepEqual(hot.map((entry) => [entry.name, entry.location, Number(entry.selfMs.toFixed(6))]), [
    ["(garbage collector)", "", 0.6],
    ["matmulInto", "engine/kernels.ts", 0.3],
    ["(anonymous)", "(generated code)", 0.1],
    ["(root)", "", 0],
  ]);
  assert.equal(hot[0].share, 0.6);
});

test("samples outside the window (starting and stopping the profiler) are left out", () => {
  // Sample times: 1100 1200 1300 1400 1500 2000.
  const hot = hottestFunctions(profile, "/repo", { fromMicros: 1150, untilMicros: 1500 });
  assert.deepEqual(hot.filter((entry) => entry.selfMs > 0).map((entry) => [entry.name, entry.share]), [
    ["matmulInto", 0.5],
    ["(garbage collector)", 0.25],
    ["(anonymous)", 0.25],
  ]);
});
