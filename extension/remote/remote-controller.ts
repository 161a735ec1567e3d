// "TypeScript (Autograd) on HOST": a notebook controller (for .agnb and .ipynb) whose kernels
// run on one Jupyter server, beside the local controller. Cells are written by the local
// controller's CellOutputWriter and type errors shown by its CellProblems, so outputs, live
// displays, tracebacks and underlines look the same; the editor's requests go to the same
// remote kernel, on control. A dropped connection is said at once in the running cell; the
// library reconnects to the same kernel when it can, and what the notebook shows is only ever
// appended to.
import * as vscode from "vscode";
import { RemoteKernelClient } from "../../kernel/remote/remote-client";
import { describeServer, serverHost, type RemoteServer } from "../../kernel/remote/server";
import type { CellOutputWriter, DisplayRegistry, IopubMessage } from "../cell-output-writer";
import { executeCell, offerRestartUnlessStopped } from "../cell-execution";
import type { CellProblems } from "../cell-problems";
import { IPYNB_TYPE } from "../ipynb";
import { CELL_LANGUAGES, isCellLanguage } from "../notebook-data";
import type { EditorKernel, KernelOwner, NotebookKernelState } from "../notebook-kernels";
import { NOTEBOOK_TYPE } from "../serializer";
import type { MessageType } from "../../kernel/messages";

interface RemoteNotebookKernel {
  client: RemoteKernelClient;
  started: Promise<unknown> | null;
  state: NotebookKernelState;
  /** A restart reconnects the websocket: not a lost connection. */
  restarting: boolean;
  displays: DisplayRegistry;
  running: Set<CellOutputWriter>;
}

export class RemoteController implements KernelOwner, vscode.Disposable {
  private readonly controllers: vscode.NotebookController[];
  private readonly kernels = new Map<string, RemoteNotebookKernel>();
  private readonly stateChanged = new vscode.EventEmitter<vscode.NotebookDocument>();
  readonly onDidChangeState = this.stateChanged.event;
  readonly label: string;
  readonly statusLabel: string;

  constructor(readonly server: RemoteServer, private readonly problems: CellProblems, private readonly log: vscode.LogOutputChannel) {
    this.label = `TypeScript (Autograd) on ${serverHost(server)}`;
    this.statusLabel = `Autograd on ${serverHost(server)}`;
    this.controllers = [NOTEBOOK_TYPE, IPYNB_TYPE].map((notebookType) => {
      const controller = vscode.notebooks.createNotebookController(`agnb-typescript-remote-${notebookType}-${server.baseUrl}`, notebookType, this.label);
      controller.supportedLanguages = [...CELL_LANGUAGES];
      controller.supportsExecutionOrder = true;
      controller.description = describeServer(server);
      controller.detail = "Runs cells on the Jupyter server's agnb-typescript kernel";
      controller.executeHandler = (cells, notebook) => this.runCells(cells, notebook);
      controller.interruptHandler = (notebook) => this.interrupt(notebook);
      return controller;
    });
  }

  get notebookControllers(): readonly vscode.NotebookController[] {
    return this.controllers;
  }

  /** Only a notebook that picked this controller runs here. */
  handles(): boolean {
    return false;
  }

  stateOf(notebook: vscode.NotebookDocument): NotebookKernelState {
    return this.kernels.get(notebook.uri.toString())?.state ?? "not started";
  }

  sessionOf(notebook: vscode.NotebookDocument): EditorKernel {
    return {
      request: async (msgType, content) => {
        const kernel = this.kernelFor(notebook);
        await this.started(kernel);
        return (await kernel.client.request("control", msgType as MessageType, content)).reply.content;
      },
    };
  }

  interrupt(notebook: vscode.NotebookDocument): void {
    const kernel = this.kernels.get(notebook.uri.toString());
    if (!kernel) return;
    offerRestartUnlessStopped(kernel, () => this.restart(notebook));
    kernel.client.interrupt();
  }

  async restart(notebook: vscode.NotebookDocument): Promise<void> {
    const kernel = this.kernels.get(notebook.uri.toString());
    if (!kernel) return;
    this.endRunning(kernel, "The kernel was restarted; variables from earlier cells are gone.");
    kernel.displays.clear();
    if (!kernel.client.alive) kernel.started = null;
    else {
      kernel.restarting = true;
      kernel.started = kernel.client.restart().catch((error) => { kernel.started = null; throw error; })
        .finally(() => { kernel.restarting = false; });
    }
    await this.started(kernel);
  }

  shutdown(notebook: vscode.NotebookDocument): void {
    const key = notebook.uri.toString();
    const kernel = this.kernels.get(key);
    this.kernels.delete(key);
    kernel?.client.removeAllListeners("exit");
    void kernel?.client.shutdown();
  }

