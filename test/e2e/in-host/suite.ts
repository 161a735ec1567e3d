// The in-host checks, run inside a desktop VS Code by @vscode/test-electron (npm run test:vscode):
// every example notebook runs with the seed numbers in its outputs, interrupt keeps state, a
// saved notebook keeps its outputs, and a malformed file is refused and left unchanged.
import * as vscode from "vscode";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const EXTENSION_ID = "autograd-notebook.autograd-notebook";
const decoder = new TextDecoder();

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function open(file: string): Promise<vscode.NotebookDocument> {
  const notebook = await vscode.workspace.openNotebookDocument(vscode.Uri.file(file));
  await vscode.window.showNotebookDocument(notebook);
  await vscode.commands.executeCommand("notebook.selectKernel", { id: "agnb-typescript", extension: EXTENSION_ID });
  return notebook;
}

function codeCells(notebook: vscode.NotebookDocument): vscode.NotebookCell[] {
  return notebook.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code);
}

async function runAll(notebook: vscode.NotebookDocument, timeoutMs: number): Promise<void> {
  await vscode.commands.executeCommand("notebook.execute");
  await until(`${notebook.uri.path} to finish`, () => codeCells(notebook).every((c) => c.executionSummary?.success !== undefined), timeoutMs);
}

/** Every output item of the notebook as text, JSON payloads included. */
function outputText(notebook: vscode.NotebookDocument): string {
  return notebook.getCells().flatMap((c) => c.outputs.flatMap((o) => o.items.map((i) => decoder.decode(i.data)))).join("\n");
}

export async function run(): Promise<void> {
  const workspace = vscode.workspace.workspaceFolders![0].uri.fsPath;
  for (const name of readdirSync(workspace).filter((f) => /^\d\d-.*\.agnb$/.test(f)).sort()) {
    const notebook = await open(join(workspace, name));
    await runAll(notebook, 300_000);
    assert.ok(codeCells(notebook).every((c) => c.executionSummary?.success), `every cell of ${name} succeeds`);
    const text = outputText(notebook);
    if (name.startsWith("01")) assert.match(text, /tf\.Tensor\(10\.0/, "gradient 10.0");
    if (name.startsWith("02")) assert.match(text, /application\/vnd\.agnb\.tape\+json|"nodes":\[/, "a tape is displayed");
    if (name.startsWith("04")) assert.match(text, /"kind":"hessian"|"kind":"jacobian"/, "a Hessian heatmap payload");
    if (name.startsWith("06")) assert.match(text, /0\.53687/, "x = 0.53687");
    if (name.startsWith("07")) assert.match(text, /"data":\[\{/, "a plotly loss curve");
    await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
  }

  const interrupt = await open(join(workspace, "interrupt.agnb"));
  const [first, loop, last] = codeCells(interrupt);
  await vscode.commands.executeCommand("notebook.cell.execute", { ranges: [{ start: first.index, end: first.index + 1 }], document: interrupt.uri });
  void vscode.commands.executeCommand("notebook.cell.execute", { ranges: [{ start: loop.index, end: loop.index + 1 }], document: interrupt.uri });
  await new Promise((r) => setTimeout(r, 3000));
  await vscode.commands.executeCommand("notebook.cancelExecution");
  await until("the loop to stop", () => loop.executionSummary?.success === false, 10_000);
  await vscode.commands.executeCommand("notebook.cell.execute", { ranges: [{ start: last.index, end: last.index + 1 }], document: interrupt.uri });
  await until("the cell after the interrupt", () => last.executionSummary?.success !== undefined, 30_000);
  assert.match(outputText(interrupt), /42/, "the variable from before the interrupt is still there");
  await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");

  const savedFile = join(workspace, "saved.agnb");
  const saved = await open(savedFile);
  await runAll(saved, 60_000);
  await saved.save();
  assert.match(readFileSync(savedFile, "utf8"), /application\/vnd\.agnb\.tensor\+json/, "the output is in the file");
  await vscode.commands.executeCommand("workbench.action.closeActiveEditor");
  const reopened = await vscode.workspace.openNotebookDocument(vscode.Uri.file(savedFile));
  assert.match(outputText(reopened), /tf\.Tensor\(10\.0/, "the reopened notebook has its outputs");

  const brokenFile = join(workspace, "broken.agnb");
  const broken = readFileSync(brokenFile, "utf8");
  await assert.rejects(Promise.resolve(vscode.workspace.openNotebookDocument(vscode.Uri.file(brokenFile))), /not valid JSON/);
  assert.equal(readFileSync(brokenFile, "utf8"), broken, "the malformed file is unchanged");
}
