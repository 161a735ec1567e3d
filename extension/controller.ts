// The "TypeScript (Autograd)" notebook controller: one kernel process per notebook, started when
// its first cell runs. Cells run in order; a failing cell stops the rest of the run, as in Jupyter.
// It serves .agnb notebooks and, as a second VS Code controller of the same kernels, .ipynb
// notebooks, where it is the preferred kernel for those written for agnb-typescript.
import * as vscode from "vscode";
import { NOTEBOOK_TYPE } from "./serializer";
import { IPYNB_TYPE, isAutogradIpynb } from "./ipynb";
import type { CellOutputWriter, DisplayRegistry } from "./cell-output-writer";
import { KernelSession, type KernelState } from "./kernel-session";
import { CellProblems } from "./cell-problems";
import { executeCell, offerRestartUnlessStopped } from "./cell-execution";
import { kernelSettings } from "./intelligence/settings";
import { CELL_LANGUAGES, isCellLanguage } from "./notebook-data";
import type { KernelOwner } from "./notebook-kernels";

export const CONTROLLER_ID = "agnb-typescript";
export const IPYNB_CONTROLLER_ID = "agnb-typescript-ipynb";

interface NotebookKernel {
  session: KernelSession;
  displays: DisplayRegistry;
  running: Set<CellOutputWriter>;
}

/** What the extension's settings ask of the kernel, read each time a kernel starts. */
function kernelEnvironment(): NodeJS.ProcessEnv {
  const pictures = vscode.workspace.getConfiguration("autogradNotebook").get<boolean>("staticPictures", true);
  return { AGNB_STATIC_PICTURES: pictures ? "on" : "off", ...kernelSettings() };
}

export class AutogradController implements KernelOwner, vscode.Disposable {
  private readonly controllers: Record<string, vscode.NotebookController>;
  private readonly listeners: vscode.Disposable[];
  private readonly kernels = new Map<string, NotebookKernel>();
  private readonly stateChanged = new vscode.EventEmitter<vscode.NotebookDocument>();
  readonly problems = new CellProblems();
  readonly onDidChangeState = this.stateChanged.event;
  readonly statusLabel = "Autograd";

  constructor(private readonly kernelScript: string, private readonly log: vscode.LogOutputChannel) {
    const make = (id: string, notebookType: string) => {
      const controller = vscode.notebooks.createNotebookController(id, notebookType, "TypeScript (Autograd)");
      // For .ipynb every cell reaches runCells (VS Code drops cells of other languages without a
      // word), so a Python notebook run here says what was skipped.
      if (notebookType === NOTEBOOK_TYPE) controller.supportedLanguages = [...CELL_LANGUAGES];
      controller.supportsExecutionOrder = true;
      controller.description = "Runs cells against the autodiff engine";
      controller.executeHandler = (cells, notebook) => this.runCells(cells, notebook);
      controller.interruptHandler = (notebook) => this.interrupt(notebook);
      return controller;
    };
    this.controllers = { [NOTEBOOK_TYPE]: make(CONTROLLER_ID, NOTEBOOK_TYPE), [IPYNB_TYPE]: make(IPYNB_CONTROLLER_ID, IPYNB_TYPE) };
    const prefer = (notebook: vscode.NotebookDocument) => {
      if (isAutogradIpynb(notebook)) this.controllers[IPYNB_TYPE].updateNotebookAffinity(notebook, vscode.NotebookControllerAffinity.Preferred);
    };
    vscode.workspace.notebookDocuments.forEach(prefer);
    this.listeners = [vscode.workspace.onDidOpenNotebookDocument(prefer)];
  }

  get notebookControllers(): vscode.NotebookController[] {
    return Object.values(this.controllers);
  }

  /** Whether the notebook runs (or would run) on this controller's kernels. */
  handles(notebook: vscode.NotebookDocument): boolean {
    return notebook.notebookType === NOTEBOOK_TYPE || isAutogradIpynb(notebook) || this.kernels.has(notebook.uri.toString());
  }

  /** The notebook's kernel session (its process starts on the first request). */
  sessionOf(notebook: vscode.NotebookDocument): KernelSession {
    return this.kernelFor(notebook).session;
  }

  stateOf(notebook: vscode.NotebookDocument): KernelState {
    return this.kernels.get(notebook.uri.toString())?.session.state ?? "not started";
  }

  async restart(notebook: vscode.NotebookDocument): Promise<void> {
    const kernel = this.kernels.get(notebook.uri.toString());
    if (!kernel) return;
    this.endRunning(kernel, "The kernel was restarted; variables from earlier cells are gone.");
    kernel.displays.clear();
    await kernel.session.restart();
    this.stateChanged.fire(notebook);
  }

