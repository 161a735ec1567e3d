// Tells VS Code's own TypeScript service which .ipynb notebooks are on our kernel, so that its
// server plugin (extension/ts-plugin/) leaves their cells to our providers. .agnb cells are in
// our own language and never reach it. Without the TypeScript extension nothing happens.
import * as vscode from "vscode";
import type { EditorKernels } from "../notebook-kernels";
import { NOTEBOOK_TYPE } from "../serializer";
import { TSSERVER_PLUGIN_NAME, type SilencedCellsConfiguration } from "../ts-plugin/silenced-cells";

const TYPESCRIPT_EXTENSION = "vscode.typescript-language-features";

interface TypeScriptApi { configurePlugin(pluginName: string, configuration: unknown): void }

export class BuiltinTypeScriptQuieter implements vscode.Disposable {
  private readonly listeners: vscode.Disposable[];
  private api: Promise<TypeScriptApi | undefined> | undefined;
  private sent = JSON.stringify([]);

  constructor(private readonly kernels: EditorKernels, private readonly log: vscode.LogOutputChannel) {
    const update = () => void this.update();
    this.listeners = [
      vscode.workspace.onDidOpenNotebookDocument(update),
      vscode.workspace.onDidCloseNotebookDocument(update),
      vscode.workspace.onDidChangeNotebookDocument((change) => { if (change.metadata) update(); }),
      vscode.workspace.onDidGrantWorkspaceTrust(update),
      kernels.onDidChangeState(update),
    ];
    update();
  }

  /** URI paths of the open .ipynb notebooks whose cells our providers answer. */
  private notebooksOnOurKernel(): string[] {
    if (!vscode.workspace.isTrusted) return [];
    return vscode.workspace.notebookDocuments
      .filter((notebook) => notebook.notebookType !== NOTEBOOK_TYPE && this.kernels.handles(notebook))
      .map((notebook) => notebook.uri.path)
      .sort();
  }

  private async update(): Promise<void> {
    const notebooks = this.notebooksOnOurKernel();
    const message = JSON.stringify(notebooks);
    if (message === this.sent) return;
    this.sent = message;
    const api = await (this.api ??= typeScriptApi(this.log));
    // A later update may have been sent meanwhile; only the newest set is told.
    if (!api || this.sent !== message) return;
    const configuration: SilencedCellsConfiguration = { notebooks };
    try {
      api.configurePlugin(TSSERVER_PLUGIN_NAME, configuration);
    } catch (error) {
      this.log.warn(`VS Code's TypeScript service was not told which cells are ours: ${(error as Error).message}`);
    }
  }

  dispose(): void {
    for (const listener of this.listeners) listener.dispose();
  }
}

async function typeScriptApi(log: vscode.LogOutputChannel): Promise<TypeScriptApi | undefined> {
  const extension = vscode.extensions.getExtension<{ getAPI?(version: 0): TypeScriptApi | undefined }>(TYPESCRIPT_EXTENSION);
  if (!extension) return undefined;
  try {
    const exports = extension.isActive ? extension.exports : await extension.activate();
    return exports?.getAPI?.(0);
  } catch (error) {
    log.warn(`VS Code's TypeScript service cannot be told which cells are ours: ${(error as Error).message}`);
    return undefined;
  }
}
