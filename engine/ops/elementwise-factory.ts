/**
 * How an elementwise op is made from its kernel and its local partial derivatives: the VJP
 * (dy · ∂f/∂x, summed back to the input's shape) and the JVP (Σ t · ∂f/∂x) both follow from them.
 */
import { allocate, type DType, type TypedArray } from "../storage/dtype";
import { binaryKernel, unaryKernel } from "../backend/kernels";
import { currentBackend, type BinaryKernelName, type UnaryKernelName } from "../backend";
import { runOp, type OpDef } from "./op";
import { broadcastShapes, sameShape, sizeOf } from "../storage/shape";
import { castValues, onlyValue, scalarTensor, Tensor } from "../storage/tensor";
import { assertFloat, toTensor, toTensorPair, type TensorLike } from "./convert";
// A cycle (elementwise's ops are made here): only function declarations cross it at load time.
import { mul } from "./elementwise";
import { sumTangents, sumTo, toShape } from "./grad-utils";
import { deferredScaling, sumWithScaled } from "./scaled-product";

/** A boolean condition as 0s and 1s of `like`'s dtype (a constant: masks carry no gradient). */
export function castMask(cond: Tensor, like: Tensor): Tensor {
  return castValues(cond, like.dtype);
}

/**
 * One-element scratch arrays per dtype (two operands and a result): a scalar op runs its
 * kernel on these and keeps only its result's value, in a slab (storage/tensor.ts), so it makes
 * no typed array of its own. Kernels run synchronously, so one set serves every op.
 */
const scratch: Record<DType, TypedArray[]> = {
  float32: [new Float32Array(1), new Float32Array(1), new Float32Array(1)],
  float64: [new Float64Array(1), new Float64Array(1), new Float64Array(1)],
  int32: [new Int32Array(1), new Int32Array(1), new Int32Array(1)],
  bool: [new Uint8Array(1), new Uint8Array(1), new Uint8Array(1)],
};
const RESULT = 2;

/** `t`'s one value in operand scratch array `slot` of its dtype. */
function scratchOperand(t: Tensor, slot: 0 | 1): TypedArray {
  const array = scratch[t.dtype][slot];
  array[0] = onlyValue(t);
  return array;
}

type Partial1 = (x: Tensor, y: Tensor) => Tensor;
type Partial2 = (a: Tensor, b: Tensor, y: Tensor) => Tensor;

interface UnarySpec {
  name: string;
  /** An expression in `x` compiled into its own loop, a function for what one expression cannot say, or a backend kernel. */
  kernel: string | ((x: number) => number) | { backend: UnaryKernelName };
  /** ∂y/∂x, elementwise; omitted for ops whose gradient is zero or undefined. */
  partial?: Partial1;
  /** Linear ops give their VJP/JVP directly instead of multiplying by a constant partial. */
  linear?: (g: Tensor) => Tensor;
  floatOnly?: boolean;
  outDType?: (d: DType) => DType;
}

export function unaryOp(spec: UnarySpec): (x: TensorLike) => Tensor {
  const { kernel: source } = spec;
  const kernel = typeof source === "string" ? unaryKernel(source) : typeof source === "function" ? mapKernel(source) : null;
  const backendKernel = typeof source === "object" ? source.backend : null;
  const { partial, linear } = spec;
  const def: OpDef<undefined> = {
    name: spec.name,
    forward([x]) {
      const dtype = spec.outDType ? spec.outDType(x.dtype) : x.dtype;
      if (x.size === 1) {
        const input = scratchOperand(x, 0), result = scratch[dtype][RESULT];
        if (kernel) kernel(input, result);
        else currentBackend().unary(backendKernel!, input, result);
        return scalarTensor(result[0], x.shape, dtype);
      }
      const out = kernel ? allocate(dtype, x.size) : currentBackend().allocateOutput(dtype, x.size);
      if (kernel) kernel(x.values, out);
      else currentBackend().unary(backendKernel!, x.values, out);
      return new Tensor(out, x.shape, dtype);
    },
    vjp: linear ? (dy) => [linear(dy)] : partial ? (dy, { inputs: [x], output }) => [mul(dy, partial(x, output))] : undefined,
    jvp: linear ? ([t]) => t && linear(t) : partial ? ([t], { inputs: [x], output }) => t && mul(t, partial(x, output)) : undefined,
  };
  return (x) => {
    const t = toTensor(x, spec.name);
    if (spec.floatOnly) assertFloat(t, spec.name);
    return runOp(def, [t], undefined);
  };
}

