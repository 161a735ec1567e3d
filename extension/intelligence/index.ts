// Editor intelligence for our cells: completion, hover and signature help from the kernel's
// type checker, live type errors, and the Variables view. Registered from extension.ts.
import * as vscode from "vscode";
import type { EditorKernels } from "../notebook-kernels";
import { BuiltinTypeScriptQuieter } from "./builtin-typescript";
import { LiveDiagnostics } from "./live-diagnostics";
import { NotebookLanguage } from "./notebook-language";
import { registerProviders } from "./providers";
import { VariablesView } from "./variables-view";

export function registerIntelligence(controller: EditorKernels, extensionUri: vscode.Uri, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const language = new NotebookLanguage(controller, log);
  // Language features work from the moment a notebook opens: its kernel starts then.
  vscode.workspace.notebookDocuments.forEach((notebook) => language.warm(notebook));
  return [
    vscode.workspace.onDidOpenNotebookDocument((notebook) => language.warm(notebook)),
    ...registerProviders(language),
    new LiveDiagnostics(language, controller.problems),
    new VariablesView(controller, extensionUri, log),
    new BuiltinTypeScriptQuieter(controller, log),
  ];
}