  shutdown(notebook: vscode.NotebookDocument): void {
    const key = notebook.uri.toString();
    const kernel = this.kernels.get(key);
    if (!kernel) return;
    this.endRunning(kernel, "The kernel was shut down; variables from earlier cells are gone.");
    kernel.session.dispose();
    this.kernels.delete(key);
    this.stateChanged.fire(notebook);
  }

  private async runCells(cells: vscode.NotebookCell[], notebook: vscode.NotebookDocument): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      const manage = "Manage Workspace Trust";
      const choice = await vscode.window.showWarningMessage(
        "Autograd Notebook runs cells only in a trusted workspace: cells are code that can do anything your account can. Trust this folder to run them.", manage);
      if (choice === manage) await vscode.commands.executeCommand("workbench.trust.manage");
      return;
    }
    const foreign = cells.filter((cell) => cell.kind === vscode.NotebookCellKind.Code && !isCellLanguage(cell.document.languageId) && cell.document.languageId !== "raw");
    if (foreign.length) {
      // Typically a Python .ipynb given this kernel because no other was installed.
      const languages = [...new Set(foreign.map((cell) => cell.document.languageId))].join(", ");
      void vscode.window.showWarningMessage(`TypeScript (Autograd) runs TypeScript cells only; ${foreign.length} ${languages} cell${foreign.length === 1 ? " was" : "s were"} skipped. Pick another kernel with Select Kernel to run them.`);
    }
    if (foreign.length === cells.length) return;
    const kernel = this.kernelFor(notebook);
    for (const cell of cells) {
      if (cell.kind !== vscode.NotebookCellKind.Code || !isCellLanguage(cell.document.languageId)) continue;
      const ok = await this.runCell(kernel, cell);
      if (!ok) break;
    }
  }

  private runCell(kernel: NotebookKernel, cell: vscode.NotebookCell): Promise<boolean> {
    const execution = this.controllers[cell.notebook.notebookType].createNotebookCellExecution(cell);
    return executeCell(execution, kernel, this.problems, (onMessage) => kernel.session.execute(cell.document.getText(), onMessage));
  }

  /** Ends cells still marked running (after a crash or restart) with a note saying why. */
  private endRunning(kernel: NotebookKernel, note: string): void {
    for (const writer of kernel.running) {
      writer.handle({ header: { msg_type: "stream" }, parent_header: {}, content: { name: "stderr", text: `${note}\n` } });
      void writer.end(false);
    }
    kernel.running.clear();
  }

  interrupt(notebook: vscode.NotebookDocument): void {
    const kernel = this.kernels.get(notebook.uri.toString());
    if (!kernel) return;
    offerRestartUnlessStopped(kernel, () => this.restart(notebook));
    kernel.session.interrupt();
  }

  private kernelFor(notebook: vscode.NotebookDocument): NotebookKernel {
    const key = notebook.uri.toString();
    const existing = this.kernels.get(key);
    // A session whose process died starts a fresh one on its next execute.
    if (existing) return existing;
    const cwd = notebook.uri.scheme === "file" ? vscode.Uri.joinPath(notebook.uri, "..").fsPath : undefined;
    const kernel: NotebookKernel = {
      displays: new Map(), running: new Set(),
      session: new KernelSession({
        script: this.kernelScript, cwd,
        get env() { return kernelEnvironment(); },
        onState: () => this.stateChanged.fire(notebook),
        onUnexpectedExit: (reason) => this.kernelDied(notebook, kernel, reason),
        log: (line) => this.log.info(`[${notebook.uri.path.split("/").pop()}] ${line}`),
      }),
    };
    this.kernels.set(key, kernel);
    return kernel;
  }

  private async kernelDied(notebook: vscode.NotebookDocument, kernel: NotebookKernel, reason: string): Promise<void> {
    this.endRunning(kernel, `The kernel stopped unexpectedly (${reason}).`);
    this.stateChanged.fire(notebook);
    const restart = "Restart Kernel";
    const choice = await vscode.window.showErrorMessage(
      `The Autograd kernel of ${notebook.uri.path.split("/").pop()} stopped unexpectedly (${reason}). The notebook and its cells are unchanged.`, restart);
    if (choice === restart) await this.restart(notebook);
  }

  dispose(): void {
    for (const kernel of this.kernels.values()) kernel.session.dispose();
    this.kernels.clear();
    for (const controller of Object.values(this.controllers)) controller.dispose();
    for (const listener of this.listeners) listener.dispose();
    this.stateChanged.dispose();
    this.problems.dispose();
  }
}
