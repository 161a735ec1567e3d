// The "Notebook Variables" view in the explorer: the active notebook's user variables as the
// kernel lists them (name, type; shape, dtype and min/max/mean of tensors), refreshed after
// each cell, when the notebook's kernel starts, restarts or stops, and when it switches kernel;
// clicking one opens its value, drawn by our renderer, in a panel beside the notebook.
import * as vscode from "vscode";
import type { EditorKernels } from "../notebook-kernels";
import { describeVariable, type VariableEntry } from "./value-panel-content";
import { ValuePanels } from "./value-panel";

export { describeVariable, type VariableEntry };
export const VARIABLES_VIEW = "agnb.variables";
const SHOW_VALUE = "agnb.showVariable";
/** Coalesces the burst of events one run or restart makes into one listing. */
const REFRESH_DELAY_MS = 150;

export class VariablesView implements vscode.TreeDataProvider<VariableEntry>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[];
  private entries: VariableEntry[] = [];
  private notebook: vscode.NotebookDocument | undefined;
  private readonly panels: ValuePanels;
  private pending: NodeJS.Timeout | undefined;
  /** Counts listings, so that a slow reply never overwrites a newer one. */
  private listings = 0;

  constructor(private readonly controller: EditorKernels, extensionUri: vscode.Uri, private readonly log: vscode.LogOutputChannel) {
    this.panels = new ValuePanels(controller, extensionUri, log);
    this.disposables = [
      vscode.window.registerTreeDataProvider(VARIABLES_VIEW, this),
      vscode.commands.registerCommand(SHOW_VALUE, (entry: VariableEntry) => this.showValue(entry)),
      vscode.window.onDidChangeActiveNotebookEditor(() => this.scheduleRefresh()),
      // A cell finished: its execution summary changed.
      vscode.workspace.onDidChangeNotebookDocument((change) => {
        if (change.notebook === this.notebook && change.cellChanges.some((cell) => cell.executionSummary?.timing?.endTime !== undefined)) this.scheduleRefresh();
      }),
      // The kernel started, restarted, died or was shut down, or the notebook picked another one;
      // busy is only ever followed by idle, which the finished cell reports.
      controller.onDidChangeState((notebook) => {
        if (notebook === this.notebook && controller.stateOf(notebook) !== "busy") this.scheduleRefresh();
      }),
      this.changed,
      this.panels,
      { dispose: () => clearTimeout(this.pending) },
    ];
    void this.refresh();
  }

  private scheduleRefresh(): void {
    clearTimeout(this.pending);
    this.pending = setTimeout(() => void this.refresh(), REFRESH_DELAY_MS);
  }

  async refresh(): Promise<void> {
    const listing = ++this.listings;
    // Focus moving to a text editor or a panel keeps the notebook last shown.
    const notebook = vscode.window.activeNotebookEditor?.notebook ?? (this.notebook?.isClosed ? undefined : this.notebook);
    this.notebook = notebook && this.controller.handles(notebook) ? notebook : undefined;
    const listed = this.notebook;
    const { entries, reason } = await this.list(listed);
    if (listing !== this.listings) return;
    this.entries = entries;
    this.changed.fire();
    if (listed) await this.panels.update(listed, entries, reason);
  }

  private async list(notebook: vscode.NotebookDocument | undefined): Promise<{ entries: VariableEntry[]; reason: string }> {
    if (!notebook) return { entries: [], reason: "the notebook is not on an Autograd kernel" };
    const state = this.controller.stateOf(notebook);
    // A kernel that has not started has no variables: listing must not start one.
    if (state === "not started" || state === "dead") return { entries: [], reason: `its kernel is ${state === "dead" ? "dead" : "not running"}` };
    try {
      const reply = await this.controller.sessionOf(notebook).request("agnb_variables_request", {});
      return { entries: reply.status === "ok" ? reply.variables : [], reason: "the kernel does not have it (it restarted, or another kernel was picked)" };
    } catch (error) {
      this.log.warn(`variables: ${(error as Error).message}`);
      return { entries: [], reason: `the kernel could not be asked (${(error as Error).message})` };
    }
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
    if (this.notebook) await this.panels.show(this.notebook, entry);
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }
}
