/**
 * Binary and unary elementwise calls on elementwise.wat's vector loops. Operands that live in
 * kernel memory are read in place; a scalar is splatted into one vector read with a step of 0;
 * anything else streams through the staging blocks (placement.ts). A call whose operands all
 * live in kernel memory is one call of the loop, or one split across the threads when they pay
 * (parallel.ts). Broadcasting runs a block of rows per call of the row kernel (broadcast.ts).
 */
import type { Shape } from "../../storage/shape";
import type { BinaryKernelName, UnaryKernelName } from "../types";
import { UNARY_KERNELS } from "../types";
import { broadcastRows } from "./broadcast";
import type { KernelMemory } from "./memory";
import { WARM_PARALLEL_MIN, type ParallelKernels } from "./parallel";
import { placed, type Streams } from "./placement";

type BinaryLoop = (a: number, aStep: number, b: number, bStep: number, out: number, n: number) => void;

export interface ElementwiseModule extends Record<BinaryKernelName, BinaryLoop> {
  unary(op: number, x: number, out: number, n: number): void;
  binary_rows(op: number, a: number, aRow: number, aWalks: number, b: number, bRow: number, bWalks: number, out: number, rows: number, inner: number, scratch: number, thread: number): void;
}

/** In the order of the row kernel's dispatch. */
const BINARY_CODES: readonly BinaryKernelName[] = ["add", "sub", "mul", "div", "maximum", "minimum"];
const UNARY_CODES = new Map<UnaryKernelName, number>(UNARY_KERNELS.map((name, code) => [name, code]));
/** Polynomials are worth the threads even when the operand has to be copied in first. */
const TRANSCENDENTAL = new Set<UnaryKernelName>(["exp", "log", "tanh", "sigmoid", "softplus", "expm1", "log1p"]);
/** Narrower rows cost less on the JavaScript backend: the row kernel writes a whole vector for each. */
const MIN_ROW = 4;
/** The row kernel's splats: 32 bytes for each thread the pool may have. */
const MAX_THREADS = 64;

export interface WasmElementwise {
  /** out = a op b broadcast to outShape; false when the JavaScript backend has to do it (narrow rows, kernel memory full). */
  binary(op: BinaryKernelName, a: Float32Array, aShape: Shape, b: Float32Array, bShape: Shape, out: Float32Array, outShape: Shape): boolean;
  unary(op: UnaryKernelName, x: Float32Array, out: Float32Array): void;
}

export function wasmElementwise(memory: KernelMemory, kernels: ElementwiseModule, parallel: () => ParallelKernels | null, streams: Streams): WasmElementwise {
  const scratchBlock = memory.temporary(8 * MAX_THREADS);
  if (!scratchBlock) throw new Error("kernel memory could not hold the row kernel's scratch block");
  const scratch = scratchBlock.offset;

  /** The threads when splitting `n` elements pays (asked before anything is placed: asking waits for a stopped call's workers). */
  const threadsFor = (n: number): ParallelKernels | null => {
    if (n < WARM_PARALLEL_MIN) return null;
    const threads = parallel();
    return threads?.worth(n) ? threads : null;
  };

  /** Same-shape operands and scalars: one vector loop over the whole array. */
  function direct(op: BinaryKernelName, a: Float32Array, b: Float32Array, out: Float32Array): void {
    const n = out.length, loop = kernels[op];
    const aStep = a.length === 1 && n > 1 ? 0 : 16, bStep = b.length === 1 && n > 1 ? 0 : 16;
    const po = memory.offsetOf(out);
    const resident = po !== undefined && (aStep === 0 || memory.offsetOf(a) !== undefined) && (bStep === 0 || memory.offsetOf(b) !== undefined);
    if (resident) {
      const threads = threadsFor(n);
      const pa = aStep ? memory.offsetOf(a)! : streams.splat(0, a[0]), pb = bStep ? memory.offsetOf(b)! : streams.splat(1, b[0]);
      if (threads) threads.split(op, n, (from, count) => [pa + (aStep && from * 4), aStep, pb + (bStep && from * 4), bStep, po + from * 4, count]);
      else loop(pa, aStep, pb, bStep, po, n);
      return;
    }
    streams.run(a, b, out, (pa, pb, outAt, count) => loop(pa, aStep, pb, bStep, outAt, count));
  }

  function broadcast(op: BinaryKernelName, a: Float32Array, aShape: Shape, b: Float32Array, bShape: Shape, out: Float32Array, outShape: Shape): boolean {
    const plan = broadcastRows(aShape, bShape, outShape);
    const { inner, rows } = plan;
    if (inner < MIN_ROW) return false;
    const code = BINARY_CODES.indexOf(op), aWalks = plan.aWalks ? 1 : 0, bWalks = plan.bWalks ? 1 : 0;
    const aRow = plan.aRow * 4, bRow = plan.bRow * 4, rowBytes = inner * 4;
    // Parts of whole vectors only: a part's last row writes past its end into the next part's first.
    const threads = inner % 4 === 0 && rows > 1 ? threadsFor(out.length) : null;
    return placed(memory, (place) => {
      const pa = place.input(a), pb = place.input(b), po = place.output(out, !threads);
      return () => plan.forEachBlock((ai, bi, oi) => {
        const at = pa + ai * 4, bt = pb + bi * 4, outAt = po + oi * 4;
        if (!threads) return kernels.binary_rows(code, at, aRow, aWalks, bt, bRow, bWalks, outAt, rows, inner, scratch, 0);
        threads.split("binary_rows", rows, (from, count) => [code, at + from * aRow, aRow, aWalks, bt + from * bRow, bRow, bWalks, outAt + from * rowBytes, count, inner, scratch]);
      });
    }, streams.placement);
  }

  return {
    binary(op, a, aShape, b, bShape, out, outShape) {
      const n = out.length;
      if ((a.length !== n && a.length !== 1) || (b.length !== n && b.length !== 1)) return broadcast(op, a, aShape, b, bShape, out, outShape);
      direct(op, a, b, out);
      return true;
    },
    unary(op, x, out) {
      const code = UNARY_CODES.get(op)!, n = out.length;
      const px = memory.offsetOf(x), po = memory.offsetOf(out);
      const threads = px !== undefined || TRANSCENDENTAL.has(op) ? threadsFor(n) : null;
      if (threads && placed(memory, (place) => {
        const from = place.input(x), to = place.output(out, false);
        return () => threads.split("unary", n, (first, count) => [code, from + first * 4, to + first * 4, count]);
      }, streams.placement)) return;
      if (px !== undefined && po !== undefined) return kernels.unary(code, px, po, n);
      streams.run(x, null, out, (at, _, outAt, count) => kernels.unary(code, at, outAt, count));
    },
  };
}
