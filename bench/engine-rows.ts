/**
 * The engine suite's rows — what each measures, at which sizes, how results are cross-checked,
 * which peer sits a size out and why — and the goals they are judged against.
 */
import type { Tolerance } from "./crosscheck";
import type { MeasureOptions } from "./measure";
import { NUMPY } from "./numpy";
import { beatsPeerOnEveryRow, rowBelow, rowWithinFactorOfRow, timesPeer, withinFactorOfPeer, type BenchTarget } from "./targets";
import {
  CHAIN_LENGTHS, ELEMENTWISE_SIZE, JACOBIAN_SIZES, MATMUL_SIZES, MLP, MLP_BATCHES, mlpParameters, seededUniform,
  type EngineWorkloads, type PreparedWorkload,
} from "./workloads";

export interface WorkloadSpec {
  group: string;
  name: string;
  unit: string;
  higherIsBetter?: boolean;
  note?: string;
  tolerance: Tolerance;
  prepare(engine: EngineWorkloads): PreparedWorkload;
  /** Converts a median time per call (ms) to the row's unit. */
  figure(ms: number): number;
  /** Peers not run on this row, with the reason printed in its note. */
  skip?: Record<string, string>;
  /** Timing settings for rows whose single call takes seconds on some engine. */
  measure?: MeasureOptions;
}

export const ENGINE_GROUPS = ["matmul", "elementwise", "chain", "jacobian", "mlp"];

const count = (n: number) => n.toLocaleString("en-US");
export const chainRow = (ops: number, backward = true) => `scalar chain ${backward ? "fwd+bwd" : "forward"}, ${count(ops)} ops`;
export const jacobianRow = (n: number) => `jacobian ${n}×${n} tanh(Wx)`;
export const mlpRow = (batch: number) => `MLP ${MLP.inputs}-${MLP.hidden}-${MLP.outputs} SGD step, batch ${batch}`;

const [SHORT_CHAIN, LONG_CHAIN] = CHAIN_LENGTHS;
const LARGEST_MATMUL = MATMUL_SIZES[MATMUL_SIZES.length - 1];

/** A single call of these rows takes seconds on a peer: one timed call after the cross-check's is enough there. */
const HEAVY: MeasureOptions = { budgetMs: 500 };

export const ENGINE_TARGETS: BenchTarget[] = [
  beatsPeerOnEveryRow("tfjs-cpu"),
  beatsPeerOnEveryRow("tfjs-wasm", ENGINE_GROUPS, "ahead of tfjs-wasm on every engine row"),
  timesPeer("tfjs-wasm", 3, (row) => row.name === "matmul 1024", "matmul 1024 ≥ 3× tfjs-wasm"),
  withinFactorOfPeer(NUMPY, ["matmul 1024"], 3, "matmul 1024 within 3× of numpy"),
  withinFactorOfPeer(NUMPY, ["add 1e6", "mul 1e6"], 1.5, "add and mul 1e6 within 1.5× of numpy"),
  rowBelow("mlp", mlpRow(MLP.batch), 1, "ms", `${mlpRow(MLP.batch)} under 1 ms`),
  rowBelow("chain", chainRow(SHORT_CHAIN), 0.5, "µs/op", "scalar chain fwd+bwd no slower than before the backend layer (0.5 µs/op)"),
  rowWithinFactorOfRow(chainRow(LONG_CHAIN), chainRow(SHORT_CHAIN), 1.5, `scalar chain cost per op flat from ${count(SHORT_CHAIN)} to ${count(LONG_CHAIN)} ops (within 1.5×)`),
  rowBelow("jacobian", jacobianRow(JACOBIAN_SIZES[0]), 1, "ms"),
];

function matmulRows(): WorkloadSpec[] {
  return MATMUL_SIZES.map((n) => {
    const [left, right] = [seededUniform(n * n, 100 + n), seededUniform(n * n, 200 + n)];
    const largest = n === LARGEST_MATMUL;
    return {
      group: "matmul", name: `matmul ${n}`, unit: "GFLOP/s", higherIsBetter: true,
      prepare: (engine) => engine.matmul(left, right, n),
      figure: (ms) => (2 * n ** 3) / (ms * 1e6),
      tolerance: { relative: 1e-4, absolute: 2e-6 * n },
      // Its plain-JavaScript product runs at about 1 GFLOP/s: 17 GFLOP would take it a quarter of a minute a call.
      ...(largest ? { skip: { "tfjs-cpu": `tfjs-cpu not run at ${n}: one product takes it over 15 s` }, measure: HEAVY } : {}),
    };
  });
}

