// Underlines a cell's type errors as the user types (debounced), with the messages that would
// refuse its run, and clears them once fixed; shown through the controller's CellProblems, so a
// refused run and live checking never underline the same error twice.
import * as vscode from "vscode";
import type { CellProblems } from "../cell-problems";
import type { CellProblem } from "../../kernel/messages";
import type { NotebookLanguage } from "./notebook-language";
import { liveTypeChecking } from "./settings";

const DEBOUNCE_MS = 300;

export class LiveDiagnostics implements vscode.Disposable {
  private readonly timers = new Map<vscode.TextDocument, NodeJS.Timeout>();
  private readonly listener: vscode.Disposable;

  constructor(private readonly language: NotebookLanguage, private readonly problems: CellProblems) {
    this.listener = vscode.workspace.onDidChangeTextDocument((change) => {
      if (change.contentChanges.length && liveTypeChecking()) this.schedule(change.document);
    });
  }

  schedule(document: vscode.TextDocument): void {
    if (!this.language.cellOf(document)) return;
    clearTimeout(this.timers.get(document));
    this.timers.set(document, setTimeout(() => void this.check(document), DEBOUNCE_MS));
  }

  private async check(document: vscode.TextDocument): Promise<void> {
    this.timers.delete(document);
    const version = document.version;
    const reply = await this.language.ask(document, "agnb_diagnostics_request");
    const target = this.language.cellOf(document);
    // Text typed meanwhile gets its own check; this answer is for older text.
    if (!reply || !target || document.version !== version) return;
    const problems = reply.agnb_problems as CellProblem[];
    if (problems.length) this.problems.show(target.cell, problems);
    else this.problems.clear(target.cell);
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.listener.dispose();
  }
}
