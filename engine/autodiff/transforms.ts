/** Function transforms in the style of JAX and TF.js, built on GradientTape and ForwardAccumulator. */
import { ForwardAccumulator } from "./forward";
import { runOp, withoutRecording, type OpDef } from "../ops/op";
import { toTensor, type TensorLike } from "../ops/convert";
import { zerosLike } from "../ops/creation";
import { formatShape } from "../storage/shape";
import { GradientTape } from "./tape";
import { Tensor } from "../storage/tensor";
import { Variable } from "./variable";

type Fn = (...args: Tensor[]) => Tensor;

const asInputs = (args: TensorLike[], op: string): Tensor[] =>
  args.map((a) => (a instanceof Variable ? a.value() : toTensor(a, op)));

/** Runs `fn` on `tape` with `xs` watched: Python's `with tape: tape.watch(xs); ...`. */
function recordWatching<T>(tape: GradientTape, xs: Tensor | Tensor[], fn: () => T): T {
  return tape.record(() => {
    tape.watch(xs);
    return fn();
  });
}

function scalarOutput(y: unknown, op: string): Tensor {
  if (!(y instanceof Tensor)) throw new TypeError(`${op}: f must return a tensor, got ${y === null ? "null" : typeof y}`);
  if (y.size !== 1) {
    throw new Error(`${op}: f must return a scalar, got shape ${formatShape(y.shape)}; use tf.vjp or tf.jacobian for non-scalar outputs`);
  }
  return y;
}

/** Value and gradients of f at args, with respect to the arguments at `argnums`. */
function differentiate(f: Fn, args: TensorLike[], argnums: number[], op: string): { value: Tensor; grads: Tensor[] } {
  const xs = asInputs(args, op);
  for (const i of argnums) if (i < 0 || i >= xs.length) throw new RangeError(`${op}: argument ${i} does not exist (f was called with ${xs.length})`);
  const tape = new GradientTape();
  const value = recordWatching(tape, argnums.map((i) => xs[i]), () => scalarOutput(f(...xs), op));
  const grads = tape.gradient(value, argnums.map((i) => xs[i]), { unconnectedGradients: "zero" }) as Tensor[];
  return { value, grads };
}

/** tf.grad(f)(x): the gradient of scalar-valued f with respect to its first argument. */
export function grad(f: Fn, options: { argnum?: number } = {}): (...args: TensorLike[]) => Tensor {
  return (...args) => differentiate(f, args, [options.argnum ?? 0], "grad").grads[0];
}

/** tf.grads(f)(a, b, ...): gradients with respect to every argument. */
export function grads(f: Fn): (...args: TensorLike[]) => Tensor[] {
  return (...args) => differentiate(f, args, args.map((_, i) => i), "grads").grads;
}

export function valueAndGrad(f: Fn, options: { argnum?: number } = {}): (...args: TensorLike[]) => { value: Tensor; grad: Tensor } {
  return (...args) => {
    const { value, grads: g } = differentiate(f, args, [options.argnum ?? 0], "valueAndGrad");
    return { value, grad: g[0] };
  };
}

export function valueAndGrads(f: Fn): (...args: TensorLike[]) => { value: Tensor; grads: Tensor[] } {
  return (...args) => differentiate(f, args, args.map((_, i) => i), "valueAndGrads");
}

/** tf.jacobian(f)(x): ∂f(x)/∂x with shape [...f(x).shape, ...x.shape]. */
export function jacobian(f: (x: Tensor) => Tensor): (x: TensorLike) => Tensor {
  return (x) => {
    const [t] = asInputs([x], "jacobian");
    const tape = new GradientTape();
    const y = recordWatching(tape, t, () => f(t));
    return tape.jacobian(y, t, { unconnectedGradients: "zero" }) as Tensor;
  };
}

