import { allocate, assertDType, isFloat, scalarSlab, type DType, type TypedArray } from "./dtype";
import { sizeOf, type Shape } from "./shape";
import { currentBackend } from "../backend";
import type { NestedValues } from "../../display/contract";
import type { TensorMethods } from "../ops/methods";

let nextId = 1;
/** Ids shared by tensors and variables, so a tape can track both in one set. */
export function newId(): number {
  return nextId++;
}

/** Marks a tensor as a Jacobian or Hessian, so it displays as a heatmap too. */
export interface DerivativeMatrixHint {
  kind: "jacobian" | "hessian";
  targetShape: number[];
  sourceShape: number[];
  title?: string;
}

/**
 * An immutable n-dimensional array. Values live in one row-major typed array, so kernels can
 * work on flat memory; nothing ever writes to `values` after construction. A one-element tensor
 * may instead hold one slot of a shared slab (`scalarTensor`): its `values` view of that slot is
 * made only when something asks for it. A deferred tensor (`deferredTensor`) has its values
 * computed when first read, so an op that consumes it whole may compute from its recipe instead.
 */
/** The chainable ops (`x.mul(y)`), installed on the prototype by methods.ts. */
export interface Tensor extends TensorMethods {}

export class Tensor {
  readonly id = newId();
  // Fields most tensors never set are declared only: they take no room until one is set (a
  // tape keeps every tensor it recorded, so each word of a tensor counts).
  declare name?: string;
  /** Set on results of jacobian/hessian. */
  declare derivativeMatrix?: DerivativeMatrixHint;
  /** Scratch mark for the gradient walk (backprop.ts): cheaper than sets of ids. */
  reachMark = 0;
  /** The tape that recorded the op producing this value, and any nested ones (tape.ts). */
  tapeMark = 0;
  declare otherTapeMarks?: number[];
  /** The values, a slab one of whose elements is this tensor's one value, or (deferred) nothing yet. */
  private data: TypedArray;
  /**
   * The number of values, -1 - slot for a tensor whose one value is data[slot], or DEFERRED:
   * one field says all three, and `size` reads it without a typed array's length check.
   */
  private extent: number;
  readonly shape: number[];
  readonly dtype: DType;

  constructor(values: TypedArray, shape: number[], dtype: DType, slot = -1) {
    this.data = values;
    this.extent = slot < 0 ? values.length : -1 - slot;
    this.shape = shape;
    this.dtype = dtype;
  }

  get size(): number {
    return this.extent >= 0 ? this.extent : this.extent !== DEFERRED ? 1 : sizeOf(this.shape);
  }

