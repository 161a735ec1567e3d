// Underlines a cell's type errors in its editor, from the spans the kernel sends with a cell it
// refused (`agnb_problems`), until the cell is edited or run again.
import * as vscode from "vscode";
import type { CellProblem } from "../kernel/messages";

export class CellProblems implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection("autograd-notebook");
  private readonly edits = vscode.workspace.onDidChangeTextDocument((change) => {
    if (change.contentChanges.length && this.collection.has(change.document.uri)) this.collection.delete(change.document.uri);
  });

  show(cell: vscode.NotebookCell, problems: CellProblem[]): void {
    this.collection.set(cell.document.uri, problems.map((problem) => {
      const range = new vscode.Range(problem.line - 1, problem.column - 1, problem.endLine - 1, Math.max(problem.endColumn - 1, problem.column));
      const diagnostic = new vscode.Diagnostic(range, problem.message, vscode.DiagnosticSeverity.Error);
      diagnostic.source = "ts";
      diagnostic.code = problem.code;
      return diagnostic;
    }));
  }

  clear(cell: vscode.NotebookCell): void {
    this.collection.delete(cell.document.uri);
  }

  dispose(): void {
    this.edits.dispose();
    this.collection.dispose();
  }
}