/** tf.hessian(f)(x): second derivatives of scalar-valued f, shape [...x.shape, ...x.shape]. */
export function hessian(f: (x: Tensor) => Tensor): (x: TensorLike) => Tensor {
  return (x) => {
    const [t] = asInputs([x], "hessian");
    const outer = new GradientTape();
    const g = recordWatching(outer, t, () => {
      const inner = new GradientTape();
      const y = recordWatching(inner, t, () => scalarOutput(f(t), "hessian"));
      return inner.gradient(y, t, { unconnectedGradients: "zero" }) as Tensor;
    });
    const h = outer.jacobian(g, t, { unconnectedGradients: "zero" }) as Tensor;
    h.derivativeMatrix = { kind: "hessian", targetShape: t.shape.slice(), sourceShape: t.shape.slice() };
    return h;
  };
}

/** Forward mode: [f(...primals), the directional derivative along tangents]. */
export function jvp(f: Fn, primals: TensorLike[], tangents: TensorLike[]): [Tensor, Tensor] {
  const xs = asInputs(primals, "jvp");
  const acc = new ForwardAccumulator(xs, tangents.map((t, i) => toTensor(t, "jvp", xs[i]?.dtype)));
  const y = acc.record(() => f(...xs));
  return [y, (acc.jvp(y) as Tensor | null) ?? zerosLike(y)];
}

/** Reverse mode: [f(...primals), a function from an output cotangent to the inputs' gradients]. */
export function vjp(f: Fn, ...primals: TensorLike[]): [Tensor, (cotangent: TensorLike) => Tensor[]] {
  const xs = asInputs(primals, "vjp");
  const tape = new GradientTape({ persistent: true });
  const y = recordWatching(tape, xs, () => f(...xs));
  return [y, (ct) => tape.gradient(y, xs, { outputGradients: ct, unconnectedGradients: "zero" }) as Tensor[]];
}

export interface CustomGradientResult {
  value: Tensor;
  /** Gradients of each input given the output's gradient; written with engine ops it can itself be differentiated. */
  grad: (dy: Tensor) => TensorLike | null | (TensorLike | null)[];
}

/** Wraps f so that tapes use its `grad` instead of differentiating what f computes. */
export function customGradient(f: (...inputs: Tensor[]) => CustomGradientResult): (...inputs: TensorLike[]) => Tensor {
  return (...args) => {
    const inputs = args.map((a) => toTensor(a, "customGradient"));
    const { value, grad: gradFn } = withoutRecording(() => f(...inputs));
    if (!(value instanceof Tensor)) throw new TypeError("customGradient: f must return {value, grad} with value a tensor");
    if (typeof gradFn !== "function") throw new TypeError("customGradient: f must return {value, grad} with grad a function");
    const op: OpDef<undefined> = {
      name: "customGradient",
      batchable: false,
      forward: () => new Tensor(value.values, value.shape, value.dtype),
      vjp: (dy) => {
        const out = gradFn(dy);
        const list = Array.isArray(out) && inputs.length > 1 ? out : [out];
        if (list.length !== inputs.length) {
          throw new Error(`customGradient: grad returned ${list.length} gradients for ${inputs.length} inputs`);
        }
        return list.map((g, i) => (g === null || g === undefined ? null : toTensor(g as TensorLike, "customGradient", inputs[i].dtype)));
      },
    };
    return runOp(op, inputs, undefined);
  };
}

/** tf.cond: runs the branch `pred` selects; tapes record only that branch, as in TF's eager mode. */
export function cond<T>(pred: TensorLike, trueFn: () => T, falseFn: () => T): T {
  const p = typeof pred === "boolean" ? pred : toTensor(pred, "cond");
  const value = typeof p === "boolean" ? p : p.size === 1 ? Boolean(p.values[0]) : undefined;
  if (value === undefined) throw new Error(`cond: pred must be a scalar boolean, got shape ${formatShape((p as Tensor).shape)}`);
  return value ? trueFn() : falseFn();
}
