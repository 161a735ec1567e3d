// The "Notebook Variables" view in the explorer: the active notebook's user variables as the
// kernel lists them (name, type; shape, dtype and min/max/mean of tensors), refreshed after
// each cell; clicking one opens its value, drawn by our renderers, in an untitled notebook.
import * as vscode from "vscode";
import type { EditorKernels } from "../notebook-kernels";
import { CELL_LANGUAGE, toPlainOutput } from "../notebook-data";
import { IPYNB_TYPE } from "../ipynb";

export const VARIABLES_VIEW = "agnb.variables";
const SHOW_VALUE = "agnb.showVariable";

interface TensorSummary { shape: number[]; dtype: string; size: number; min: number | null; max: number | null; mean: number | null }
export interface VariableEntry { name: string; type: string; value?: string; tensor?: TensorSummary }

/** One line of a variable: `tf.Tensor [1000, 1000] float32 · min 0 · max 0 · mean 0`. */
export function describeVariable(entry: VariableEntry): string {
  if (!entry.tensor) return entry.value === undefined ? entry.type : `${entry.type} = ${entry.value}`;
  const { shape, dtype, min, max, mean } = entry.tensor;
  const statistics = min === null ? "" : ` · min ${round(min)} · max ${round(max!)} · mean ${round(mean!)}`;
  return `${entry.type} [${shape.join(", ")}] ${dtype}${statistics}`;
}

const round = (x: number) => String(Number(x.toPrecision(4)));

export class VariablesView implements vscode.TreeDataProvider<VariableEntry>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[];
  private entries: VariableEntry[] = [];
  private notebook: vscode.NotebookDocument | undefined;

  constructor(private readonly controller: EditorKernels, private readonly log: vscode.LogOutputChannel) {
    this.disposables = [
      vscode.window.registerTreeDataProvider(VARIABLES_VIEW, this),
      vscode.commands.registerCommand(SHOW_VALUE, (entry: VariableEntry) => this.showValue(entry)),
      vscode.window.onDidChangeActiveNotebookEditor(() => void this.refresh()),
      // A cell finished: its execution summary changed.
      vscode.workspace.onDidChangeNotebookDocument((change) => {
        if (change.notebook === this.notebook && change.cellChanges.some((cell) => cell.executionSummary?.timing?.endTime !== undefined)) void this.refresh();
      }),
      this.changed,
    ];
    void this.refresh();
  }

  async refresh(): Promise<void> {
    // Focus moving to a text editor or a panel keeps the notebook last shown.
    const notebook = vscode.window.activeNotebookEditor?.notebook ?? (this.notebook?.isClosed ? undefined : this.notebook);
    this.notebook = notebook && this.controller.handles(notebook) ? notebook : undefined;
    // A kernel that has not started has no variables: listing must not start one.
    if (!this.notebook || this.controller.stateOf(this.notebook) === "not started" || this.controller.stateOf(this.notebook) === "dead") {
      this.entries = [];
    } else {
      try {
        const reply = await this.controller.sessionOf(this.notebook).request("agnb_variables_request", {});
        this.entries = reply.status === "ok" ? reply.variables : [];
      } catch (error) {
        this.log.warn(`variables: ${(error as Error).message}`);
        this.entries = [];
      }
    }
    this.changed.fire();
  }

  getChildren(): VariableEntry[] {
    return this.entries;
  }

  getTreeItem(entry: VariableEntry): vscode.TreeItem {
    const item = new vscode.TreeItem(entry.name);
    item.description = describeVariable(entry);
    item.tooltip = `${entry.name}: ${describeVariable(entry)}`;
    item.iconPath = new vscode.ThemeIcon(entry.tensor ? "symbol-array" : entry.type === "function" || entry.type === "class" ? "symbol-method" : "symbol-variable");
    item.command = { command: SHOW_VALUE, title: "Show Value", arguments: [entry] };
    return item;
  }

  private async showValue(entry: VariableEntry): Promise<void> {
    if (!this.notebook) return;
    const reply = await this.controller.sessionOf(this.notebook).request("agnb_variables_request", { name: entry.name });
    if (reply.status !== "ok") {
      void vscode.window.showWarningMessage(`${entry.name}: ${reply.evalue ?? "no value"}`);
      return;
    }
    const plain = toPlainOutput({ output_type: "display_data", data: reply.data, metadata: {} } as never);
    const output = new vscode.NotebookCellOutput(plain.items.map((item) => new vscode.NotebookCellOutputItem(item.data, item.mime)));
    const cell = new vscode.NotebookCellData(vscode.NotebookCellKind.Code, entry.name, CELL_LANGUAGE);
    cell.outputs = [output];
    // An untitled Jupyter notebook: VS Code's own serializer opens one from data (ours reads files).
    const scratch = await vscode.workspace.openNotebookDocument(IPYNB_TYPE, new vscode.NotebookData([cell]));
    await vscode.window.showNotebookDocument(scratch, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true });
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }
}
