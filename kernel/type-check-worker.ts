/**
 * The type checker's thread (dist/type-check-worker.cjs). Loading TypeScript and the libraries
 * takes a second or more; here it happens while the kernel already answers, and a long check
 * never keeps the kernel from reading an interrupt.
 */
import { parentPort, workerData } from "node:worker_threads";
// First: it puts the compiler, loaded from V8's code cache, where `import "typescript"` finds it.
import { saveTypeScriptCodeCache } from "./typescript-code-cache";
import { CellTypeChecker, type TypeCheckerSetup } from "./type-checker";

export type TypeCheckRequest = { kind: "check"; id: number; source: string } | { kind: "commit" };
export type TypeCheckResponse = { id: number; diagnostics: import("./type-checker").CellDiagnostic[] } | { id: number; failure: string };

const port = parentPort!;
const checker = new CellTypeChecker(workerData as TypeCheckerSetup);
checker.warmUp();
saveTypeScriptCodeCache();
port.on("message", (request: TypeCheckRequest) => {
  if (request.kind === "commit") {
    checker.commit();
    return;
  }
  try {
    port.postMessage({ id: request.id, diagnostics: checker.check(request.source) } satisfies TypeCheckResponse);
  } catch (error) {
    // A crash of the checker must not stop the cell: it runs unchecked, with a note.
    port.postMessage({ id: request.id, failure: String((error as Error)?.stack ?? error) } satisfies TypeCheckResponse);
  }
});