function elementwiseRows(): WorkloadSpec[] {
  const a = seededUniform(ELEMENTWISE_SIZE, 1);
  const b = seededUniform(ELEMENTWISE_SIZE, 2);
  const sumOfMagnitudes = a.reduce((total, value) => total + Math.abs(value), 0);
  const ops: Pick<WorkloadSpec, "name" | "prepare" | "tolerance">[] = [
    { name: "add", prepare: (engine) => engine.add(a, b), tolerance: { relative: 1e-6, absolute: 0 } },
    { name: "mul", prepare: (engine) => engine.mul(a, b), tolerance: { relative: 1e-6, absolute: 0 } },
    { name: "exp", prepare: (engine) => engine.exp(a), tolerance: { relative: 2e-6, absolute: 0 } },
    // Summation order differs between engines and float32 rounding grows with the magnitudes
    // summed (tfjs-wasm is 0.007 off here); 0.025 still catches a dropped element (mean |a| 0.5).
    { name: "sum", prepare: (engine) => engine.sum(a), tolerance: { relative: 0, absolute: 5e-8 * sumOfMagnitudes } },
  ];
  return ops.map((spec) => ({ ...spec, group: "elementwise", name: `${spec.name} 1e6`, unit: "ms", figure: (ms) => ms }));
}

function chainRows(): WorkloadSpec[] {
  // Each op rounds to float32 its own way on each engine, so the chains drift apart with length.
  const toleranceFor = (ops: number) => ({ relative: 1e-8 * ops, absolute: 0 });
  const perOp = (ops: number) => (ms: number) => (ms * 1000) / ops;
  return [
    { group: "chain", name: chainRow(SHORT_CHAIN, false), unit: "µs/op", figure: perOp(SHORT_CHAIN), tolerance: toleranceFor(SHORT_CHAIN),
      prepare: (engine) => engine.chainForward(SHORT_CHAIN) },
    ...CHAIN_LENGTHS.map((ops): WorkloadSpec => ({
      group: "chain", name: chainRow(ops), unit: "µs/op", figure: perOp(ops), tolerance: toleranceFor(ops),
      prepare: (engine) => engine.chainForwardBackward(ops), ...(ops === LONG_CHAIN ? { measure: HEAVY } : {}),
    })),
  ];
}

function jacobianRows(): WorkloadSpec[] {
  return JACOBIAN_SIZES.map((n, i) => {
    // Weights of about 1/√n keep tanh(Wx) away from saturation, so every entry is informative.
    const weights = seededUniform(n * n, 31, -1 / Math.sqrt(n), 1 / Math.sqrt(n));
    const input = seededUniform(n, 32);
    return {
      group: "jacobian", name: jacobianRow(n), unit: "ms", figure: (ms: number) => ms, note: `tfjs: ${count(n)} VJPs, one per row`,
      prepare: (engine: EngineWorkloads) => engine.jacobian(weights, input, n), tolerance: { relative: 1e-4, absolute: 1e-6 },
      ...(i > 0 ? { measure: HEAVY } : {}),
    };
  });
}

/**
 * A training loop's step is timed in its steady state, as a loop of thousands of steps runs it:
 * every engine first steps for this long, while its memory pools grow to their working size.
 */
const MLP_WARMUP_MS = 1500;

function mlpRows(): WorkloadSpec[] {
  return MLP_BATCHES.map((batch) => {
    const parameters = mlpParameters({ ...MLP, batch });
    return {
      group: "mlp", name: mlpRow(batch), unit: "ms", figure: (ms: number) => ms,
      prepare: (engine: EngineWorkloads) => engine.mlpStep(parameters), tolerance: { relative: 1e-3, absolute: 1e-5 },
      note: `timed after ${MLP_WARMUP_MS / 1000} s of steps`,
      measure: { warmupMs: MLP_WARMUP_MS, ...(batch === MLP.batch ? {} : { budgetMs: 1500 }) },
    };
  });
}

export function workloadSpecs(): WorkloadSpec[] {
  return [...matmulRows(), ...elementwiseRows(), ...chainRows(), ...jacobianRows(), ...mlpRows()];
}
