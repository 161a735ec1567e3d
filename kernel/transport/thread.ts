/**
 * The kernel's transport thread (dist/kernel-transport.cjs): owns the transport's I/O and fills
 * in every outgoing header, so nothing a cell does to the main thread's built-ins or event loop
 * can stop the kernel from talking. It answers on its own what must work while a cell spins
 * (kernel_info and interrupt on control, shutdown), numbers each other request in order of
 * arrival for the main thread, routes input replies to a waiting cell, and ends the process when
 * the parent goes away.
 */
import { randomUUID } from "node:crypto";
import { writeSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { completeMessage, type MessageType, type OutgoingMessage, type WireMessage } from "../messages";
import type { AdapterFactory, TransportAdapter, TransportOptions } from "./adapter";
import { LocalAdapter } from "./local";
import { EditorRequestRoute } from "../editor-request-route";
import type { FromThread, ThreadSetup, ToThread } from "./shared-state";
import { threadSignals } from "./thread-signals";

/** How long an interrupt may wait for the main thread before SIGINT is raised to break a spin. */
const SIGNAL_AFTER_MS = 50;
/** How long the main thread gets to exit by itself before the process is killed. */
const FAILED_OPEN_GRACE_MS = 15_000;
const EXIT_GRACE_MS = 1000;
const PARENT_CHECK_MS = 1000;

/** Without shared memory, how long an interrupt may go untaken before the kernel says why. */
const UNREACHED_NOTE_AFTER_MS = 1000;
const UNREACHED = "kernel: the interrupted cell has not stopped yet: without shared memory (SharedArrayBuffer) an interrupt reaches only a cell's loops and awaits, and this one is busy elsewhere (library code, a regular expression, a blocking call); it stops at the next of them";

const setup = workerData as ThreadSetup;
const session = randomUUID();
const port = parentPort!;

function log(line: string): void {
  try {
    writeSync(2, line.endsWith("\n") ? line : `${line}\n`);
  } catch {
    // stderr is gone with the parent; nothing left to tell.
  }
}

function postToMain(message: FromThread): void {
  port.postMessage(message);
}

const signals = threadSignals(setup, postToMain);

function createAdapter(options: TransportOptions): TransportAdapter {
  if (options.kind === "local") return new LocalAdapter(log, (reason) => endProcess(reason));
  let zeromq: { createZeroMQAdapter?: AdapterFactory };
  try {
    // Loaded only for this transport, so the local one never loads the native addon.
    zeromq = require("./zeromq");
  } catch (error) {
    throw new Error(`the ZeroMQ transport cannot be loaded: ${String((error as Error).message).split("\n")[0]}`);
  }
  if (typeof zeromq.createZeroMQAdapter !== "function") throw new Error("the ZeroMQ transport module has no createZeroMQAdapter");
  return zeromq.createZeroMQAdapter(options, log);
}

let adapter: TransportAdapter;
let ending = false;
/** Messages sent before the transport is open wait here. */
let unopened: WireMessage[] | null = [];
let opening: Promise<void>;

/** The execute_request whose cell runs, as the main thread's busy and idle statuses tell. */
let runningCell: OutgoingMessage["parent_header"] | null = null;

function transmit(outgoing: OutgoingMessage): void {
  if (outgoing.msg_type === "status" && outgoing.parent_header?.msg_type === "execute_request") {
    runningCell = (outgoing.content as { execution_state?: string })?.execution_state === "busy" ? outgoing.parent_header : null;
  }
  const message = completeMessage(outgoing, session);
  if (unopened) unopened.push(message);
  else adapter.send(message);
}

function reply(request: WireMessage, msgType: MessageType, content: unknown): void {
  transmit({ channel: request.channel, msg_type: msgType, content, parent_header: request.header, metadata: {} });
}

/** Whether the transport opened (once that is settled): a failed one has nothing to flush. */
const opened = (): Promise<boolean> => opening.then(() => true, () => false);

async function drained(): Promise<void> {
  if (await opened()) await (adapter as Partial<Pick<LocalAdapter, "drained">>).drained?.();
}

/** Ends the process: the main thread is asked first; if it is stuck in a cell, it is killed. */
function endProcess(reason: string, code = 0): void {
  if (ending) return;
  ending = true;
  postToMain({ kind: "exit", code, reason });
  const kill = () => process.kill(process.pid, "SIGKILL");
  // A transport that failed to open leaves the main thread idle, only perhaps slow to start on a
  // busy machine: wait longer for it, so the user sees the exit code rather than a signal.
  setTimeout(() => { drained().then(kill, kill); }, code === 0 ? EXIT_GRACE_MS : FAILED_OPEN_GRACE_MS);
}

/** A line for the user: stderr output of the running cell, or the kernel's stderr when none runs. */
function note(line: string): void {
  if (!runningCell) return log(line);
  transmit({ channel: "iopub", msg_type: "stream", content: { name: "stderr", text: `${line}\n` }, parent_header: runningCell, metadata: {} });
}

function interrupt(): void {
  const seq = signals.interrupt();
  postToMain({ kind: "interrupt", seq });
  if (!setup.shared) {
    // No SIGINT: without keepers it could end the process (interrupt-guard.ts). Loop checks poll instead.
    setTimeout(() => { if (!signals.interruptTaken(seq)) note(UNREACHED); }, UNREACHED_NOTE_AFTER_MS);
    return;
  }
  if (process.platform === "win32") return;
  // A flag no loop check took and a main thread that has not taken the message: the cell spins
  // where no check reaches (library code, a regex). SIGINT breaks it (see interrupt-guard.ts).
  setTimeout(() => {
    if (!signals.interruptTaken(seq)) process.kill(process.pid, "SIGINT");
  }, SIGNAL_AFTER_MS);
}

function shutdown(request: WireMessage): void {
  const restart = Boolean(request.content?.restart);
  reply(request, "shutdown_reply", { status: "ok", restart });
  transmit({ channel: "iopub", msg_type: "shutdown_reply", content: { status: "ok", restart }, parent_header: request.header, metadata: {} });
  postToMain({ kind: "shutdown", restart });
  ending = true;
  const kill = () => process.kill(process.pid, "SIGKILL");
  setTimeout(() => { drained().then(kill, kill); }, EXIT_GRACE_MS);
}

function answerInput(message: WireMessage): void {
  if (!signals.inputWaiting()) {
    log("kernel: an input_reply arrived while no cell waits for input; ignored");
    return;
  }
  const value = message.content?.value;
  signals.answerInput(typeof value === "string" ? value : null);
}

const editorRequests = setup.editorPort
  ? new EditorRequestRoute(setup.editorPort, transmit, (id, request, code, cursorPos) => postToMain({ kind: "introspect", id, request, code, cursorPos }))
  : null;

function receive(message: WireMessage): void {
  const type = message.header.msg_type;
  if (message.channel === "stdin") {
    if (type === "input_reply") answerInput(message);
    else log(`kernel: ignored ${type} on the stdin channel`);
    return;
  }
  if (type === "shutdown_request") return shutdown(message);
  if (message.channel === "control" && type === "kernel_info_request") return reply(message, "kernel_info_reply", setup.kernelInfo);
  if (message.channel === "control" && type === "interrupt_request") {
    reply(message, "interrupt_reply", { status: "ok" });
    return interrupt();
  }
  // Completion, inspect and diagnostics never wait behind a running cell (editor-request-route.ts).
  if (editorRequests?.takes(message)) return;
  postToMain({ kind: "message", message, arrival: signals.nextArrival() });
}

async function handle(request: ToThread): Promise<void> {
  switch (request.kind) {
    case "send":
      transmit(request.message);
      return;
    case "introspected":
      editorRequests?.runtimeAnswered(request.id, request.content);
      return;
    case "interruptTaken":
      signals.mainTookInterrupt(request.seq);
      return;
    case "countInterrupts":
      postToMain({ kind: "interruptsCounted", count: signals.interruptCount() });
      return;
    case "input":
      signals.inputRequested();
      transmit({ channel: "stdin", msg_type: "input_request", content: { prompt: request.request.prompt, password: request.request.password }, parent_header: request.request.parent_header, metadata: {} });
      return;
    case "flush":
      try {
        if (!request.close) await drained();
        else if (await opened()) await adapter.close();
      } finally {
        signals.flushed(request.id);
      }
  }
}

function watchParent(): void {
  const parent = setup.parentPid;
  const jupyterParent = process.platform === "win32" ? NaN : Number(process.env.JPY_PARENT_PID);
  setInterval(() => {
    if (process.ppid !== parent) return endProcess(`the parent process ${parent} has gone`);
    if (Number.isInteger(jupyterParent) && jupyterParent > 1) {
      try {
        process.kill(jupyterParent, 0);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ESRCH") endProcess(`the parent process ${jupyterParent} (JPY_PARENT_PID) has gone`);
      }
    }
  }, PARENT_CHECK_MS);
}

port.on("message", (request: ToThread) => {
  handle(request).catch((error) => log(`kernel: transport thread: ${(error as Error).message}`));
});
try {
  adapter = createAdapter(setup.options);
  opening = adapter.open(receive).then(() => {
    for (const message of unopened!) adapter.send(message);
    unopened = null;
  });
} catch (error) {
  opening = Promise.reject(error);
}
opening.catch((error) => endProcess(`kernel: ${(error as Error).message}`, 1));
watchParent();
