// "TypeScript (Autograd) on HOST": a notebook controller (for .agnb and .ipynb) whose kernels
// run on one Jupyter server, beside the local controller. Cells are written by the local
// controller's CellOutputWriter and type errors shown by its CellProblems, so outputs, live
// displays, tracebacks and underlines look the same. A dropped connection is said at once in
// the running cell; the library reconnects to the same kernel when it can, and what the
// notebook shows is only ever appended to.
import * as vscode from "vscode";
import { RemoteKernelClient } from "../../kernel/remote/remote-client";
import { describeServer, serverHost, type RemoteServer } from "../../kernel/remote/server";
import type { CellOutputWriter, DisplayRegistry, IopubMessage } from "../cell-output-writer";
import { executeCell } from "../cell-execution";
import type { CellProblems } from "../cell-problems";
import { IPYNB_TYPE } from "../ipynb";
import { NOTEBOOK_TYPE } from "../serializer";

/** Restarts a notebook's remote kernel (the status item's click). */
export const RESTART_REMOTE_COMMAND = "agnb.restartRemoteKernel";

interface RemoteNotebookKernel {
  client: RemoteKernelClient;
  started: Promise<unknown> | null;
  displays: DisplayRegistry;
  running: Set<CellOutputWriter>;
}

export class RemoteController implements vscode.Disposable {
  private readonly controllers: vscode.NotebookController[];
  private readonly kernels = new Map<string, RemoteNotebookKernel>();
  private readonly status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 99);
  readonly label: string;

  constructor(readonly server: RemoteServer, private readonly problems: CellProblems, private readonly log: vscode.LogOutputChannel) {
    this.label = `TypeScript (Autograd) on ${serverHost(server)}`;
    this.controllers = [NOTEBOOK_TYPE, IPYNB_TYPE].map((notebookType) => {
      const controller = vscode.notebooks.createNotebookController(`agnb-typescript-remote-${notebookType}-${server.baseUrl}`, notebookType, this.label);
      controller.supportedLanguages = ["typescript"];
      controller.supportsExecutionOrder = true;
      controller.description = describeServer(server);
      controller.detail = "Runs cells on the Jupyter server's agnb-typescript kernel";
      controller.executeHandler = (cells, notebook) => this.runCells(cells, notebook);
      controller.interruptHandler = (notebook) => this.kernels.get(notebook.uri.toString())?.client.interrupt();
      return controller;
    });
    this.status.name = "Autograd remote kernel";
  }

  async restart(notebook: vscode.NotebookDocument): Promise<void> {
    const kernel = this.kernels.get(notebook.uri.toString());
    if (!kernel) return;
    this.endRunning(kernel, "The kernel was restarted; variables from earlier cells are gone.");
    kernel.displays.clear();
    kernel.started = kernel.client.alive ? kernel.client.restart() : kernel.client.start();
    await kernel.started;
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
      if (cell.kind !== vscode.NotebookCellKind.Code || cell.document.languageId !== "typescript") continue;
      if (!await this.runCell(kernel, cell)) break;
    }
  }

  private runCell(kernel: RemoteNotebookKernel, cell: vscode.NotebookCell): Promise<boolean> {
    const controller = this.controllers.find((candidate) => candidate.notebookType === cell.notebook.notebookType)!;
    return executeCell(controller.createNotebookCellExecution(cell), kernel, this.problems, async (onMessage) => {
      try {
        kernel.started ??= kernel.client.start();
        await kernel.started;
        const { reply } = await kernel.client.execute(cell.document.getText(), { onIopub: (message) => onMessage(message as unknown as IopubMessage) });
        return { status: reply.content.status, executionCount: typeof reply.content.execution_count === "number" ? reply.content.execution_count : null };
      } catch (error) {
        kernel.started = null;
        throw error;
      }
    });
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
    const kernel: RemoteNotebookKernel = { client: new RemoteKernelClient({ server: this.server }), started: null, displays: new Map(), running: new Set() };
    const name = notebook.uri.path.split("/").pop();
    kernel.client.on("status", (state: string) => this.showState(notebook, state));
    kernel.client.on("stderr", (text: string) => this.log.warn(`[${name} on ${where}] ${text.trimEnd()}`));
    let reconnecting = false;
    kernel.client.on("connection", (state: string) => {
      this.log.info(`[${name} on ${where}] connection ${state}`);
      if (state === "connecting" && kernel.started && !reconnecting) {
        reconnecting = true;
        this.note(kernel, `The connection to ${where} was lost; reconnecting to the same kernel…`);
        this.showState(notebook, "reconnecting");
      } else if (state === "connected" && reconnecting) {
        reconnecting = false;
        this.note(kernel, `Reconnected to ${where}; the kernel and its variables are as they were.`);
      }
    });
    kernel.client.on("exit", async (exit: { expected: boolean; reason?: string }) => {
      kernel.started = null;
      this.showState(notebook, "dead");
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

  private showState(notebook: vscode.NotebookDocument, state: string): void {
    if (vscode.window.activeNotebookEditor?.notebook !== notebook) return;
    this.status.text = `${state === "busy" ? "$(sync~spin)" : state === "dead" ? "$(error)" : "$(remote)"} Autograd on ${serverHost(this.server)}: ${state}`;
    this.status.tooltip = `The kernel on ${describeServer(this.server)}. Click to restart it.`;
    this.status.command = { title: "Restart Kernel", command: RESTART_REMOTE_COMMAND, arguments: [this, notebook] };
    this.status.backgroundColor = state === "dead" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
    this.status.show();
  }

  dispose(): void {
    for (const kernel of this.kernels.values()) {
      kernel.client.removeAllListeners("exit");
      void kernel.client.shutdown();
    }
    this.kernels.clear();
    for (const controller of this.controllers) controller.dispose();
    this.status.dispose();
  }
}
