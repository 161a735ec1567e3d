/** Forward-mode differentiation: tangents pushed through each op's JVP rule as it runs. */
import { activeDuring, activeRecorders, type OpDef, type Recorder, type Trackable } from "../ops/op";
import { toTensor, type TensorLike } from "../ops/convert";
import { zeros } from "../ops/creation";
import { formatShape } from "../storage/shape";
import { flatten, unflatten, type Structure } from "../storage/structure";
import { Tensor } from "../storage/tensor";
import { Variable } from "./variable";

const isLeaf = (x: unknown): boolean => x instanceof Tensor || x instanceof Variable;

export class ForwardAccumulator implements Recorder {
  private tangents = new Map<number, Tensor>();
  private paused = 0;

  constructor(primals: Structure<Tensor | Variable>, tangents: Structure<TensorLike>) {
    const ps = flatten(primals, isLeaf);
    const ts = flatten(tangents as Structure<unknown>, (x) => isLeaf(x) || !(Array.isArray(x) && isLeaf(x[0])));
    if (ps.length !== ts.length) {
      throw new Error(`ForwardAccumulator: got ${ps.length} primals but ${ts.length} tangents; give one tangent per primal`);
    }
    ps.forEach((p, i) => {
      if (!p) throw new TypeError(`ForwardAccumulator: primal ${i} is null; expected a tensor or a tf.Variable`);
      const t = toTensor(ts[i] as TensorLike, "ForwardAccumulator", p.dtype);
      if (t.shape.length !== p.shape.length || t.shape.some((d, k) => d !== p.shape[k])) {
        throw new Error(`ForwardAccumulator: tangent ${i} has shape ${formatShape(t.shape)} but its primal has shape ${formatShape(p.shape)}`);
      }
      this.tangents.set(p.id, t);
    });
  }

  /** Runs `fn` while this accumulator pushes tangents through every op. */
  record<T>(fn: () => T): T {
    if (activeRecorders.includes(this)) throw new Error("ForwardAccumulator: already recording; it cannot be re-entered");
    return activeDuring(this, fn);
  }

  onOp(op: OpDef<any>, inputs: readonly Trackable[], output: Tensor, attrs: unknown): void {
    if (this.paused) return;
    let any = false;
    const ts = inputs.map((x) => {
      const t = this.tangents.get(x.id) ?? null;
      if (t) any = true;
      return t;
    });
    if (!any) return;
    if (!op.jvp) {
      // Comparisons and other integer- or boolean-valued ops carry no tangent.
      if (output.dtype !== "float32" && output.dtype !== "float64") return;
      throw new Error(`${op.name}: no forward-mode (JVP) rule; this op cannot be used inside a ForwardAccumulator`);
    }
    // The rule's own ops must not feed back into this accumulator (outer ones still see them).
    this.paused++;
    try {
      const t = op.jvp(ts, { inputs: inputs as Tensor[], output, attrs });
      if (t) this.tangents.set(output.id, t);
    } finally {
      this.paused--;
    }
  }

  /** The tangent of `x` (a structure of tensors); null (or zeros) where `x` does not depend on the primals. */
  jvp(x: Structure<Tensor | Variable>, options: { unconnectedGradients?: "none" | "zero" } = {}): Structure<Tensor> {
    const leaves = flatten(x, isLeaf);
    const out = leaves.map((t) => {
      if (!t) return null;
      const tangent = this.tangents.get(t.id);
      if (tangent) return tangent;
      return options.unconnectedGradients === "zero" ? zeros(t.shape, t.dtype) : null;
    });
    return unflatten(x, out, isLeaf);
  }
}
