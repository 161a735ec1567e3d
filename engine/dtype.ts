import type { DType } from "./mime";

export type { DType };
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

const arrayTypes = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  bool: Uint8Array,
} as const;

export const DTYPES = Object.keys(arrayTypes) as DType[];

export function allocate(dtype: DType, size: number): TypedArray {
  return new arrayTypes[dtype](size);
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
