// Commands: Restart Kernel, New Autograd Notebook, Open Example Notebooks, Export as .ipynb,
// Export as HTML.
import * as vscode from "vscode";
import { newNotebook, serializeNotebook, type Notebook } from "../kernel/notebook-file";
import type { NotebookKernels } from "./notebook-kernels";
import { fromPlainNotebook, toPlainNotebook } from "./notebook-data";
import { documentToPlain, NOTEBOOK_TYPE, toNotebookData } from "./serializer";

const STARTER = [
  { cell_type: "markdown" as const, source: "# Gradients\n`tf` is ready to use. Record a computation on a tape, then ask for its gradient." },
  { cell_type: "code" as const, source: "const w = new tf.Variable(5.0, { name: \"w\" });\nconst tape = new tf.GradientTape();\nconst loss = tape.record(() => w.square());\ntape.gradient(loss, w)" },
];

export function registerCommands(context: vscode.ExtensionContext, kernels: NotebookKernels): vscode.Disposable[] {
  const activeNotebook = () => {
    const notebook = vscode.window.activeNotebookEditor?.notebook;
    if (!notebook || !kernels.handles(notebook)) {
      void vscode.window.showInformationMessage("Open an Autograd notebook (.agnb, or an .ipynb for the TypeScript (Autograd) kernel) first.");
      return undefined;
    }
    return notebook;
  };

  /** Writes the open notebook, as it is in the editor, to a file the user picks. */
  const exportAs = async (extension: string, filters: Record<string, string[]>, write: (notebook: Notebook, name: string) => string | Promise<string>) => {
    const notebook = activeNotebook();
    if (!notebook) return;
    const name = notebook.uri.path.split("/").pop()!.replace(/\.(agnb|ipynb)$/, "");
    const suggested = notebook.uri.with({ path: notebook.uri.path.replace(/\.(agnb|ipynb)$/, "") + `.${extension}` });
    const target = await vscode.window.showSaveDialog({ defaultUri: suggested, filters });
    if (!target) return;
    const text = await write(fromPlainNotebook(documentToPlain(notebook)), name);
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    void vscode.window.showInformationMessage(`Exported ${target.path.split("/").pop()}`);
  };

  return [
    vscode.commands.registerCommand("agnb.restartKernel", async () => {
      const notebook = activeNotebook();
      if (!notebook) return;
      // The kernel of the notebook's selected controller: local, or on a Jupyter server.
      if (kernels.stateOf(notebook) === "not started") {
        void vscode.window.showInformationMessage("The kernel starts when the first cell runs.");
        return;
      }
      await kernels.restart(notebook);
      void vscode.window.setStatusBarMessage(`${kernels.ownerOf(notebook)?.statusLabel ?? "Autograd"} kernel restarted`, 3000);
    }),

    vscode.commands.registerCommand("agnb.newNotebook", async () => {
      const document = await vscode.workspace.openNotebookDocument(NOTEBOOK_TYPE, toNotebookData(toPlainNotebook(newNotebook(STARTER))));
      await vscode.window.showNotebookDocument(document);
    }),

    vscode.commands.registerCommand("agnb.openExamples", async () => {
      const folder = vscode.Uri.joinPath(context.extensionUri, "notebooks");
      const entries = await vscode.workspace.fs.readDirectory(folder);
      const names = entries.filter(([name]) => name.endsWith(".agnb")).map(([name]) => name).sort();
      const picked = await vscode.window.showQuickPick(names, { placeHolder: "Open an example notebook (a copy you can edit)" });
      if (!picked) return;
      // Examples open as copies in the extension's storage, so the bundled originals stay intact
      // and an edited copy is never replaced by a later open.
      const copies = vscode.Uri.joinPath(context.globalStorageUri, "examples");
      const copy = vscode.Uri.joinPath(copies, picked);
      await vscode.workspace.fs.createDirectory(copies);
      try {
        await vscode.workspace.fs.stat(copy);
      } catch {
        await vscode.workspace.fs.copy(vscode.Uri.joinPath(folder, picked), copy);
      }
      await vscode.window.showNotebookDocument(await vscode.workspace.openNotebookDocument(copy));
    }),

    vscode.commands.registerCommand("agnb.exportIpynb", () => exportAs("ipynb", { "Jupyter notebook": ["ipynb"] }, (notebook) => serializeNotebook(notebook))),

    vscode.commands.registerCommand("agnb.exportHtml", () => exportAs("html", { "Web page": ["html"] }, async (notebook, name) => {
      // Loaded on first use: the page writer (and its markdown parser) costs nothing at activation.
      const { notebookToHtml } = await import("../kernel/html-export");
      return notebookToHtml(notebook, name);
    })),
  ];
}
