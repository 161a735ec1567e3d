// Runs one cell on a kernel into its VS Code cell: starts the execution, clears the old outputs
// and underlines, writes each iopub message as it comes (type errors underlined), sets the
// execution order and ends the execution; after an interrupt, offers a restart if the cell
// does not stop. The local and the remote controllers share it.
import * as vscode from "vscode";
import type { CellProblem } from "../kernel/messages";
import { CellOutputWriter, type DisplayRegistry, type IopubMessage } from "./cell-output-writer";
import type { CellProblems } from "./cell-problems";

/** What a notebook's kernel keeps across its cells: live displays and the cells still running. */
export interface RunningCells { displays: DisplayRegistry; running: Set<CellOutputWriter> }

export interface CellReply { status: string; executionCount: number | null }

/** How long an interrupted cell may take to stop before restarting is offered. */
const INTERRUPT_GRACE_MS = 3000;

/** Called as an interrupt is sent: if a cell running now still runs after the grace, offers `restart`. */
export function offerRestartUnlessStopped(kernel: RunningCells, restart: () => Promise<void>): void {
  const busy = [...kernel.running];
  if (!busy.length) return;
  setTimeout(async () => {
    if (!busy.some((writer) => kernel.running.has(writer))) return;
    const choice = await vscode.window.showWarningMessage(
      `The kernel did not stop within ${INTERRUPT_GRACE_MS / 1000} seconds. Restarting it stops the cell but loses the notebook's variables.`, "Restart Kernel");
    if (choice) await restart();
  }, INTERRUPT_GRACE_MS);
}

/** Resolves with whether the cell succeeded; a failed request becomes the cell's error output. */
export async function executeCell(execution: vscode.NotebookCellExecution, kernel: RunningCells, problems: CellProblems,
  execute: (onMessage: (message: IopubMessage) => void) => Promise<CellReply>): Promise<boolean> {
  const cell = execution.cell;
  const writer = new CellOutputWriter(execution, kernel.displays);
  kernel.running.add(writer);
  execution.start(Date.now());
  await execution.clearOutput();
  problems.clear(cell);
  let ok = false;
  try {
    const reply = await execute((message) => {
      const found = message.header.msg_type === "error" ? message.content.agnb_problems as CellProblem[] | undefined : undefined;
      if (found?.length) problems.show(cell, found);
      writer.handle(message);
    });
    if (reply.executionCount !== null) execution.executionOrder = reply.executionCount;
    ok = reply.status === "ok" && !writer.hadError;
  } catch (error) {
    writer.handle({ header: { msg_type: "error" }, parent_header: {}, content: { ename: "KernelError", evalue: (error as Error).message, traceback: [] } });
  }
  if (kernel.running.delete(writer)) await writer.end(ok);
  return ok;
}
