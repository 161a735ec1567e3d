/**
 * Reads the kernel's stdin on a separate thread. Messages are handed to the main thread as
 * usual, but an interrupt_request is also flagged in shared memory at once, so that a cell
 * spinning in a loop (which keeps the main thread from reading anything) can see it: loops in
 * cells check the flag (see transform.ts), including loops that run after an `await`, which
 * SIGINT cannot break.
 */
import { EventEmitter } from "node:events";
import { Worker } from "node:worker_threads";

const READER_SOURCE = `
const net = require("node:net");
const fs = require("node:fs");
const { parentPort, workerData } = require("node:worker_threads");
const flag = new Int32Array(workerData.flag);
// This thread's own event loop reads, so reading goes on while the main thread is busy.
let input;
try {
  input = new net.Socket({ fd: 0, readable: true, writable: false });
} catch {
  input = fs.createReadStream("", { fd: 0 });
}
input.setEncoding("utf8");
let pending = "";
input.on("data", (text) => {
  pending += text;
  let newline;
  while ((newline = pending.indexOf("\\n")) !== -1) {
    const line = pending.slice(0, newline);
    pending = pending.slice(newline + 1);
    if (line.includes('"interrupt_request"') && /"channel"\\s*:\\s*"control"/.test(line)) Atomics.store(flag, 0, 1);
  }
  parentPort.postMessage(text);
});
input.on("end", () => parentPort.postMessage(null));
input.on("error", () => parentPort.postMessage(null));
`;

export class StdinReader extends EventEmitter {
  /** Set to 1 by the reader when an interrupt_request arrives; cleared by whoever acts on it. */
  readonly interruptFlag = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;

  constructor() {
    super();
    this.worker = new Worker(READER_SOURCE, { eval: true, workerData: { flag: this.interruptFlag.buffer } });
    this.worker.on("message", (text: string | null) => {
      if (text === null) this.emit("end");
      else this.emit("data", text);
    });
    this.worker.on("error", (error) => this.emit("error", error));
  }
}