interface BinarySpec {
  name: string;
  /** TensorFlow's name for the op, used in dtype errors as TF words them. */
  tfName: string;
  /** An expression in `x` and `y` compiled into its own loop, or a backend kernel. */
  kernel: string | { backend: BinaryKernelName };
  /** [∂y/∂a, ∂y/∂b], each broadcastable to the output; computed only for inputs that need it. */
  partials?: [Partial2, Partial2];
  /** Linear ops: how a gradient or tangent passes through to each side. */
  linear?: [(g: Tensor) => Tensor, (g: Tensor) => Tensor];
  /** Piecewise-constant ops: no gradient and no tangent reach either input (TF's None). */
  constant?: boolean;
  outDType?: (d: DType) => DType;
  /**
   * mul: a large tensor times one element is deferred; add (+1) and sub (−1): one pass for a
   * deferred product on the right (either side for add). See scaled-product.ts.
   */
  scaling?: "defers" | 1 | -1;
}

/** A gradient summed back to its operand's shape; most already have it, and sumTo is skipped. */
const fitTo = (g: Tensor, shape: number[], batch: number): Tensor => (batch === 0 && sameShape(g.shape, shape) ? g : sumTo(g, shape, batch));

function mapKernel(f: (x: number) => number) {
  return (x: ArrayLike<number>, out: { [i: number]: number; length: number }): void => {
    for (let i = 0; i < out.length; i++) out[i] = f(x[i]);
  };
}

export function binaryOp(spec: BinarySpec): (a: TensorLike, b: TensorLike) => Tensor {
  const kernel = typeof spec.kernel === "string" ? binaryKernel(spec.kernel) : null;
  const backendKernel = typeof spec.kernel === "object" ? spec.kernel.backend : null;
  const { partials, linear, scaling } = spec;
  const values = (a: Tensor, b: Tensor, shape: number[], dtype: DType): TypedArray => {
    const out = kernel ? allocate(dtype, sizeOf(shape)) : currentBackend().allocateOutput(dtype, sizeOf(shape));
    if (kernel) kernel(a.values, a.shape, b.values, b.shape, out, shape);
    else currentBackend().binary(backendKernel!, a.values, a.shape, b.values, b.shape, out, shape);
    return out;
  };
  const def: OpDef<undefined> = {
    name: spec.name,
    forward([a, b]) {
      const shape = broadcastShapes(spec.name, a.shape, b.shape);
      const dtype = spec.outDType ? spec.outDType(a.dtype) : a.dtype;
      if (a.size === 1 && b.size === 1) {
        const x = scratchOperand(a, 0), y = scratchOperand(b, 1), result = scratch[dtype][RESULT];
        if (kernel) kernel(x, a.shape, y, b.shape, result, shape);
        else currentBackend().binary(backendKernel!, x, a.shape, y, b.shape, result, shape);
        return scalarTensor(result[0], shape, dtype);
      }
      if (scaling !== undefined) {
        const early = scaling === "defers" ? deferredScaling(a, b, shape, values) : sumWithScaled(a, b, shape, scaling);
        if (early) return early;
      }
      return new Tensor(values(a, b, shape, dtype), shape, dtype);
    },
    vjp: spec.constant ? () => [null, null] : linear || partials ? (dy, { inputs: [a, b], output, needs }) => {
      const batch = dy.rank - output.rank;
      const ga = needs && !needs[0] ? null : linear ? linear[0](dy) : mul(dy, partials![0](a, b, output));
      const gb = needs && !needs[1] ? null : linear ? linear[1](dy) : mul(dy, partials![1](a, b, output));
      return [ga && fitTo(ga, a.shape, batch), gb && fitTo(gb, b.shape, batch)];
    } : undefined,
    jvp: spec.constant ? () => null : linear || partials ? (tangents, { inputs: [a, b], output }) => {
      const term = (i: 0 | 1): Tensor | null => {
        const t = tangents[i];
        if (!t) return null;
        return linear ? linear[i](t) : mul(t, partials![i](a, b, output));
      };
      const t = sumTangents([term(0), term(1)]);
      return t && toShape(t, output.shape);
    } : undefined,
  };
  return (a, b) => runOp(def, toTensorPair(a, b, spec.name, spec.tfName), undefined);
}

