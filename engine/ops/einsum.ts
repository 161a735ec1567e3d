/**
 * tf.einsum in general: any subscripts, repeated labels (diagonals and traces), `...` with
 * broadcasting, implicit output. One op sums products over every label combination; its gradient
 * for an operand is the einsum of the output's gradient with the other operands, so every order
 * of derivative is again an einsum.
 */
import { allocate } from "../storage/dtype";
import { runOp, type OpDef } from "./op";
import { formatShape, sizeOf, stridesOf } from "../storage/shape";
import { Tensor } from "../storage/tensor";
import { toTensor, type TensorLike } from "./convert";
import { sumTangents } from "./grad-utils";
import { reduceSum } from "./reduce";

/** Labels are numbers: letters by char code, ellipsis axes from 1000, gradient batch axes from 2000. */
interface EinsumAttrs {
  operands: number[][];
  /** May repeat a label (the values go on that diagonal) or name a label no operand has (broadcast). */
  output: number[];
  sizes: Map<number, number>;
}

function einsumForward(xs: Tensor[], { operands, output, sizes }: EinsumAttrs): Tensor {
  const labels = [...new Set([...output, ...operands.flat()])];
  const dims = labels.map((l) => sizes.get(l)!);
  const outShape = output.map((l) => sizes.get(l)!);
  const out = allocate(xs[0].dtype, sizeOf(outShape));
  if (out.length === 0 || dims.some((d) => d === 0)) return new Tensor(out, outShape, xs[0].dtype);
  // Per label, how far each operand's (and the output's) offset moves when that label steps by one.
  const strideTable = (labelList: number[], shape: number[]): number[] => {
    const strides = stridesOf(shape);
    return labels.map((l) => labelList.reduce((s, m, i) => (m === l && shape[i] !== 1 ? s + strides[i] : s), 0));
  };
  const operandStrides = operands.map((ls, k) => strideTable(ls, xs[k].shape));
  const outStrides = strideTable(output, outShape);
  const last = labels.length - 1;
  const idx = new Array<number>(labels.length).fill(0);
  const offsets = new Array<number>(xs.length).fill(0);
  const values = xs.map((x) => x.values);
  let outOffset = 0;
  const innerDim = dims[last], innerOut = outStrides[last], innerStrides = operandStrides.map((s) => s[last]);
  for (;;) {
    for (let j = 0; j < innerDim; j++) {
      let p = 1;
      for (let k = 0; k < values.length; k++) p *= values[k][offsets[k] + j * innerStrides[k]];
      out[outOffset + j * innerOut] += p;
    }
    let d = last - 1;
    for (; d >= 0; d--) {
      idx[d]++;
      outOffset += outStrides[d];
      for (let k = 0; k < offsets.length; k++) offsets[k] += operandStrides[k][d];
      if (idx[d] < dims[d]) break;
      outOffset -= outStrides[d] * dims[d];
      for (let k = 0; k < offsets.length; k++) offsets[k] -= operandStrides[k][d] * dims[d];
      idx[d] = 0;
    }
    if (d < 0) break;
  }
  return new Tensor(out, outShape, xs[0].dtype);
}

const einsumDef: OpDef<EinsumAttrs> = {
  name: "einsum",
  forward: einsumForward,
  vjp(dy, { inputs, output, attrs, needs }) {
    const batch = Array.from({ length: dy.rank - output.rank }, (_, i) => 2000 + i);
    const sizes = new Map(attrs.sizes);
    batch.forEach((l, i) => sizes.set(l, dy.shape[i]));
    return inputs.map((x, k) => {
      if (needs && !needs[k]) return null;
      const others = inputs.filter((_, j) => j !== k);
      const labels = attrs.operands[k];
      const g = runOp(einsumDef, [dy, ...others], {
        operands: [[...batch, ...attrs.output], ...attrs.operands.filter((_, j) => j !== k)],
        output: [...batch, ...labels],
        sizes,
      });
      // An operand broadcast along an axis (size 1 there) gets that axis's gradient summed.
      const broadcastAxes = labels.flatMap((l, i) => (x.shape[i] === 1 && sizes.get(l)! > 1 ? [batch.length + i] : []));
      return broadcastAxes.length ? reduceSum(g, broadcastAxes, true) : g;
    });
  },
  jvp(tangents, { inputs, attrs }) {
    return sumTangents(tangents.map((t, k) => {
      if (!t) return null;
      const xs = inputs.slice();
      xs[k] = t;
      return runOp(einsumDef, xs, attrs);
    }));
  },
};

/**
 * The op itself on label numbers: `output` may repeat a label (values placed on that diagonal,
 * zeros elsewhere), which the public subscripts do not allow.
 */
export function einsumLabels(xs: Tensor[], operands: number[][], output: number[]): Tensor {
  const sizes = new Map<number, number>();
  operands.forEach((ls, k) => ls.forEach((l, i) => sizes.set(l, Math.max(sizes.get(l) ?? 1, xs[k].shape[i]))));
  return runOp(einsumDef, xs, { operands, output, sizes });
}

const ELLIPSIS = 1000;

function parseLabels(op: string, text: string): (number | "...")[] {
  const labels: (number | "...")[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith("...", i)) { labels.push("..."); i += 2; continue; }
    const c = text[i];
    if (!/[a-zA-Z]/.test(c)) throw new SyntaxError(`${op}: invalid character '${c}' in subscripts '${text}'`);
    labels.push(c.charCodeAt(0));
  }
  if (labels.filter((l) => l === "...").length > 1) throw new SyntaxError(`${op}: more than one ellipsis in subscripts '${text}'`);
  return labels;
}

