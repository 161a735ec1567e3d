import type { DType } from "../../display/contract";

export type { DType };
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

const arrayTypes = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  bool: Uint8Array,
} as const;

export const DTYPES = Object.keys(arrayTypes) as DType[];

/**
 * Typed arrays over 64 bytes get their own off-heap buffer, which costs ~1 µs each — more than
 * the arithmetic of a small op. So small and medium arrays are carved from shared slabs instead
 * (a slab is freed once every array in it is garbage). Slabs stay small so that a tensor kept
 * for long pins little memory.
 */
const SLAB_BYTES = 16384;
const CARVED_MAX_BYTES = 1024;
const ON_HEAP_MAX_BYTES = 64;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

export function allocate(dtype: DType, size: number): TypedArray {
  const Type = arrayTypes[dtype];
  const bytes = size * Type.BYTES_PER_ELEMENT;
  if (bytes <= ON_HEAP_MAX_BYTES || bytes > CARVED_MAX_BYTES) {
    try {
      return new Type(size);
    } catch (error) {
      throw new RangeError(`cannot make a ${dtype} tensor of ${size} elements (${(bytes / 1e9).toPrecision(3)} GB): ${tooLargeBecause(error as Error)}`);
    }
  }
  let start = (slabUsed + 7) & ~7;
  if (start + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    start = 0;
  }
  slabUsed = start + bytes;
  return new Type(slab, start, size);
}

/**
 * One-element tensors (the scalars of a long chain of ops) share slabs of this many values:
 * a typed array of their own would cost an ArrayBuffer and a view each, which the garbage
 * collector copies and tracks while a tape keeps them. A slab is small because a scalar kept for
 * long pins it: 256 bytes of float32, about what a one-element typed array of its own costs.
 */
const SCALAR_SLOTS = 64;

export interface ScalarSlab {
  values: TypedArray;
  /** Slots handed out so far; the rest are free. */
  used: number;
}

const scalarSlabs: Record<DType, ScalarSlab> = {
  float32: { values: new Float32Array(SCALAR_SLOTS), used: 0 },
  float64: { values: new Float64Array(SCALAR_SLOTS), used: 0 },
  int32: { values: new Int32Array(SCALAR_SLOTS), used: 0 },
  bool: { values: new Uint8Array(SCALAR_SLOTS), used: 0 },
};

/** The slab the next one-element tensor of `dtype` goes in, with a free slot at `used`. */
export function scalarSlab(dtype: DType): ScalarSlab {
  const slab = dtype === "float32" ? scalarSlabs.float32 : scalarSlabs[dtype];
  if (slab.used === SCALAR_SLOTS) {
    slab.values = new arrayTypes[dtype](SCALAR_SLOTS);
    slab.used = 0;
  }
  return slab;
}

/** Past WebAssembly's 4 GB values live in JavaScript arrays; past those, nothing can hold them. */
function tooLargeBecause(error: Error): string {
  return /length/i.test(error.message)
    ? "more elements than a JavaScript typed array holds (2^32), and past WebAssembly memory's 4 GB"
    : `the memory could not be had (${error.message})`;
}

export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

export function assertDType(dtype: string, where: string): DType {
  if (!(dtype in arrayTypes)) {
    throw new TypeError(`${where}: unknown dtype '${dtype}'; expected one of ${DTYPES.join(", ")}`);
  }
  return dtype as DType;
}

/** Python-style name, as TF prints it in error messages. */
export function tfDTypeName(dtype: DType): string {
  return dtype === "float64" ? "double" : dtype === "float32" ? "float" : dtype;
}