  get values(): TypedArray {
    if (this.extent < 0) {
      if (this.extent === DEFERRED) return computeDeferred(this);
      // The view shares the slab, so the slot stays this tensor's one value either way.
      const slot = -1 - this.extent;
      this.data = this.data.subarray(slot, slot + 1);
      this.extent = 1;
    }
    return this.data;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** A number for a scalar, nested arrays otherwise (booleans for bool), like TF's numpy(). */
  numpy(): NestedValues {
    return toNested(this.values, this.shape, this.dtype);
  }

  arraySync(): NestedValues {
    return this.numpy();
  }

  dataSync(): TypedArray {
    return this.values.slice();
  }

  /** Node's console.log shows a tensor's fields: a deferred one computes its values first, as every read does. */
  [Symbol.for("nodejs.util.inspect.custom")](depth: number, options: { stylize(text: string, style: string): string }, inspect: (value: unknown, options: object) => string): string {
    if (depth < 0) return options.stylize("[Tensor]", "special");
    if (this.extent === DEFERRED) void this.values;
    return inspect(this, { ...options, customInspect: false });
  }

  /** The value of a one-element tensor: a number (true or false for a bool tensor, which JavaScript's arithmetic reads as 1 or 0). */
  item(): number;
  item(): number | boolean {
    if (this.size !== 1) {
      throw new Error(`item: can only convert a tensor of one element to a scalar, got shape [${this.shape.join(",")}]`);
    }
    const value = onlyValue(this);
    return this.dtype === "bool" ? value !== 0 : value;
  }
}

/** `extent` of a tensor whose values are not computed yet; slab slots never reach it. */
const DEFERRED = -(2 ** 30);

/** How a deferred tensor's values are made. Ops may look at it to compute from it directly. */
export interface DeferredValues {
  /** The values, once: a fresh array of the tensor's size and dtype. */
  compute(): TypedArray;
}

const deferred = new WeakMap<Tensor, DeferredValues>();
const NO_VALUES: Record<DType, TypedArray> = {
  float32: new Float32Array(0), float64: new Float64Array(0), int32: new Int32Array(0), bool: new Uint8Array(0),
};

/**
 * A tensor of more than one element whose values `recipe` computes when something first reads
 * them (every read goes through `values`); until then it holds no array of its own.
 */
export function deferredTensor(shape: number[], dtype: DType, recipe: DeferredValues): Tensor {
  if (sizeOf(shape) < 2) throw new Error(`deferredTensor: shape [${shape.join(",")}] has fewer than 2 elements; one-element tensors live in slabs`);
  const t = new Tensor(NO_VALUES[dtype], shape, dtype);
  t["extent"] = DEFERRED;
  deferred.set(t, recipe);
  return t;
}

/** The recipe of a tensor whose values are not computed yet, else undefined. */
export function deferredValuesOf(t: Tensor): DeferredValues | undefined {
  return t["extent"] === DEFERRED ? deferred.get(t) : undefined;
}

function computeDeferred(t: Tensor): TypedArray {
  const values = deferred.get(t)!.compute();
  if (values.length !== t.size) throw new Error(`deferred tensor of shape [${t.shape.join(",")}]: its recipe made ${values.length} values`);
  t["data"] = values;
  t["extent"] = values.length;
  deferred.delete(t);
  return values;
}

/** The value of a one-element tensor, read without making a view of its slab. */
export function onlyValue(t: Tensor): number {
  // Element access reaches the private storage from outside the class, on purpose.
  const extent = t["extent"];
  return t["data"][extent < 0 ? -1 - extent : 0];
}

/** A one-element tensor of any shape, held in a shared slab (stored as the dtype's array stores it). */
export function scalarTensor(value: number, shape: number[], dtype: DType): Tensor {
  const slab = scalarSlab(dtype);
  const slot = slab.used++;
  slab.values[slot] = value;
  return new Tensor(slab.values, shape, dtype, slot);
}

/** A new tensor over the same values (a slab scalar keeps its slot: no view is made). */
export function sharingValues(t: Tensor, shape: number[] = t.shape): Tensor {
  const extent = t["extent"];
  if (extent === DEFERRED) return new Tensor(t.values, shape, t.dtype);
  return new Tensor(t["data"], shape, t.dtype, extent < 0 ? -1 - extent : -1);
}

export function makeTensor(values: TypedArray, shape: Shape, dtype: DType): Tensor {
  return new Tensor(values, shape as number[], dtype);
}

const SCALAR_SHAPE: number[] = [];

export function scalar(value: number, dtype: DType = "float32"): Tensor {
  return scalarTensor(value, SCALAR_SHAPE, dtype);
}

export function toNested(values: TypedArray, shape: Shape, dtype: DType): NestedValues {
  const read = dtype === "bool" ? (i: number) => values[i] !== 0 : (i: number) => values[i];
  if (shape.length === 0) return read(0);
  let offset = 0;
  const build = (dim: number): NestedValues[] => {
    const out: NestedValues[] = new Array(shape[dim]);
    for (let i = 0; i < shape[dim]; i++) out[i] = dim === shape.length - 1 ? read(offset++) : build(dim + 1);
    return out;
  };
  return build(0);
}

/** Infers the shape of nested arrays, checking that they are rectangular. */
export function inferShape(value: unknown, where: string): number[] {
  const shape: number[] = [];
  let v = value;
  while (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const arr = v as ArrayLike<unknown>;
    shape.push(arr.length);
    if (arr.length === 0) break;
    v = arr[0];
  }
  const check = (x: unknown, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (Array.isArray(x)) throw new Error(`${where}: ragged nested array at ${path}: expected a number`);
      return;
    }
    const arr = x as ArrayLike<unknown>;
    if (!(Array.isArray(x) || ArrayBuffer.isView(x)) || arr.length !== shape[dim]) {
      throw new Error(`${where}: ragged nested array at ${path || "top level"}: expected length ${shape[dim]} to match shape [${shape.join(",")}]`);
    }
    if (dim + 1 < shape.length) for (let i = 0; i < arr.length; i++) check(arr[i], dim + 1, `${path}[${i}]`);
  };
  check(value, 0, "");
  return shape;
}

