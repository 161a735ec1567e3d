// A variable's value in a webview panel beside the notebook, one panel per notebook and
// variable, drawn by the notebook renderer's own bundle (tensors as its table or heat strip,
// other values as text). The Variables view hands every new listing of a notebook here, so an
// open panel shows the value after each cell, or says the variable is gone.
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import type { EditorKernels } from "../notebook-kernels";
import { goneMessage, valueMessage, valuePanelHtml, variableTitle, type PanelMessage, type VariableEntry } from "./value-panel-content";

const PANEL_TYPE = "agnb.variableValue";

interface OpenPanel {
  panel: vscode.WebviewPanel;
  notebook: vscode.NotebookDocument;
  entry: VariableEntry;
  /** What the page shows (sent again when a hidden panel's page is rebuilt). */
  shown: PanelMessage | undefined;
  /** Counts fetches, so that a slow reply never overwrites a newer one. */
  fetches: number;
}

export class ValuePanels implements vscode.Disposable {
  private readonly panels = new Map<string, OpenPanel>();
  private readonly listeners: vscode.Disposable[];

  constructor(private readonly kernels: EditorKernels, private readonly extensionUri: vscode.Uri, private readonly log: vscode.LogOutputChannel) {
    this.listeners = [vscode.workspace.onDidCloseNotebookDocument((notebook) => {
      for (const open of [...this.panels.values()]) if (open.notebook === notebook) open.panel.dispose();
    })];
  }

  /** Opens (or brings back) the panel of `entry`, with the value as the kernel has it now. */
  async show(notebook: vscode.NotebookDocument, entry: VariableEntry): Promise<void> {
    const key = panelKey(notebook, entry.name);
    let open = this.panels.get(key);
    if (open) open.panel.reveal(undefined, true);
    else {
      open = this.create(notebook, entry);
      this.panels.set(key, open);
    }
    open.entry = entry;
    open.panel.title = variableTitle(entry);
    await this.fetch(open);
  }

  /** A new listing of the notebook's variables; `reason` says why a missing one is gone. */
  async update(notebook: vscode.NotebookDocument, entries: readonly VariableEntry[], reason: string): Promise<void> {
    const updates = [...this.panels.values()].filter((open) => open.notebook === notebook).map(async (open) => {
      const entry = entries.find((candidate) => candidate.name === open.entry.name);
      if (!entry) {
        open.fetches++;
        return this.post(open, goneMessage(open.entry.name, reason));
      }
      open.entry = entry;
      open.panel.title = variableTitle(entry);
      await this.fetch(open);
    });
    await Promise.all(updates);
  }

  private create(notebook: vscode.NotebookDocument, entry: VariableEntry): OpenPanel {
    const renderers = vscode.Uri.joinPath(this.extensionUri, "dist", "renderers");
    const panel = vscode.window.createWebviewPanel(PANEL_TYPE, variableTitle(entry), { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true, localResourceRoots: [renderers],
    });
    const open: OpenPanel = { panel, notebook, entry, shown: undefined, fetches: 0 };
    panel.webview.html = valuePanelHtml({
      cspSource: panel.webview.cspSource,
      rendererUrl: panel.webview.asWebviewUri(vscode.Uri.joinPath(renderers, "agnb.renderer.js")).toString(),
      nonce: randomBytes(18).toString("base64"),
    });
    // A hidden panel's page is dropped and rebuilt when shown again: it asks for what it showed.
    panel.webview.onDidReceiveMessage((message: { kind?: string }) => {
      if (message?.kind === "ready" && open.shown) void panel.webview.postMessage(open.shown);
    });
    panel.onDidDispose(() => {
      const key = panelKey(notebook, open.entry.name);
      if (this.panels.get(key) === open) this.panels.delete(key);
    });
    return open;
  }

  private async fetch(open: OpenPanel): Promise<void> {
    const fetch = ++open.fetches;
    const { name } = open.entry;
    let message: PanelMessage;
    try {
      const reply = await this.kernels.sessionOf(open.notebook).request("agnb_variables_request", { name });
      message = reply.status === "ok" ? valueMessage(open.entry, reply.data ?? {})
        : reply.ename === "NameError" ? goneMessage(name, "the kernel does not have it")
        : { kind: "text", summary: `${name}: the kernel could not show its value.`, text: `${reply.ename ?? "Error"}: ${reply.evalue ?? ""}` };
    } catch (error) {
      this.log.warn(`value of ${name}: ${(error as Error).message}`);
      message = { kind: "text", summary: `${name}: the kernel could not be asked for its value.`, text: (error as Error).message };
    }
    if (fetch === open.fetches) await this.post(open, message);
  }

  private async post(open: OpenPanel, message: PanelMessage): Promise<void> {
    open.shown = message;
    await open.panel.webview.postMessage(message);
  }

  dispose(): void {
    for (const open of [...this.panels.values()]) open.panel.dispose();
    for (const listener of this.listeners) listener.dispose();
  }
}

const panelKey = (notebook: vscode.NotebookDocument, name: string) => `${notebook.uri.toString()}\n${name}`;
