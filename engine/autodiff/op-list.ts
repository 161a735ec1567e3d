/**
 * A tape's recorded ops as parallel flat arrays (in chunks) rather than one record per op: a long
 * chain of scalar ops keeps a few array slots an op instead of a record and an inputs array,
 * which the garbage collector would otherwise copy and trace for as long as the tape lives.
 * Records are made only for the tape's picture.
 */
import type { OpDef, RecordedOp, Trackable } from "../ops/op";
import type { Tensor } from "../storage/tensor";

/** Entries a chunk holds: small enough to be made in the young generation. */
const CHUNK_BITS = 10;
const CHUNK_SIZE = 1 << CHUNK_BITS;
const IN_CHUNK = CHUNK_SIZE - 1;

/**
 * An array kept in chunks of at most 1,024 entries. One long array would grow by copying and
 * move to the old generation, where every young tensor stored into it costs a remembered slot;
 * a chunk is filled while it is young. Chunks grow as entries are pushed (a tape of a few ops
 * makes small ones), and a chunk of only `undefined` is never made.
 */
export class Chunks<T> {
  private readonly chunks: (T[] | undefined)[] = [];
  length = 0;

  /** `capacity`: how many entries `set` will be given (chunks for it are made at full length). */
  constructor(private readonly capacity = 0) {}

  push(value: T): void {
    const at = this.length & IN_CHUNK;
    if (at === 0) this.chunks.push(undefined);
    const last = this.chunks.length - 1;
    let chunk = this.chunks[last];
    if (chunk === undefined && value !== undefined) {
      // The first chunk grows with the list; once a list has filled one, later ones are made whole.
      chunk = this.chunks[last] = last === 0 ? [] : new Array<T>(CHUNK_SIZE);
      if (last === 0) while (chunk.length < at) chunk.push(undefined as T);
    }
    if (chunk !== undefined) {
      if (last === 0) chunk.push(value);
      else chunk[at] = value;
    }
    this.length++;
  }

  /** Sets entry i, below the capacity; entries never set read as undefined. */
  set(i: number, value: T): void {
    const k = i >> CHUNK_BITS;
    (this.chunks[k] ??= new Array<T>(Math.min(CHUNK_SIZE, this.capacity - (k << CHUNK_BITS))))[i & IN_CHUNK] = value;
  }

  get(i: number): T {
    const chunk = this.chunks[i >> CHUNK_BITS];
    return (chunk === undefined ? undefined : chunk[i & IN_CHUNK]) as T;
  }

  /** Lets go of the whole chunks before entry i (their entries then read as undefined). */
  dropBefore(i: number): void {
    for (let k = 0; k < i >> CHUNK_BITS; k++) {
      this.chunks[k]?.fill(undefined as T);
      this.chunks[k] = undefined;
    }
  }

  /** Overwrites every entry first, so that no chunk in the old generation keeps young objects alive. */
  clear(): void {
    for (const chunk of this.chunks) chunk?.fill(undefined as T);
    this.chunks.length = 0;
    this.length = 0;
  }
}

export class OpList {
  /** Ops before this one were let go (`keepNewest`): their entries read as undefined. */
  private firstKept = 0;
  readonly ops = new Chunks<OpDef<any>>();
  readonly outputs = new Chunks<Tensor>();
  readonly attrs = new Chunks<unknown>();
  /** Every op's inputs, one after another: op i's are inputs [inputStart(i), inputEnds(i)). */
  readonly inputs = new Chunks<Trackable>();
  readonly inputEnds = new Chunks<number>();
  private records: RecordedOp[] = [];

  get length(): number {
    return this.ops.length;
  }

  push(op: OpDef<any>, inputs: readonly Trackable[], output: Tensor, attrs: unknown): void {
    this.ops.push(op);
    this.outputs.push(output);
    this.attrs.push(attrs);
    for (let j = 0; j < inputs.length; j++) this.inputs.push(inputs[j]);
    this.inputEnds.push(this.inputs.length);
  }

  inputStart(i: number): number {
    return i === 0 ? 0 : this.inputEnds.get(i - 1);
  }

  /** Op i's inputs as an array of their own. */
  inputsOf(i: number): Trackable[] {
    const inputs: Trackable[] = [];
    for (let j = this.inputStart(i); j < this.inputEnds.get(i); j++) inputs.push(this.inputs.get(j));
    return inputs;
  }

  /**
   * One record per op, the same objects on every call (the picture matches ops by identity),
   * indexed as the ops were recorded: ops let go by `keepNewest` are holes.
   */
  asRecords(): RecordedOp[] {
    if (this.records.length < this.firstKept) this.records.length = this.firstKept;
    for (let i = this.records.length; i < this.length; i++) {
      this.records.push({ op: this.ops.get(i), inputs: this.inputsOf(i), output: this.outputs.get(i), attrs: this.attrs.get(i) });
    }
    return this.records;
  }

  /**
   * Lets go of all but (at least) the newest `count` ops, keeping their numbers: what the
   * picture of a finished tape shows. Whole chunks go, overwritten as in `clear`.
   */
  keepNewest(count: number): void {
    const from = Math.max(this.firstKept, this.length - count);
    const firstInput = this.inputStart(from);
    for (const chunks of [this.ops, this.outputs, this.attrs, this.inputEnds]) chunks.dropBefore(from);
    this.inputs.dropBefore(firstInput);
    this.records.fill(undefined as unknown as RecordedOp, 0, Math.min(from, this.records.length));
    this.firstKept = from;
  }

  /**
   * Empties the list, overwriting its entries first: a chunk that reached the old generation
   * would otherwise keep the young tensors it points to alive (and copied) through every
   * scavenge until the next full collection, even once the tape itself is garbage.
   */
  clear(): void {
    for (const chunks of [this.ops, this.outputs, this.attrs, this.inputs, this.inputEnds]) chunks.clear();
    this.records.fill(undefined as unknown as RecordedOp);
    this.records.length = 0;
  }
}