function flatten(value: unknown, out: TypedArray, where: string): void {
  let k = 0;
  const visit = (x: unknown): void => {
    if (Array.isArray(x) || ArrayBuffer.isView(x)) {
      const arr = x as ArrayLike<unknown>;
      for (let i = 0; i < arr.length; i++) visit(arr[i]);
    } else if (typeof x === "number") out[k++] = x;
    else if (typeof x === "boolean") out[k++] = x ? 1 : 0;
    else throw new TypeError(`${where}: expected numbers or booleans, got ${x === null ? "null" : typeof x}`);
  };
  visit(value);
}

function inferDType(value: unknown): DType {
  let v = value;
  while (Array.isArray(v)) v = v[0];
  if (typeof v === "boolean") return "bool";
  if (value instanceof Int32Array) return "int32";
  if (value instanceof Float64Array) return "float64";
  return "float32";
}

/** Builds a tensor from numbers, booleans, nested arrays or typed arrays (tf.constant). */
export function fromValues(value: unknown, shape?: Shape, dtype?: DType, where = "constant"): Tensor {
  if (value instanceof Tensor) {
    if (shape && sizeOf(shape) !== value.size) {
      throw new Error(`${where}: cannot reshape a tensor of ${value.size} elements to shape [${shape.join(",")}]`);
    }
    const dt = dtype ?? value.dtype;
    const vals = allocate(dt, value.size);
    vals.set(value.values);
    return new Tensor(vals, shape ? shape.slice() : value.shape.slice(), dt);
  }
  const dt = dtype ? assertDType(dtype, where) : inferDType(value);
  if ((typeof value === "number" || typeof value === "boolean") && (!shape || sizeOf(shape) === 1)) {
    return scalarTensor(Number(value), shape ? shape.slice() : SCALAR_SHAPE, dt);
  }
  // Typed arrays and flat arrays of numbers: one copy, no walk.
  if (ArrayBuffer.isView(value) || (Array.isArray(value) && (value.length === 0 || typeof value[0] === "number") && value.every((v) => typeof v === "number"))) {
    // Every element is written, so the backend may place the values where its kernels work.
    const flat = currentBackend().allocateOutput(dt, (value as ArrayLike<number>).length);
    flat.set(value as ArrayLike<number>);
    return reshapeFlat(flat, [flat.length], shape, dt, where);
  }
  const inferred = inferShape(value, where);
  const flat = allocate(dt, sizeOf(inferred));
  flatten(value, flat, where);
  return reshapeFlat(flat, inferred, shape, dt, where);
}

/** A tensor of the given shape from flat values (one value fills any shape). */
function reshapeFlat(flat: TypedArray, inferred: number[], shape: Shape | undefined, dt: DType, where: string): Tensor {
  if (!shape) return new Tensor(flat, inferred, dt);
  const n = flat.length, size = sizeOf(shape);
  if (n === size) return new Tensor(flat, shape.slice(), dt);
  if (n === 1) return new Tensor(allocate(dt, size).fill(flat[0]), shape.slice(), dt);
  throw new Error(`${where}: ${n} values do not fill shape [${shape.join(",")}] (${size} elements)`);
}

export function castValues(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  const out = allocate(dtype, t.size);
  const values = t.values, n = values.length;
  if (dtype === "bool") for (let i = 0; i < n; i++) out[i] = values[i] !== 0 ? 1 : 0;
  else if (dtype === "int32" && isFloat(t.dtype)) for (let i = 0; i < n; i++) out[i] = Math.trunc(values[i]);
  else out.set(values);
  return new Tensor(out, t.shape.slice(), dtype);
}
