/**
 * The raw kernels every backend provides. They work on flat row-major typed arrays and know
 * nothing of tensors, tapes or gradients.
 */
import type { DType, TypedArray } from "../storage/dtype";
import type { Shape } from "../storage/shape";
import type { ConvKernels } from "./conv-types";

export type BackendName = "js" | "wasm";
export type BinaryKernelName = "add" | "sub" | "mul" | "div" | "maximum" | "minimum";
/** In the order of the WebAssembly module's `unary` dispatch. */
export const UNARY_KERNELS = ["exp", "log", "tanh", "sigmoid", "softplus", "sqrt", "neg", "abs", "square", "relu", "reciprocal", "step", "expm1", "log1p"] as const;
export type UnaryKernelName = (typeof UNARY_KERNELS)[number];
export type Reducer = "sum" | "max" | "min" | "prod" | "any" | "all";
/** The reducers that also run over a middle axis. */
export type MiddleReducer = "sum" | "max" | "min" | "prod";
/** What a softmax pass over rows writes: each row's softmax or logSoftmax, or one logSumExp a row. */
export type SoftmaxKind = "softmax" | "logSoftmax" | "logSumExp";

/** Convolution and pooling kernels are declared in conv-types.ts. */
export interface Backend extends ConvKernels {
  readonly name: BackendName;
  /** An array for a kernel to fill entirely: its contents are unspecified (wasm: in kernel memory when it fits). */
  allocateOutput(dtype: DType, size: number): TypedArray;
  /** out = a op b, with a and b broadcast (NumPy rules) to outShape. */
  binary(op: BinaryKernelName, a: TypedArray, aShape: Shape, b: TypedArray, bShape: Shape, out: TypedArray, outShape: Shape): void;
  unary(op: UnaryKernelName, x: TypedArray, out: TypedArray): void;
  /** out = a + scale·b over float arrays of one length and dtype, the product rounded to it first (as mul then add). */
  addScaled(a: TypedArray, b: TypedArray, scale: number, out: TypedArray): void;
  /** Reduces the trailing `inner` elements of each of `outer` rows. */
  reduceRows(x: TypedArray, outer: number, inner: number, kind: Reducer, out: TypedArray): void;
  /** Reduces the middle axis of an [outer, mid, inner] layout. */
  reduceMiddle(x: TypedArray, outer: number, mid: number, inner: number, kind: MiddleReducer, out: TypedArray): void;
  /**
   * Over each of `outer` rows of `inner` elements, shifted by the row's maximum (0 where that is
   * not finite): softmax and logSoftmax fill `out` like `x`; logSumExp writes one value a row.
   */
  softmaxRows(x: TypedArray, outer: number, inner: number, kind: SoftmaxKind, out: TypedArray): void;
  transpose(x: TypedArray, shape: Shape, perm: number[], out: TypedArray): void;
  /**
   * C[m,n] = A[m,k] · B[k,n] for row-major matrices at the given element offsets; with
   * transposeA, A is stored as its transpose [k,m] (and B as [n,k] with transposeB).
   */
  matmul(a: TypedArray, aOff: number, b: TypedArray, bOff: number, c: TypedArray, cOff: number, m: number, k: number, n: number, transposeA?: boolean, transposeB?: boolean): void;
  /** `matmul` for each pair of offsets, result i at i·m·n of C: one call, so small products can share the threads. */
  batchMatmul(a: TypedArray, aOffsets: readonly number[], b: TypedArray, bOffsets: readonly number[], c: TypedArray, m: number, k: number, n: number, transposeA?: boolean, transposeB?: boolean): void;
}
