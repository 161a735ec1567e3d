/** tf.Variable: a named, mutable holder of a tensor value, watched automatically by tapes when trainable. */
import { isFloat, type DType } from "../storage/dtype";
import { isRecording, notify, type OpDef } from "../ops/op";
import { READ_VALUE, toTensor, type Readable, type TensorLike } from "../ops/convert";
import { add, sub } from "../ops/elementwise";
import { tupleShape } from "../storage/shape";
import { fromValues, newId, Tensor } from "../storage/tensor";
import type { NestedValues } from "../../display/contract";
import type { TensorMethods } from "../ops/methods";

export interface VariableOptions {
  name?: string;
  trainable?: boolean;
  dtype?: DType;
}

/** A read of a variable, as tapes record it: the gradient passes straight through to the variable. */
export const readVariableOp: OpDef<undefined> = {
  name: "ReadVariable",
  forward: () => {
    throw new Error("ReadVariable is recorded, never run");
  },
  vjp: (dy) => [dy],
  jvp: ([t]) => t,
};

/** The chainable ops (`x.mul(y)`), installed on the prototype by methods.ts. */
export interface Variable extends TensorMethods {}

export class Variable implements Readable {
  readonly id = newId();
  /** Scratch marks for the gradient walk (tape.ts). */
  reachMark = 0;
  /** The tape that recorded the op producing this value, and any nested ones (tape.ts). */
  tapeMark = 0;
  otherTapeMarks?: number[] = undefined;
  name: string;
  readonly trainable: boolean;
  private current: Tensor;

  constructor(initialValue: TensorLike | (() => TensorLike), options: VariableOptions = {}) {
    const initial = typeof initialValue === "function" ? initialValue() : initialValue;
    const t = toTensor(initial instanceof Variable ? initial.value() : initial, "Variable");
    this.current = options.dtype && options.dtype !== t.dtype ? fromValues(t, undefined, options.dtype) : new Tensor(t.values, t.shape, t.dtype);
    this.name = options.name ?? "Variable";
    this.trainable = options.trainable ?? isFloat(this.current.dtype);
  }

  get shape(): number[] { return this.current.shape; }
  get dtype(): DType { return this.current.dtype; }
  get size(): number { return this.current.size; }
  get rank(): number { return this.current.rank; }

  /** The current value, without telling any tape about the read. */
  value(): Tensor {
    return this.current;
  }

  /** The current value as an op input: active tapes record the read (and watch the variable). */
  [READ_VALUE](): Tensor {
    const value = this.current;
    if (!isRecording()) return value;
    const read = new Tensor(value.values, value.shape, value.dtype);
    notify({ op: readVariableOp, inputs: [this], output: read, attrs: undefined });
    return read;
  }

  read(): Tensor {
    return this[READ_VALUE]();
  }

  assign(value: TensorLike): this {
    const t = toTensor(value instanceof Variable ? value.value() : value, `${this.name}.assign`, this.dtype);
    if (t.shape.length !== this.shape.length || t.shape.some((d, i) => d !== this.shape[i])) {
      throw new Error(
        `Cannot assign to variable ${this.name}:0 due to variable shape ${tupleShape(this.shape)} and value shape ${tupleShape(t.shape)} are incompatible`,
      );
    }
    if (t.dtype !== this.dtype) throw new TypeError(`Cannot assign a ${t.dtype} value to variable ${this.name}:0 of dtype ${this.dtype}`);
    // A fresh tensor, so values that tapes recorded earlier keep the old numbers.
    this.current = new Tensor(t.values, this.shape, this.dtype);
    return this;
  }

  assignAdd(delta: TensorLike): this {
    return this.assign(add(this.current, toTensor(delta, `${this.name}.assignAdd`, this.dtype)));
  }

  /** For a large variable, `v.assignSub(tf.mul(gradient, learningRate))` is one pass over its values (ops/scaled-product.ts). */
  assignSub(delta: TensorLike): this {
    return this.assign(sub(this.current, toTensor(delta, `${this.name}.assignSub`, this.dtype)));
  }

  numpy(): NestedValues { return this.current.numpy(); }
  arraySync(): NestedValues { return this.current.numpy(); }
  dataSync() { return this.current.dataSync(); }
  item(): number { return this.current.item(); }
}
