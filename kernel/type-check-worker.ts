/**
 * The type checker's thread (dist/type-check-worker.cjs). Loading TypeScript and the libraries
 * takes a second or more; here it happens while the kernel already answers, and a long check
 * never keeps the kernel from reading an interrupt. The same thread answers editor requests
 * (completion, hover, signatures, diagnostics) that the transport thread sends it directly.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from "node:worker_threads";
// First: it puts the compiler, loaded from V8's code cache, where `import "typescript"` finds it.
import { saveTypeScriptCodeCache } from "./typescript-code-cache";
import { CellTypeChecker, type TypeCheckerSetup } from "./type-checker";
import { CellLanguageService } from "./language-service";
import { readCompletionDetails } from "./completion-details";
import { answer } from "./intelligence";
import type { IntelligenceRequest, IntelligenceResponse } from "./intelligence-channel";

export type TypeCheckRequest = { kind: "check"; id: number; source: string } | { kind: "commit" };
export type TypeCheckResponse = { id: number; diagnostics: import("./type-checker").CellDiagnostic[] } | { id: number; failure: string };
export interface TypeCheckWorkerData { setup: TypeCheckerSetup; editorPort?: MessagePort }

const port = parentPort!;
const { setup, editorPort } = workerData as TypeCheckWorkerData;
const checker = new CellTypeChecker(setup);
// Made on the first editor request: a kernel nobody edits in (agnb run, nbconvert) never
// parses the libraries a second time, with their doc comments.
let service: CellLanguageService | undefined;
// Loads the libraries. An editor request that came meanwhile (opening a notebook asks at once)
// is answered before the sample cell warms the compiler further: answering it warms it as well.
checker.check("");
let answeredEarly = false;
for (let waiting = editorPort && receiveMessageOnPort(editorPort); waiting; waiting = receiveMessageOnPort(editorPort!)) {
  answerEditor(waiting.message as IntelligenceRequest);
  answeredEarly = true;
}
if (!answeredEarly) checker.warmUp();
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

editorPort?.on("message", answerEditor);

function answerEditor(request: IntelligenceRequest): void {
  try {
    const first = !service;
    service ??= new CellLanguageService(checker, readCompletionDetails(checker, checker.libraryFileNames()));
    editorPort!.postMessage(answer(request, service, checker));
    // After the first answer: the next `w.` or `tf.` finds its details ready.
    if (first) setImmediate(() => service!.warmUp());
  } catch (error) {
    // Types failed on this text: the live values may still answer.
    process.stderr.write(`kernel: editor request ${request.kind} failed: ${String((error as Error)?.message ?? error).split("\n")[0]}\n`);
    editorPort!.postMessage({ id: request.id, content: null, runtime: true } satisfies IntelligenceResponse);
  }
}
