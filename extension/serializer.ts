// The `.agnb` notebook serializer: bytes ↔ VS Code NotebookData through the project's one
// notebook-file module. A file that cannot be parsed raises an error naming the problem, so VS
// Code shows it and never opens (nor later saves over) a half-read notebook.
import * as vscode from "vscode";
import { parseNotebook, serializeNotebook } from "../kernel/notebook-file";
import {
  fromPlainNotebook, toPlainNotebook, type CellMetadata, type OutputMetadata, type PlainCell, type PlainNotebook, type PlainOutput,
} from "./notebook-data";

export const NOTEBOOK_TYPE = "agnb";

export class AgnbSerializer implements vscode.NotebookSerializer {
  deserializeNotebook(content: Uint8Array): vscode.NotebookData {
    try {
      return toNotebookData(toPlainNotebook(parseNotebook(content, "this .agnb file")));
    } catch (error) {
      // VS Code itself only says the editor could not be opened; say what is wrong with the file.
      const reopen = "Open in Text Editor";
      void vscode.window.showErrorMessage(`Cannot open the notebook: ${(error as Error).message}. The file is left as it is.`, reopen).then((choice) => {
        if (choice === reopen) void vscode.commands.executeCommand("workbench.action.reopenTextEditor");
      });
      throw error;
    }
  }

  serializeNotebook(data: vscode.NotebookData): Uint8Array {
    return new TextEncoder().encode(serializeNotebook(fromPlainNotebook(fromNotebookData(data))));
  }
}

export function toNotebookData(plain: PlainNotebook): vscode.NotebookData {
  const cells = plain.cells.map((cell) => {
    const data = new vscode.NotebookCellData(
      cell.kind === "markup" ? vscode.NotebookCellKind.Markup : vscode.NotebookCellKind.Code, cell.value, cell.languageId);
    data.metadata = cell.metadata as Record<string, unknown>;
    data.outputs = cell.outputs.map(toCellOutput);
    if (cell.executionOrder !== undefined) data.executionSummary = { executionOrder: cell.executionOrder };
    return data;
  });
  const data = new vscode.NotebookData(cells);
  data.metadata = plain.metadata;
  return data;
}

export function toCellOutput(output: PlainOutput): vscode.NotebookCellOutput {
  return new vscode.NotebookCellOutput(
    output.items.map((item) => new vscode.NotebookCellOutputItem(item.data, item.mime)), output.metadata as unknown as Record<string, unknown>);
}

/** Cells as they are in the editor now, for saving or exporting. */
export function fromNotebookData(data: vscode.NotebookData): PlainNotebook {
  return { metadata: data.metadata ?? {}, cells: data.cells.map(fromCellData) };
}

export function fromCellData(cell: vscode.NotebookCellData | vscode.NotebookCell): PlainCell {
  const isCellData = cell instanceof vscode.NotebookCellData;
  const value = isCellData ? cell.value : cell.document.getText();
  const languageId = isCellData ? cell.languageId : cell.document.languageId;
  const outputs: PlainOutput[] = (cell.outputs ?? []).map((output) => ({
    items: output.items.map((item) => ({ mime: item.mime, data: item.data })),
    metadata: (output.metadata ?? { outputType: "display_data" }) as unknown as OutputMetadata,
  }));
  const order = cell.executionSummary?.executionOrder;
  return {
    kind: cell.kind === vscode.NotebookCellKind.Markup ? "markup" : "code", value, languageId, outputs,
    metadata: (cell.metadata ?? {}) as CellMetadata,
    ...(order !== undefined ? { executionOrder: order } : {}),
  };
}

/** The open notebook as the file module's notebook (for Export as .ipynb). */
export function documentToPlain(document: vscode.NotebookDocument): PlainNotebook {
  return { metadata: document.metadata ?? {}, cells: document.getCells().map(fromCellData) };
}
