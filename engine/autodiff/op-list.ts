/**
 * A tape's recorded ops as parallel flat arrays rather than one record per op: a long chain of
 * scalar ops keeps a few array slots an op instead of a record and an inputs array, which the
 * garbage collector would otherwise copy and trace for as long as the tape lives. Records are
 * made only for the tape's picture.
 */
import type { OpDef, RecordedOp, Trackable } from "../ops/op";
import type { Tensor } from "../storage/tensor";

export class OpList {
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

  /** One record per op, the same objects on every call (the picture matches ops by identity). */
  asRecords(): RecordedOp[] {
    for (let i = this.records.length; i < this.length; i++) {
      this.records.push({ op: this.ops[i], inputs: this.inputsOf(i), output: this.outputs[i], attrs: this.attrs[i] });
    }
    return this.records;
  }
}
