/**
 * Captures what cells print (console and process.stdout/stderr) and sends it as `stream`
 * output. Text is batched briefly so that printing in a loop does not become one message per
 * line, yet it keeps flowing while a cell runs; each cell's output is capped, with a note
 * saying how much was cut, so a runaway print cannot flood the notebook.
 */
import { Console } from "node:console";
import { Writable } from "node:stream";
import { formatSize } from "./display";

export type StreamName = "stdout" | "stderr";

/** Characters of stream output kept per cell; `AGNB_OUTPUT_LIMIT` (the extension's setting) changes it. */
export const STREAM_LIMIT = Number(process.env.AGNB_OUTPUT_LIMIT) > 0 ? Math.floor(Number(process.env.AGNB_OUTPUT_LIMIT)) : 1_000_000;
const FLUSH_INTERVAL_MS = 50;
const FLUSH_SIZE = 16_384;
/** Taken at load: a cell that replaces Date.now must not stop its own output from flowing. */
const now = Date.now;

export class StreamCapture {
  private pendingName: StreamName = "stdout";
  private pending = "";
  private lastFlush = 0;
  private sentInCell = 0;
  private cutInCell = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly send: (name: StreamName, text: string) => void) {}

  write(name: StreamName, text: string): void {
    if (!text) return;
    const room = STREAM_LIMIT - this.sentInCell;
    if (room <= 0) {
      this.cutInCell += text.length;
      return;
    }
    if (text.length > room) {
      this.cutInCell += text.length - room;
      text = text.slice(0, room);
    }
    this.sentInCell += text.length;
    if (name !== this.pendingName) this.flush();
    this.pendingName = name;
    this.pending += text;
    // Checked on every write, not only by the timer, because a busy cell starves the timer.
    if (this.pending.length >= FLUSH_SIZE || now() - this.lastFlush >= FLUSH_INTERVAL_MS) this.flush();
  }

  flush(): void {
    // Only a send counts: the idle ticks while a cell is type-checked must not hold back its first line.
    if (!this.pending) return;
    this.lastFlush = now();
    const text = this.pending;
    this.pending = "";
    this.send(this.pendingName, text);
  }

  beginCell(): void {
    this.flush();
    // The cell's first line goes out at once, even if the cell then spins.
    this.lastFlush = 0;
    this.sentInCell = 0;
    this.cutInCell = 0;
    this.timer ??= setInterval(() => this.flush(), FLUSH_INTERVAL_MS).unref();
  }

  endCell(): void {
    this.flush();
    if (this.cutInCell > 0) {
      this.send("stderr", `\n[output capped at ${formatSize(STREAM_LIMIT)}: ${formatSize(this.cutInCell)} more not shown]\n`);
      this.cutInCell = 0;
    }
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Routes the global console and process.stdout/stderr through this capture. */
  install(): void {
    const writable = (name: StreamName) => new Writable({
      decodeStrings: false,
      write: (chunk, _encoding, done) => {
        this.write(name, typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
        done();
      },
    });
    const capturedConsole = new Console({ stdout: writable("stdout"), stderr: writable("stderr") });
    for (const method of Object.keys(capturedConsole) as Array<keyof Console>) {
      (console as any)[method] = (capturedConsole as any)[method];
    }
    for (const [name, stream] of [["stdout", process.stdout], ["stderr", process.stderr]] as const) {
      stream.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
        this.write(name, typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
        const done = typeof encoding === "function" ? encoding : callback;
        if (typeof done === "function") process.nextTick(done as () => void);
        return true;
      }) as typeof stream.write;
    }
  }
}
