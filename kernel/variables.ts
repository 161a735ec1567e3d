/**
 * The user's variables for a Variables view: the globals cells declared, each with its type and,
 * for tensors and variables, shape, dtype and min/max/mean. Listing reads property descriptors
 * only, so no getter and no proxy trap a cell defined ever runs; a tensor's statistics are
 * computed once per value array (tensors are immutable; an assigned variable holds a new one).
 */
import { types } from "node:util";

export interface TensorSummary { shape: number[]; dtype: string; size: number; min: number | null; max: number | null; mean: number | null }
export interface VariableEntry {
  name: string;
  /** `tf.Tensor`, `tf.Variable`, `number`, `string`, `Array(3)`, the class name, or `getter`. */
  type: string;
  /** A short text of primitive values; nothing for objects (listing never formats them). */
  value?: string;
  tensor?: TensorSummary;
}

interface EngineClasses { Tensor: Function; Variable: Function }
type NumericArray = ArrayLike<number>;

const PREVIEW_LENGTH = 80;
/** The kernel's helpers, and those transpiled cells declare (`__async`). */
const HIDDEN = /^__/;

export class VariableList {
  private readonly builtIn: Set<string>;
  private readonly statistics = new WeakMap<object, Omit<TensorSummary, "shape" | "dtype">>();

  /** Built at kernel start: every global that exists now is the kernel's, not the user's. */
  constructor(private readonly engine: EngineClasses) {
    this.builtIn = new Set(Object.getOwnPropertyNames(globalThis));
  }

  list(): VariableEntry[] {
    const entries: VariableEntry[] = [];
    for (const name of Object.getOwnPropertyNames(globalThis)) {
      if (this.builtIn.has(name) || HIDDEN.test(name)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(globalThis, name);
      if (!descriptor) continue;
      entries.push("value" in descriptor ? this.describe(name, descriptor.value) : { name, type: "getter" });
    }
    return entries.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The value of one variable for display, or undefined for a getter or a name not declared. */
  valueOf(name: string): { found: boolean; value?: unknown } {
    if (this.builtIn.has(name) || HIDDEN.test(name)) return { found: false };
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, name);
    return descriptor && "value" in descriptor ? { found: true, value: descriptor.value } : { found: false };
  }

  private describe(name: string, value: unknown): VariableEntry {
    if (value === null || (typeof value !== "object" && typeof value !== "function")) {
      const text = typeof value === "string" ? JSON.stringify(value) : String(value);
      return { name, type: value === null ? "null" : typeof value, value: text.length > PREVIEW_LENGTH ? `${text.slice(0, PREVIEW_LENGTH - 1)}…` : text };
    }
    if (types.isProxy(value)) return { name, type: "Proxy" };
    if (value instanceof this.engine.Variable) return { name, type: "tf.Variable", tensor: this.summary((value as unknown as { value(): EngineTensor }).value()) };
    if (value instanceof this.engine.Tensor) return { name, type: "tf.Tensor", tensor: this.summary(value as unknown as EngineTensor) };
    if (Array.isArray(value)) return { name, type: `Array(${value.length})` };
    if (typeof value === "function") return { name, type: /^class\b/.test(Function.prototype.toString.call(value)) ? "class" : "function" };
    return { name, type: classNameOf(value) };
  }

  private summary(tensor: EngineTensor): TensorSummary {
    let known = this.statistics.get(tensor.values);
    if (!known) {
      known = statisticsOf(tensor.values);
      this.statistics.set(tensor.values, known);
    }
    return { shape: [...tensor.shape], dtype: tensor.dtype, ...known };
  }
}

interface EngineTensor { values: NumericArray & object; shape: number[]; dtype: string }

/** Min, max and mean of the numbers that are not NaN, in one pass over the array itself. */
function statisticsOf(values: NumericArray): Omit<TensorSummary, "shape" | "dtype"> {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let counted = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (x !== x) continue;
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    counted += 1;
  }
  return counted ? { size: values.length, min, max, mean: sum / counted } : { size: values.length, min: null, max: null, mean: null };
}

/** The constructor's name from the prototype's own data property (no getter runs). */
function classNameOf(value: object): string {
  const prototype = Object.getPrototypeOf(value);
  if (prototype === null) return "Object";
  const constructor = Object.getOwnPropertyDescriptor(prototype, "constructor");
  const name = constructor && "value" in constructor && typeof constructor.value === "function" ? Object.getOwnPropertyDescriptor(constructor.value, "name")?.value : undefined;
  return typeof name === "string" && name ? name : "Object";
}
