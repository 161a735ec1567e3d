/**
 * Elementwise ops with NumPy broadcasting. Each differentiable op states its local partial
 * derivatives once; the VJP (dy · ∂f/∂x, summed back to the input's shape) and the JVP
 * (Σ t · ∂f/∂x) both follow from them.
 */
import { allocate, type DType } from "../storage/dtype";
import { currentBackend } from "../backend";
import { expand } from "../backend/kernels";
import { runOp, type OpDef } from "./op";
import { broadcastShapes, sizeOf, sameShape } from "../storage/shape";
import { castValues, sharingValues, Tensor } from "../storage/tensor";
import { toTensor, toTensorPair, type TensorLike } from "./convert";
import { binaryOp, castMask, unaryOp } from "./elementwise-factory";
import { sumTo, toShape } from "./grad-utils";

const toBool = (): DType => "bool";
const float = (t: Tensor): Tensor => t;
const mask = castMask;

// ---- binary arithmetic -------------------------------------------------------------------
export const add = binaryOp({ name: "add", tfName: "AddV2", kernel: { backend: "add" }, linear: [float, float], scaling: 1 });
export const sub = binaryOp({ name: "sub", tfName: "Sub", kernel: { backend: "sub" }, linear: [float, (g) => neg(g)], scaling: -1 });
// A product of a large tensor and a scalar waits to be read, so that add or sub can fuse it (scaled-product.ts).
export const mul = binaryOp({ name: "mul", tfName: "Mul", kernel: { backend: "mul" }, partials: [(a, b) => b, (a) => a], scaling: "defers" });
export const div = binaryOp({
  name: "div", tfName: "RealDiv", kernel: { backend: "div" },
  partials: [(a, b) => reciprocal(b), (a, b, y) => neg(div(y, b))],
});
export const pow = binaryOp({
  name: "pow", tfName: "Pow", kernel: "Math.pow(x, y)",
  partials: [
    (a, b) => mul(b, pow(a, sub(b, 1))),
    // d/db a^b = a^b·log a, defined as 0 where a <= 0 (as TensorFlow does).
    (a, b, y) => where(greater(a, 0), mul(y, log(where(greater(a, 0), a, 1))), 0),
  ],
});
export const maximum = binaryOp({
  name: "maximum", tfName: "Maximum", kernel: { backend: "maximum" },
  partials: [(a, b) => mask(greaterEqual(a, b), a), (a, b) => mask(less(a, b), a)],
});
export const minimum = binaryOp({
  name: "minimum", tfName: "Minimum", kernel: { backend: "minimum" },
  partials: [(a, b) => mask(lessEqual(a, b), a), (a, b) => mask(greater(a, b), a)],
});
export const squaredDifference = (a: TensorLike, b: TensorLike): Tensor => square(sub(a, b));
export const floorDiv = binaryOp({ name: "floorDiv", tfName: "FloorDiv", kernel: "Math.floor(x / y)", constant: true });
// x mod y = x - floor(x / y)·y, and floor is locally constant: ∂/∂x = 1, ∂/∂y = -floor(x / y).
export const mod = binaryOp({
  name: "mod", tfName: "FloorMod", kernel: "x - Math.floor(x / y) * y",
  partials: [(a, b, y) => onesLikeT(y), (a, b) => neg(floor(div(a, b)))],
});

// ---- comparisons and logic (boolean results, no gradient) ---------------------------------
export const greater = binaryOp({ name: "greater", tfName: "Greater", kernel: "x > y", outDType: toBool });
export const greaterEqual = binaryOp({ name: "greaterEqual", tfName: "GreaterEqual", kernel: "x >= y", outDType: toBool });
export const less = binaryOp({ name: "less", tfName: "Less", kernel: "x < y", outDType: toBool });
export const lessEqual = binaryOp({ name: "lessEqual", tfName: "LessEqual", kernel: "x <= y", outDType: toBool });
export const equal = binaryOp({ name: "equal", tfName: "Equal", kernel: "x === y", outDType: toBool });
export const notEqual = binaryOp({ name: "notEqual", tfName: "NotEqual", kernel: "x !== y", outDType: toBool });
export const logicalAnd = binaryOp({ name: "logicalAnd", tfName: "LogicalAnd", kernel: "x && y ? 1 : 0", outDType: toBool });
export const logicalOr = binaryOp({ name: "logicalOr", tfName: "LogicalOr", kernel: "x || y ? 1 : 0", outDType: toBool });
export const logicalNot = unaryOp({ name: "logicalNot", kernel: "x ? 0 : 1", outDType: toBool });

