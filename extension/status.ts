// The kernel's state for the active Autograd notebook, in the status bar: the local kernel's
// ("Autograd: idle") or, for a notebook on a Jupyter server's controller, that remote kernel's
// ("Autograd on HOST: idle"). Clicking it restarts the kernel the notebook runs on.
import * as vscode from "vscode";
import type { NotebookKernels, NotebookKernelState } from "./notebook-kernels";

const ICONS: Record<NotebookKernelState, string> = {
  "not started": "$(circle-outline)", starting: "$(loading~spin)", idle: "$(circle-filled)", busy: "$(sync~spin)", dead: "$(error)",
  reconnecting: "$(debug-disconnect)",
};

export class KernelStatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("agnb.kernelState", vscode.StatusBarAlignment.Right, 100);
  private readonly listeners: vscode.Disposable[];

  constructor(private readonly kernels: NotebookKernels) {
    this.item.name = "Autograd kernel";
    this.item.command = "agnb.restartKernel";
    this.listeners = [
      vscode.window.onDidChangeActiveNotebookEditor(() => this.refresh()),
      kernels.onDidChangeState((notebook) => {
        if (vscode.window.activeNotebookEditor?.notebook === notebook) this.refresh();
      }),
    ];
    this.refresh();
  }

  private refresh(): void {
    const notebook = vscode.window.activeNotebookEditor?.notebook;
    const owner = notebook && this.kernels.ownerOf(notebook);
    if (!notebook || !owner) {
      this.item.hide();
      return;
    }
    const state = owner.stateOf(notebook);
    this.item.text = `${ICONS[state]} ${owner.statusLabel}: ${state}`;
    this.item.tooltip = state === "dead" ? "The kernel stopped. Click to restart it."
      : state === "reconnecting" ? "The connection to the Jupyter server was lost; reconnecting to the same kernel."
        : `${owner.statusLabel} kernel state. Click to restart the kernel.`;
    this.item.backgroundColor = state === "dead" ? new vscode.ThemeColor("statusBarItem.errorBackground")
      : state === "reconnecting" ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
    for (const listener of this.listeners) listener.dispose();
  }
}
