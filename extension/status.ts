// The kernel's state for the active Autograd notebook, in the status bar. Clicking it restarts
// the kernel.
import * as vscode from "vscode";
import type { AutogradController } from "./controller";
import type { KernelState } from "./kernel-session";

const ICONS: Record<KernelState, string> = {
  "not started": "$(circle-outline)", starting: "$(loading~spin)", idle: "$(circle-filled)", busy: "$(sync~spin)", dead: "$(error)",
};

export class KernelStatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("agnb.kernelState", vscode.StatusBarAlignment.Right, 100);
  private readonly listeners: vscode.Disposable[];

  constructor(private readonly controller: AutogradController) {
    this.item.name = "Autograd kernel";
    this.item.command = "agnb.restartKernel";
    this.listeners = [
      vscode.window.onDidChangeActiveNotebookEditor(() => this.refresh()),
      controller.onDidChangeState((notebook) => {
        if (vscode.window.activeNotebookEditor?.notebook === notebook) this.refresh();
      }),
    ];
    this.refresh();
  }

  private refresh(): void {
    const notebook = vscode.window.activeNotebookEditor?.notebook;
    if (!notebook || !this.controller.handles(notebook)) {
      this.item.hide();
      return;
    }
    const state = this.controller.stateOf(notebook);
    this.item.text = `${ICONS[state]} Autograd: ${state}`;
    this.item.tooltip = state === "dead" ? "The kernel stopped. Click to restart it." : "Autograd kernel state. Click to restart the kernel.";
    this.item.backgroundColor = state === "dead" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
    for (const listener of this.listeners) listener.dispose();
  }
}