// ---- unary math --------------------------------------------------------------------------
export const neg = unaryOp({ name: "neg", kernel: { backend: "neg" }, linear: (g) => neg(g) });
export const identity = unaryOp({ name: "identity", kernel: "x", linear: float });
export const abs = unaryOp({ name: "abs", kernel: { backend: "abs" }, partial: (x) => sign(x) });
export const sign = unaryOp({ name: "sign", kernel: "x > 0 ? 1 : x < 0 ? -1 : x", partial: (x) => zerosLikeT(x) });
export const square = unaryOp({ name: "square", kernel: { backend: "square" }, partial: (x) => mul(x, 2) });
export const sqrt = unaryOp({ name: "sqrt", kernel: { backend: "sqrt" }, floatOnly: true, partial: (x, y) => div(0.5, y) });
export const rsqrt = unaryOp({ name: "rsqrt", kernel: "1 / Math.sqrt(x)", floatOnly: true, partial: (x, y) => mul(-0.5, pow(y, 3)) });
export const reciprocal = unaryOp({ name: "reciprocal", kernel: { backend: "reciprocal" }, floatOnly: true, partial: (x, y) => neg(square(y)) });
export const exp = unaryOp({ name: "exp", kernel: { backend: "exp" }, floatOnly: true, partial: (x, y) => y });
export const expm1 = unaryOp({ name: "expm1", kernel: { backend: "expm1" }, floatOnly: true, partial: (x, y) => add(y, 1) });
export const log = unaryOp({ name: "log", kernel: { backend: "log" }, floatOnly: true, partial: (x) => reciprocal(x) });
export const log1p = unaryOp({ name: "log1p", kernel: { backend: "log1p" }, floatOnly: true, partial: (x) => reciprocal(add(x, 1)) });
export const sin = unaryOp({ name: "sin", kernel: "Math.sin(x)", floatOnly: true, partial: (x) => cos(x) });
export const cos = unaryOp({ name: "cos", kernel: "Math.cos(x)", floatOnly: true, partial: (x) => neg(sin(x)) });
export const tan = unaryOp({ name: "tan", kernel: "Math.tan(x)", floatOnly: true, partial: (x, y) => add(square(y), 1) });
export const tanh = unaryOp({ name: "tanh", kernel: { backend: "tanh" }, floatOnly: true, partial: (x, y) => sub(1, square(y)) });
export const sigmoid = unaryOp({
  name: "sigmoid", kernel: { backend: "sigmoid" }, floatOnly: true,
  partial: (x, y) => mul(y, sub(1, y)),
});
export const softplus = unaryOp({
  name: "softplus", kernel: { backend: "softplus" }, floatOnly: true,
  partial: (x) => sigmoid(x),
});
export const relu = unaryOp({ name: "relu", kernel: { backend: "relu" }, partial: (x) => positiveMask(x) });

/** 1 where x > 0, else 0, in x's dtype: relu's derivative, one kernel pass, a constant to every tape. */
function positiveMask(x: Tensor): Tensor {
  const out = currentBackend().allocateOutput(x.dtype, x.size);
  currentBackend().unary("step", x.values, out);
  return new Tensor(out, x.shape, x.dtype);
}
export const elu = unaryOp({
  name: "elu", kernel: "x > 0 ? x : Math.expm1(x)", floatOnly: true,
  partial: (x, y) => where(greater(x, 0), onesLikeT(x), add(y, 1)),
});
export const floor = unaryOp({ name: "floor", kernel: "Math.floor(x)", partial: (x) => zerosLikeT(x) });
export const ceil = unaryOp({ name: "ceil", kernel: "Math.ceil(x)", partial: (x) => zerosLikeT(x) });
// Halves go to the even neighbour (banker's rounding), as TF's round and NumPy's do.
export const round = unaryOp({ name: "round", kernel: "Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x)", partial: (x) => zerosLikeT(x) });
export const isNaN = unaryOp({ name: "isNaN", kernel: "x !== x", outDType: toBool });
export const isFinite = unaryOp({ name: "isFinite", kernel: "Number.isFinite(x)", outDType: toBool });

