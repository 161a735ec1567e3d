// Jupyter notebooks (.ipynb, VS Code's built-in "jupyter-notebook" type) written for our kernel:
// those whose kernelspec is agnb-typescript or whose language is TypeScript. The controller is
// offered for them as the preferred kernel, so a shared .ipynb runs with Run All as it is.
import type * as vscode from "vscode";
import { KERNEL_NAME } from "../kernel/notebook-file";

export const IPYNB_TYPE = "jupyter-notebook";

type Metadata = { kernelspec?: { name?: unknown; language?: unknown }; language_info?: { name?: unknown } };

/** The nbformat metadata as VS Code's ipynb serializer keeps it (newer and older layouts). */
function nbformatMetadata(notebook: Pick<vscode.NotebookDocument, "metadata">): Metadata {
  const data = (notebook.metadata ?? {}) as { metadata?: Metadata; custom?: { metadata?: Metadata } } & Metadata;
  return data.metadata ?? data.custom?.metadata ?? data;
}

export function isAutogradIpynb(notebook: Pick<vscode.NotebookDocument, "metadata" | "notebookType">): boolean {
  if (notebook.notebookType !== IPYNB_TYPE) return false;
  const metadata = nbformatMetadata(notebook);
  const language = metadata.language_info?.name ?? metadata.kernelspec?.language;
  return metadata.kernelspec?.name === KERNEL_NAME || (typeof language === "string" && language.toLowerCase() === "typescript");
}
