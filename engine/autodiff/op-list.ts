/**
 * A tape's recorded ops as parallel flat arrays rather than one record per op: a long chain of
 * scalar ops keeps a few array slots an op instead of a record and an inputs array, which the
 * garbage collector would otherwise copy and trace for as long as the tape lives. Records are
 * made only for the tape's picture.
 */
import type { OpDef, RecordedOp, Trackable } from "../ops/op";
import type { Tensor } from "../storage/tensor";

export class OpList {
  /** Ops before this index were left out (`newest`): op i is at i - offset here. */
  private offset = 0;
  readonly ops: OpDef<any>[] = [];
  readonly outputs: Tensor[] = [];
  readonly attrs: unknown[] = [];
  /** Every op's inputs, one after another: op i's are inputs[inputStart(i) .. inputEnds[i]). */
  readonly inputs: Trackable[] = [];
  readonly inputEnds: number[] = [];
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
    return i === 0 ? 0 : this.inputEnds[i - 1];
  }

  /** Op i's inputs as an array of their own. */
  inputsOf(i: number): Trackable[] {
    return this.inputs.slice(this.inputStart(i), this.inputEnds[i]);
  }

  /**
   * One record per op, the same objects on every call (the picture matches ops by identity),
   * indexed as the ops were recorded: ops left out by `newest` are holes.
   */
  asRecords(): RecordedOp[] {
    if (this.records.length === 0 && this.offset > 0) this.records.length = this.offset;
    for (let i = this.records.length - this.offset; i < this.length; i++) {
      this.records.push({ op: this.ops[i], inputs: this.inputsOf(i), output: this.outputs[i], attrs: this.attrs[i] });
    }
    return this.records;
  }

  /** A list of only the newest `count` ops, numbered as here (for the picture of a finished tape). */
  newest(count: number): OpList {
    const tail = new OpList();
    const from = Math.max(0, this.length - count);
    tail.offset = this.offset + from;
    for (let i = from; i < this.length; i++) tail.push(this.ops[i], this.inputs.slice(this.inputStart(i), this.inputEnds[i]), this.outputs[i], this.attrs[i]);
    return tail;
  }

  /**
   * Empties the list. Its arrays are overwritten first: long ones live in the old generation,
   * and until the next full collection the young tensors they point to would be kept (and
   * copied) by every scavenge, even once the tape itself is garbage.
   */
  clear(): void {
    for (const array of [this.ops, this.outputs, this.attrs, this.inputs, this.inputEnds, this.records] as unknown[][]) {
      array.fill(undefined);
      array.length = 0;
    }
  }
}
