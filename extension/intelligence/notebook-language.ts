// Asks the notebook's kernel about a cell being edited. The kernel's type checker answers these
// on its own thread (kernel/PROTOCOL.md, "Editor requests"), with exactly what a run would be
// checked against, even while a cell runs; requests go on control, so the kernel's busy state
// in the status bar follows the cells alone.
import * as vscode from "vscode";
import type { EditorKernels } from "../notebook-kernels";
import { CELL_LANGUAGES } from "../notebook-data";

/** Our cells: TypeScript cells of .agnb notebooks and of .ipynb notebooks on our kernel. */
export const CELL_SELECTOR: vscode.DocumentSelector = ["agnb", "jupyter-notebook"].flatMap((notebookType) =>
  CELL_LANGUAGES.map((language) => ({ notebookType, language })));

export interface CellRequest { notebook: vscode.NotebookDocument; cell: vscode.NotebookCell; code: string }

export class NotebookLanguage {
  constructor(private readonly controller: EditorKernels, private readonly log: vscode.LogOutputChannel) {}

  /** The cell a text document is, when it belongs to a notebook of ours in a trusted workspace. */
  cellOf(document: vscode.TextDocument): CellRequest | undefined {
    if (document.uri.scheme !== "vscode-notebook-cell" || !vscode.workspace.isTrusted) return undefined;
    for (const notebook of vscode.workspace.notebookDocuments) {
      if (notebook.uri.path !== document.uri.path || !this.controller.handles(notebook)) continue;
      const cell = notebook.getCells().find((candidate) => candidate.document === document);
      if (cell) return { notebook, cell, code: document.getText() };
    }
    return undefined;
  }

  /** The kernel's reply content, or undefined when it cannot answer (it is not running, or failed). */
  async ask(document: vscode.TextDocument, msgType: string, position?: vscode.Position): Promise<Record<string, any> | undefined> {
    const target = this.cellOf(document);
    if (!target) return undefined;
    const cursor = position ? codePoints(target.code, document.offsetAt(position)) : 0;
    try {
      const content = await this.controller.sessionOf(target.notebook).request(msgType, { code: target.code, cursor_pos: cursor, detail_level: 0 });
      return content.status === "ok" ? content : undefined;
    } catch (error) {
      this.log.warn(`${msgType}: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Starts the notebook's kernel, so that completion answers at once, before any cell ran. */
  warm(notebook: vscode.NotebookDocument): void {
    if (!vscode.workspace.isTrusted || !this.controller.handles(notebook)) return;
    this.controller.sessionOf(notebook).request("complete_request", { code: "tf.", cursor_pos: 3 })
      .catch((error) => this.log.warn(`language features: ${(error as Error).message}`));
  }
}

/** VS Code counts UTF-16 units; Jupyter's cursor positions count code points. */
export function codePoints(text: string, utf16Offset: number): number {
  return [...text.slice(0, utf16Offset)].length;
}

/** The UTF-16 offset of a position given in code points. */
export function utf16Offset(text: string, codePointOffset: number): number {
  let offset = 0;
  for (let i = 0; i < codePointOffset && offset < text.length; i++) offset += text.codePointAt(offset)! > 0xffff ? 2 : 1;
  return offset;
}
