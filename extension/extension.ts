// Entry point. activate() only registers the serializer, controller, commands, status item and
// editor intelligence; a notebook's kernel starts when it opens (for completion) or runs.
import { BUNDLE_EVALUATION_STARTED } from "./activation-clock";
import { performance } from "node:perf_hooks";
import * as vscode from "vscode";
import { AgnbSerializer, NOTEBOOK_TYPE } from "./serializer";
import { AutogradController } from "./controller";
import { NotebookKernels } from "./notebook-kernels";
import { registerCommands } from "./commands";
import { KernelStatusItem } from "./status";
import { registerRemoteKernels } from "./remote";
import { registerIntelligence } from "./intelligence";

// Module bodies run in import order, so this line runs once the whole bundle has been evaluated.
const BUNDLE_EVALUATION_MS = performance.now() - BUNDLE_EVALUATION_STARTED;

export function activate(context: vscode.ExtensionContext): void {
  const activationStarted = performance.now();
  const log = vscode.window.createOutputChannel("Autograd Notebook", { log: true });
  const controller = new AutogradController(context.asAbsolutePath("dist/kernel.cjs"), log);
  // The notebook's selected controller (local, or a Jupyter server's) decides which kernel
  // restart, the status bar and the editor features talk to.
  const kernels = new NotebookKernels(controller);
  context.subscriptions.push(
    log,
    vscode.workspace.registerNotebookSerializer(NOTEBOOK_TYPE, new AgnbSerializer(), { transientOutputs: false }),
    controller,
    kernels,
    new KernelStatusItem(kernels),
    vscode.workspace.onDidCloseNotebookDocument((notebook) => controller.shutdown(notebook)),
    ...registerCommands(context, kernels),
    ...registerRemoteKernels(context, kernels, log),
    ...registerIntelligence(kernels, context.extensionUri, log),
  );
  // What the extension costs VS Code: evaluating the bundle plus activate() itself (not the
  // time the extension host spends elsewhere between the two).
  const activateMs = performance.now() - activationStarted;
  log.info(`activated in ${(BUNDLE_EVALUATION_MS + activateMs).toFixed(1)} ms (bundle ${BUNDLE_EVALUATION_MS.toFixed(1)} ms, activate() ${activateMs.toFixed(1)} ms)`);
}

export function deactivate(): void {}