function zerosLikeT(x: Tensor): Tensor {
  return new Tensor(allocate(x.dtype, x.size), x.shape, x.dtype);
}
function onesLikeT(x: Tensor): Tensor {
  return new Tensor(allocate(x.dtype, x.size).fill(1), x.shape, x.dtype);
}

// ---- selection ---------------------------------------------------------------------------
const broadcastValues = (t: Tensor, shape: number[]) => (t.size === sizeOf(shape) ? t.values : expand(t.values, t.shape, shape));

const whereDef: OpDef<undefined> = {
  name: "where",
  forward([c, a, b]) {
    const shape = broadcastShapes("where", broadcastShapes("where", c.shape, a.shape), b.shape);
    if (sameShape(c.shape, shape) && sameShape(a.shape, shape) && sameShape(b.shape, shape)) {
      const out = allocate(a.dtype, a.size);
      const cv = c.values, av = a.values, bv = b.values;
      for (let i = 0; i < out.length; i++) out[i] = cv[i] ? av[i] : bv[i];
      return new Tensor(out, shape, a.dtype);
    }
    const cv = broadcastValues(c, shape), av = broadcastValues(a, shape), bv = broadcastValues(b, shape);
    const out = allocate(a.dtype, cv.length);
    for (let i = 0; i < out.length; i++) out[i] = cv[i] ? av[i] : bv[i];
    return new Tensor(out, shape, a.dtype);
  },
  vjp(dy, { inputs: [c, a, b], output, needs }) {
    const batch = dy.rank - output.rank;
    const zero = zerosLikeT(dy);
    return [
      null,
      needs && !needs[1] ? null : sumTo(where(c, dy, zero), a.shape, batch),
      needs && !needs[2] ? null : sumTo(where(c, zero, dy), b.shape, batch),
    ];
  },
  jvp([, ta, tb], { inputs: [c, a], output }) {
    if (!ta && !tb) return null;
    const za = ta ?? zerosLikeT(a), zb = tb ?? zerosLikeT(a);
    return toShape(where(c, za, zb), output.shape);
  },
};

/** Picks from `a` where `condition` is true and from `b` elsewhere, broadcasting all three. */
export function where(condition: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const c = toTensor(condition, "where", "bool");
  const [ta, tb] = toTensorPair(a, b, "where", "SelectV2");
  return runOp(whereDef, [c.dtype === "bool" ? c : castValues(c, "bool"), ta, tb], undefined);
}

// ---- dtype and range -----------------------------------------------------------------------
const castDef: OpDef<{ dtype: DType }> = {
  name: "cast",
  forward([x], { dtype }) {
    const out = castValues(x, dtype);
    return out === x ? sharingValues(x) : out;
  },
  vjp: (dy, { inputs: [x] }) => [isFloatDType(x.dtype) && isFloatDType(dy.dtype) ? cast(dy, x.dtype) : null],
  jvp: ([t], { inputs: [x], attrs }) => (t && isFloatDType(attrs.dtype) && isFloatDType(x.dtype) ? cast(t, attrs.dtype) : null),
};
const isFloatDType = (d: DType): boolean => d === "float32" || d === "float64";

export function cast(x: TensorLike, dtype: DType): Tensor {
  return runOp(castDef, [toTensor(x, "cast")], { dtype });
}

export function clipByValue(x: TensorLike, clipValueMin: number, clipValueMax: number): Tensor {
  if (clipValueMin > clipValueMax) {
    throw new RangeError(`clipByValue: clipValueMin (${clipValueMin}) must not exceed clipValueMax (${clipValueMax})`);
  }
  return minimum(maximum(x, clipValueMin), clipValueMax);
}

/** Gradient-free copy: the result is a constant to every tape and accumulator. */
export function stopGradient(x: TensorLike): Tensor {
  return sharingValues(toTensor(x, "stopGradient"));
}
