// Writes one cell's iopub messages into its VS Code cell as they arrive: stream text appended to
// the running stream output, displays added (and replaced in place on update_display_data),
// clear_output honoured, including its `wait` form that clears only when the next output comes.
import * as vscode from "vscode";
import type { CellOutput } from "../kernel/notebook-file";
import { toPlainOutput } from "./notebook-data";
import { toCellOutput } from "./serializer";

export interface IopubMessage {
  header: { msg_type: string };
  parent_header: { msg_id?: string };
  content: Record<string, unknown>;
}

/** Outputs carrying a display id, across the notebook, so any later cell can update them. */
export type DisplayRegistry = Map<string, Array<{ writer: CellOutputWriter; output: vscode.NotebookCellOutput }>>;

export class CellOutputWriter {
  private outputs: vscode.NotebookCellOutput[] = [];
  private clearBeforeNext = false;
  /** Appends are chained so outputs land in the order their messages arrived. */
  private queue: Thenable<unknown> = Promise.resolve();
  hadError = false;

  constructor(private readonly execution: vscode.NotebookCellExecution, private readonly displays: DisplayRegistry) {}


  handle(message: IopubMessage): void {
    if (this.finished) return;
    const type = message.header.msg_type;
    const content = message.content;
    switch (type) {
      case "stream": return this.stream(content.name === "stderr" ? "stderr" : "stdout", String(content.text ?? ""));
      case "display_data":
      case "execute_result":
      case "error":
        if (type === "error") this.hadError = true;
        return this.add({ output_type: type, ...content } as CellOutput);
      case "update_display_data": return this.update(content);
      case "clear_output":
        if (content.wait) this.clearBeforeNext = true;
        else this.clear();
        return;
    }
  }

  /** Resolves when every output so far is in the cell. */
  flushed(): Thenable<unknown> { return this.queue; }

  private run(step: () => Thenable<unknown>): void {
    this.queue = this.queue.then(step, step);
  }

  private pendingClear(): void {
    if (this.clearBeforeNext) { this.clearBeforeNext = false; this.clear(); }
  }

  private clear(): void {
    this.outputs = [];
    this.run(() => this.execution.clearOutput());
  }

  private stream(name: "stdout" | "stderr", text: string): void {
    this.pendingClear();
    const item = name === "stderr" ? vscode.NotebookCellOutputItem.stderr(text) : vscode.NotebookCellOutputItem.stdout(text);
    const last = this.outputs.at(-1);
    if (last && last.items.every((i) => i.mime === item.mime)) {
      last.items.push(item);
      this.run(() => this.execution.appendOutputItems(item, last));
      return;
    }
    const output = new vscode.NotebookCellOutput([item], { outputType: "stream" });
    this.outputs.push(output);
    this.run(() => this.execution.appendOutput(output));
  }

  private add(content: CellOutput): void {
    this.pendingClear();
    const plain = toPlainOutput(content);
    const output = toCellOutput(plain);
    this.outputs.push(output);
    if (plain.metadata.displayId) {
      const list = this.displays.get(plain.metadata.displayId) ?? [];
      list.push({ writer: this, output });
      this.displays.set(plain.metadata.displayId, list);
    }
    this.run(() => this.execution.appendOutput(output));
  }

  private update(content: Record<string, unknown>): void {
    const displayId = (content.transient as { display_id?: string } | undefined)?.display_id;
    if (!displayId) return;
    const items = toCellOutput(toPlainOutput({ output_type: "display_data", ...content } as CellOutput)).items;
    for (const { writer, output } of this.displays.get(displayId) ?? []) {
      writer.replace(output, items);
    }
  }

  /** Replaces an output's items, if this cell is still running (VS Code only edits live cells). */
  replace(output: vscode.NotebookCellOutput, items: vscode.NotebookCellOutputItem[]): void {
    if (this.finished) return;
    output.items = items;
    this.run(() => this.execution.replaceOutputItems(items, output));
  }

  private finished = false;

  /** Ends the cell's execution once, after the outputs so far are in. */
  end(ok: boolean): Thenable<unknown> {
    if (this.finished) return this.queue;
    this.finished = true;
    this.queue = this.queue.then(() => this.execution.end(ok, Date.now()));
    return this.queue;
  }
}
