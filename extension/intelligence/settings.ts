// The extension's settings that reach the kernel, as its environment: type checking, the Node
// that runs it (AGNB_NODE, read by the kernel session) and the output limit per cell.
import * as vscode from "vscode";

export function kernelSettings(): NodeJS.ProcessEnv {
  const settings = vscode.workspace.getConfiguration("autogradNotebook");
  const env: NodeJS.ProcessEnv = { AGNB_TYPECHECK: settings.get<boolean>("typeCheck", true) ? "on" : "off" };
  const node = settings.get<string>("nodePath", "").trim();
  if (node) env.AGNB_NODE = node;
  const limit = settings.get<number>("outputLimit", 0);
  if (Number.isFinite(limit) && limit > 0) env.AGNB_OUTPUT_LIMIT = String(Math.floor(limit));
  return env;
}

/** Whether editing asks the kernel for type errors as the user types. */
export function liveTypeChecking(): boolean {
  return vscode.workspace.getConfiguration("autogradNotebook").get<boolean>("typeCheck", true);
}
