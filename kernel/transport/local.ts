/**
 * The local transport (PROTOCOL.md): JSON lines in both directions over fd 3, a socket the
 * parent process opened for the kernel alone, so that fd 0/1/2 stay the user's.
 */
import { Socket } from "node:net";
import { LineDecoder, encodeMessage, type WireMessage } from "../messages";
import type { AdapterFactory, TransportAdapter } from "./adapter";

export const PROTOCOL_FD = 3;

export class LocalAdapter implements TransportAdapter {
  private socket: Socket | null = null;
  private unwritten = 0;
  private drainWaiters: Array<() => void> = [];

  constructor(
    private readonly log: (line: string) => void,
    /** Called when the parent closes its end or the socket fails: the kernel has no one to serve. */
    private readonly onHangUp: (reason: string) => void = () => undefined,
    private readonly fd = PROTOCOL_FD,
  ) {}

  open(receive: (message: WireMessage) => void): Promise<void> {
    let socket: Socket;
    try {
      socket = new Socket({ fd: this.fd, readable: true, writable: true });
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      return Promise.reject(new Error(`cannot open the local transport on fd ${this.fd} (${why}): start the kernel through KernelClient, or pass --connection-file FILE`));
    }
    const decoder = new LineDecoder(receive, (line, problem) => this.log(`kernel: ignored a line on fd ${this.fd}: ${problem}: ${line.slice(0, 200)}`));
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => decoder.push(chunk));
    socket.on("end", () => this.onHangUp(`the parent closed fd ${this.fd}`));
    socket.on("error", (error) => this.onHangUp(`fd ${this.fd} failed (${error.message})`));
    this.socket = socket;
    return Promise.resolve();
  }

  send(message: WireMessage): void {
    if (!this.socket) throw new Error("the local transport is not open");
    this.unwritten += 1;
    this.socket.write(encodeMessage(message), () => {
      this.unwritten -= 1;
      if (this.unwritten === 0) for (const resolve of this.drainWaiters.splice(0)) resolve();
    });
  }

  /** Resolves once everything sent so far has been handed to the operating system. */
  drained(): Promise<void> {
    return this.unwritten === 0 ? Promise.resolve() : new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.drained();
    this.socket?.end();
  }
}

export const createLocalAdapter: AdapterFactory = (_options, log) => new LocalAdapter(log);