function parseOperand(op: string, text: string, shape: number[], which: number): { labels: (number | "...")[]; ellipsisRank: number } {
  const labels = parseLabels(op, text);
  const hasEllipsis = labels.includes("...");
  const named = labels.length - (hasEllipsis ? 1 : 0);
  const ellipsisRank = shape.length - named;
  if (ellipsisRank < 0 || (!hasEllipsis && ellipsisRank !== 0)) {
    throw new Error(`${op}: subscripts '${text}' name ${named} axes but input ${which} has shape ${formatShape(shape)}`);
  }
  return { labels, ellipsisRank };
}

/**
 * tf.einsum(equation, ...inputs): e.g. "ij,jk->ik" (matmul), "bi,bi->b" (batched dot),
 * "ii->" (trace), "ii->i" (diagonal), "...ij,...jk->...ik" (broadcast batch matmul), "ij->ji".
 */
export function einsum(equation: string, ...inputs: TensorLike[]): Tensor {
  const op = "einsum";
  if (typeof equation !== "string") throw new TypeError(`${op}: the equation must be a string such as 'ij,jk->ik'`);
  const xs = inputs.map((x) => toTensor(x, op));
  if (xs.length === 0) throw new Error(`${op}: expected at least one input tensor`);
  for (const x of xs) if (x.dtype !== xs[0].dtype) throw new TypeError(`${op}: inputs must share one dtype, got ${xs.map((t) => t.dtype).join(", ")}`);
  const eq = equation.replace(/\s+/g, "");
  const [lhs, rhs] = eq.includes("->") ? eq.split("->") : [eq, undefined];
  const parts = lhs.split(",");
  if (parts.length !== xs.length) throw new Error(`${op}: equation '${equation}' has ${parts.length} operands but ${xs.length} tensors were given`);
  const parsed = parts.map((p, k) => parseOperand(op, p, xs[k].shape, k));
  const ellipsisRank = Math.max(0, ...parsed.map((p) => p.ellipsisRank));
  const ellipsisLabels = Array.from({ length: ellipsisRank }, (_, i) => ELLIPSIS + i);
  const sizes = new Map<number, number>();
  const operands = parsed.map(({ labels, ellipsisRank: r }, k) => {
    const expanded = labels.flatMap((l) => (l === "..." ? ellipsisLabels.slice(ellipsisRank - r) : [l]));
    expanded.forEach((l, i) => {
      const d = xs[k].shape[i], known = sizes.get(l);
      const broadcastable = l >= ELLIPSIS && (d === 1 || known === 1);
      if (known !== undefined && known !== d && !broadcastable) {
        const name = l >= ELLIPSIS ? "'...'" : `'${String.fromCharCode(l)}'`;
        throw new Error(`${op}: label ${name} has size ${known} in one input but ${d} in input ${k} (shape ${formatShape(xs[k].shape)}) for '${equation}'`);
      }
      sizes.set(l, known === undefined || known === 1 ? d : known);
    });
    return expanded;
  });
  let output: number[];
  if (rhs === undefined) {
    // Implicit form: the broadcast axes, then every label used exactly once, alphabetically.
    const counts = new Map<number, number>();
    for (const l of operands.flat()) if (l < ELLIPSIS) counts.set(l, (counts.get(l) ?? 0) + 1);
    output = [...ellipsisLabels, ...[...counts].filter(([, n]) => n === 1).map(([l]) => l).sort((a, b) => a - b)];
  } else {
    const out = parseLabels(op, rhs);
    output = out.flatMap((l) => (l === "..." ? ellipsisLabels : [l]));
    for (const l of output) {
      if (!sizes.has(l)) throw new Error(`${op}: output label '${String.fromCharCode(l)}' in '${equation}' appears in no input`);
    }
    if (new Set(output).size !== output.length) throw new Error(`${op}: output subscripts '${rhs}' repeat a label`);
  }
  return runOp(einsumDef, xs, { operands, output, sizes });
}

/** tf.tensordot: sums over `axes` of a and b — a count (last of a with first of b) or a pair of axis lists. */
export function tensordot(a: TensorLike, b: TensorLike, axes: number | [number[], number[]] = 2): Tensor {
  const ta = toTensor(a, "tensordot"), tb = toTensor(b, "tensordot");
  const [aAxes, bAxes] = typeof axes === "number"
    ? [Array.from({ length: axes }, (_, i) => ta.rank - axes + i), Array.from({ length: axes }, (_, i) => i)]
    : axes.map((list, k) => list.map((v) => (v < 0 ? v + (k === 0 ? ta.rank : tb.rank) : v)));
  if (aAxes.length !== bAxes.length || aAxes.some((ax, i) => ta.shape[ax] !== tb.shape[bAxes[i]])) {
    throw new Error(`tensordot: axes ${JSON.stringify(axes)} do not pair up shapes ${formatShape(ta.shape)} and ${formatShape(tb.shape)}`);
  }
  const letter = (i: number): string => String.fromCharCode(i < 26 ? 97 + i : 65 + i - 26);
  const aLabels = ta.shape.map((_, i) => letter(i));
  const bLabels = tb.shape.map((_, i) => {
    const paired = bAxes.indexOf(i);
    return paired >= 0 ? aLabels[aAxes[paired]] : letter(ta.rank + i);
  });
  const outLabels = [...aLabels.filter((_, i) => !aAxes.includes(i)), ...bLabels.filter((_, i) => !bAxes.includes(i))];
  return einsum(`${aLabels.join("")},${bLabels.join("")}->${outLabels.join("")}`, ta, tb);
}

/** The outer product: every element of a times every element of b, shape [...a.shape, ...b.shape]. */
export function outerProduct(a: TensorLike, b: TensorLike): Tensor {
  return tensordot(a, b, 0);
}
