/** The reference backend: plain JavaScript loops, one generated per op (kernels.ts). */
import { allocate, type TypedArray } from "../storage/dtype";
import { jsConvKernels } from "./conv-kernels";
import { binaryKernel, loopMatmulInto, reduceMiddle, reduceRows, softmaxRows, transposeValues, unaryKernel } from "./kernels";
import type { Backend, BinaryKernelName, UnaryKernelName } from "./types";

/** The ops' definitions in float64 JavaScript arithmetic, rounded to the output's dtype on store. */
const BINARY_EXPRESSIONS: Record<BinaryKernelName, string> = {
  add: "x + y",
  sub: "x - y",
  mul: "x * y",
  div: "x / y",
  // NaN on either side gives NaN; a tie keeps the left operand.
  maximum: "(x >= y || x !== x) ? x : y",
  minimum: "(x <= y || x !== x) ? x : y",
};

const UNARY_EXPRESSIONS: Record<UnaryKernelName, string> = {
  exp: "Math.exp(x)",
  log: "Math.log(x)",
  tanh: "Math.tanh(x)",
  // Stable on both sides: exp of a negative number only, so large |x| never overflows to NaN.
  sigmoid: "x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))",
  softplus: "x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))",
  sqrt: "Math.sqrt(x)",
  neg: "-x",
  abs: "Math.abs(x)",
  square: "x * x",
  relu: "x > 0 ? x : (x !== x ? x : 0)",
  reciprocal: "1 / x",
  // relu's derivative: 1 where x > 0, 0 elsewhere (NaN included).
  step: "x > 0 ? 1 : 0",
  expm1: "Math.expm1(x)",
  log1p: "Math.log1p(x)",
};

const compile = <K extends string, V>(table: Record<K, string>, make: (expr: string) => V): Record<K, V> =>
  Object.fromEntries(Object.entries(table).map(([name, expr]) => [name, make(expr as string)])) as Record<K, V>;

const binaries = compile(BINARY_EXPRESSIONS, binaryKernel);
const unaries = compile(UNARY_EXPRESSIONS, unaryKernel);

export const jsBackend: Backend = {
  name: "js",
  ...jsConvKernels,
  allocateOutput: allocate,
  binary: (op, a, aShape, b, bShape, out, outShape) => binaries[op](a, aShape, b, bShape, out, outShape),
  unary: (op, x, out) => unaries[op](x, out),
  addScaled(a, b, scale, out) {
    if (out instanceof Float32Array) for (let i = 0; i < out.length; i++) out[i] = a[i] + Math.fround(scale * b[i]);
    else for (let i = 0; i < out.length; i++) out[i] = a[i] + scale * b[i];
  },
  reduceRows,
  reduceMiddle,
  softmaxRows,
  transpose: transposeValues,
  matmul: (a, aOff, b, bOff, c, cOff, m, k, n, transposeA = false, transposeB = false) =>
    loopMatmulInto(transposeA ? rowMajor(a, aOff, k, m) : a, transposeA ? 0 : aOff, transposeB ? rowMajor(b, bOff, n, k) : b, transposeB ? 0 : bOff, c, cOff, m, k, n),
  batchMatmul: (a, aOffsets, b, bOffsets, c, m, k, n, transposeA, transposeB) =>
    aOffsets.forEach((aOff, i) => jsBackend.matmul(a, aOff, b, bOffsets[i], c, i * m * n, m, k, n, transposeA, transposeB)),
};

/** The [cols, rows] matrix stored transposed as [rows, cols] at `offset`, laid out row-major. */
function rowMajor(x: TypedArray, offset: number, rows: number, cols: number): TypedArray {
  const out = new (x.constructor as new (length: number) => TypedArray)(rows * cols);
  transposeValues(x.subarray(offset, offset + rows * cols), [rows, cols], [1, 0], out);
  return out;
}
