// Which kernel serves each notebook: the local one or one on a Jupyter server, as the
// notebook's selected controller says. Restart, the status bar and the editor's requests
// (completion, hover, signature help, live diagnostics, the Variables view) follow that choice.
import * as vscode from "vscode";
import type { CellProblems } from "./cell-problems";
import type { KernelState } from "./kernel-session";

/** A remote kernel's websocket may be coming back: its variables are still there. */
export type NotebookKernelState = KernelState | "reconnecting";

/** What the editor asks of a notebook's kernel, wherever it runs; the kernel starts on the first request. */
export interface EditorKernel {
  request(msgType: string, content: Record<string, unknown>): Promise<Record<string, any>>;
}

/** The editor features' view of the notebooks' kernels. */
export interface EditorKernels {
  handles(notebook: vscode.NotebookDocument): boolean;
  sessionOf(notebook: vscode.NotebookDocument): EditorKernel;
  stateOf(notebook: vscode.NotebookDocument): NotebookKernelState;
  /** A notebook's kernel changed state, or the notebook picked another kernel. */
  readonly onDidChangeState: vscode.Event<vscode.NotebookDocument>;
  readonly problems: CellProblems;
}

/** A source of kernels behind one or more VS Code notebook controllers (local, or one server). */
export interface KernelOwner {
  /** How the status bar names it: "Autograd", "Autograd on HOST". */
  readonly statusLabel: string;
  readonly notebookControllers: readonly vscode.NotebookController[];
  readonly onDidChangeState: vscode.Event<vscode.NotebookDocument>;
  /** Whether it runs the notebook when no controller was picked for it. */
  handles(notebook: vscode.NotebookDocument): boolean;
  stateOf(notebook: vscode.NotebookDocument): NotebookKernelState;
  sessionOf(notebook: vscode.NotebookDocument): EditorKernel;
  restart(notebook: vscode.NotebookDocument): Promise<void>;
  interrupt(notebook: vscode.NotebookDocument): void;
  /** Ends the notebook's kernel, if it has one; the next request starts a fresh one. */
  shutdown(notebook: vscode.NotebookDocument): void;
}

export class NotebookKernels implements EditorKernels, vscode.Disposable {
  /** The owner whose controller each notebook (by URI) has selected. */
  private readonly selected = new Map<string, KernelOwner>();
  private readonly owners = new Map<KernelOwner, vscode.Disposable[]>();
  private readonly stateChanged = new vscode.EventEmitter<vscode.NotebookDocument>();
  readonly onDidChangeState = this.stateChanged.event;

  constructor(private readonly local: KernelOwner & { readonly problems: CellProblems }) {
    this.add(local);
  }

  get problems(): CellProblems {
    return this.local.problems;
  }

  add(owner: KernelOwner): void {
    this.remove(owner);
    this.owners.set(owner, [
      owner.onDidChangeState((notebook) => this.stateChanged.fire(notebook)),
      ...owner.notebookControllers.map((controller) => controller.onDidChangeSelectedNotebooks(({ notebook, selected }) => {
        const key = notebook.uri.toString();
        if (selected) this.selected.set(key, owner);
        else if (this.selected.get(key) === owner) this.selected.delete(key);
        if (selected) this.followSelection(notebook, owner);
        this.stateChanged.fire(notebook);
      })),
    ]);
  }

  /**
   * The local kernel started for completion before any kernel was picked is ended when the
   * notebook picks a server's kernel, and started again when it comes back to the local one.
   */
  private followSelection(notebook: vscode.NotebookDocument, owner: KernelOwner): void {
    if (owner !== this.local) {
      this.local.shutdown(notebook);
      return;
    }
    if (!vscode.workspace.isTrusted || !this.local.handles(notebook) || this.local.stateOf(notebook) !== "not started") return;
    this.local.sessionOf(notebook).request("complete_request", { code: "tf.", cursor_pos: 3 })
      .catch(() => { /* a kernel that cannot start says so when a cell runs */ });
  }

  /** Forgets an owner that goes away (a server the user disconnected from). */
  remove(owner: KernelOwner): void {
    for (const listener of this.owners.get(owner) ?? []) listener.dispose();
    this.owners.delete(owner);
    for (const [key, chosen] of this.selected) if (chosen === owner) this.selected.delete(key);
  }

  ownerOf(notebook: vscode.NotebookDocument): KernelOwner | undefined {
    return this.selected.get(notebook.uri.toString()) ?? (this.local.handles(notebook) ? this.local : undefined);
  }

  handles(notebook: vscode.NotebookDocument): boolean {
    return this.ownerOf(notebook) !== undefined;
  }

  sessionOf(notebook: vscode.NotebookDocument): EditorKernel {
    return this.ownerOf(notebook)?.sessionOf(notebook) ?? {
      request: (msgType) => Promise.reject(new Error(`${msgType}: ${notebook.uri.path.split("/").pop()} is not on an Autograd kernel`)),
    };
  }

  stateOf(notebook: vscode.NotebookDocument): NotebookKernelState {
    return this.ownerOf(notebook)?.stateOf(notebook) ?? "not started";
  }

  async restart(notebook: vscode.NotebookDocument): Promise<void> {
    await this.ownerOf(notebook)?.restart(notebook);
  }

  interrupt(notebook: vscode.NotebookDocument): void {
    this.ownerOf(notebook)?.interrupt(notebook);
  }

  dispose(): void {
    for (const owner of [...this.owners.keys()]) this.remove(owner);
    this.stateChanged.dispose();
  }
}