  private async runCells(cells: vscode.NotebookCell[], notebook: vscode.NotebookDocument): Promise<void> {
    const kernel = this.kernelFor(notebook);
    for (const cell of cells) {
      if (cell.kind !== vscode.NotebookCellKind.Code || !isCellLanguage(cell.document.languageId)) continue;
      if (!await this.runCell(kernel, cell)) break;
    }
  }

  private runCell(kernel: RemoteNotebookKernel, cell: vscode.NotebookCell): Promise<boolean> {
    const controller = this.controllers.find((candidate) => candidate.notebookType === cell.notebook.notebookType)!;
    return executeCell(controller.createNotebookCellExecution(cell), kernel, this.problems, async (onMessage) => {
      await this.started(kernel);
      const { reply } = await kernel.client.execute(cell.document.getText(), { onIopub: (message) => onMessage(message as unknown as IopubMessage) });
      return { status: reply.content.status, executionCount: typeof reply.content.execution_count === "number" ? reply.content.execution_count : null };
    });
  }

  /** The kernel, started on first use (by a cell or an editor request); a failed start is tried again next time. */
  private started(kernel: RemoteNotebookKernel): Promise<unknown> {
    kernel.started ??= kernel.client.start().catch((error) => {
      kernel.started = null;
      throw error;
    });
    return kernel.started;
  }

  private note(kernel: RemoteNotebookKernel, text: string): void {
    for (const writer of kernel.running) writer.handle({ header: { msg_type: "stream" }, parent_header: {}, content: { name: "stderr", text: `${text}\n` } });
  }

  private endRunning(kernel: RemoteNotebookKernel, text: string): void {
    this.note(kernel, text);
    for (const writer of kernel.running) void writer.end(false);
    kernel.running.clear();
  }

  private kernelFor(notebook: vscode.NotebookDocument): RemoteNotebookKernel {
    const key = notebook.uri.toString();
    const existing = this.kernels.get(key);
    if (existing) return existing;
    const where = describeServer(this.server);
    const kernel: RemoteNotebookKernel = { client: new RemoteKernelClient({ server: this.server }), started: null, state: "not started", restarting: false, displays: new Map(), running: new Set() };
    const name = notebook.uri.path.split("/").pop();
    kernel.client.on("status", (state: NotebookKernelState) => {
      // Until the websocket is back, the state shown stays "reconnecting" (unless the kernel died).
      if (kernel.state !== "reconnecting" || state === "dead") this.setState(notebook, kernel, state);
    });
    kernel.client.on("stderr", (text: string) => this.log.warn(`[${name} on ${where}] ${text.trimEnd()}`));
    // The library's first websocket may be retried without a subprotocol: not a lost connection.
    let connectedOnce = false;
    let reconnecting = false;
    kernel.client.on("connection", (state: string) => {
      this.log.info(`[${name} on ${where}] connection ${state}`);
      if (state === "connected" && !reconnecting) connectedOnce = true;
      if (state === "connecting" && connectedOnce && kernel.started && !kernel.restarting && !reconnecting) {
        reconnecting = true;
        this.note(kernel, `The connection to ${where} was lost; reconnecting to the same kernel…`);
        this.setState(notebook, kernel, "reconnecting");
      } else if (state === "connected" && reconnecting) {
        reconnecting = false;
        this.note(kernel, `Reconnected to ${where}; the kernel and its variables are as they were.`);
        kernel.state = kernel.client.executionState;
        this.stateChanged.fire(notebook);
      }
    });
    kernel.client.on("exit", async (exit: { expected: boolean; reason?: string }) => {
      kernel.started = null;
      connectedOnce = reconnecting = false;
      this.setState(notebook, kernel, "dead");
      if (exit.expected) return;
      const reason = exit.reason ?? `the kernel on ${where} stopped`;
      this.endRunning(kernel, `${reason[0].toUpperCase()}${reason.slice(1)}.`);
      const restart = "Restart Kernel";
      const choice = await vscode.window.showErrorMessage(`${name}: ${reason}. The notebook and its cells are unchanged.`, restart);
      if (choice === restart) await this.restart(notebook);
    });
    this.kernels.set(key, kernel);
    return kernel;
  }

  private setState(notebook: vscode.NotebookDocument, kernel: RemoteNotebookKernel, state: NotebookKernelState): void {
    if (kernel.state === state) return;
    kernel.state = state;
    this.stateChanged.fire(notebook);
  }

  dispose(): void {
    for (const kernel of this.kernels.values()) {
      kernel.client.removeAllListeners("exit");
      void kernel.client.shutdown();
    }
    this.kernels.clear();
    for (const controller of this.controllers) controller.dispose();
    this.stateChanged.dispose();
  }
}
