/**
 * A TCP forwarder on 127.0.0.1 in front of a real server, standing for the network between a
 * client and it: `drop(ms)` cuts every open connection and refuses new ones for a while, as a
 * lost network does, while the server and its kernels keep running.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { freePorts } from "../jupyter/zeromq-client";

export interface TcpProxy {
  /** The target URL with the proxy's port in place of the server's. */
  url: string;
  drop(refuseForMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const [port] = await freePorts(1);
  const open = new Set<Socket>();
  let refusingUntil = 0;
  const server: Server = createServer((client) => {
    if (Date.now() < refusingUntil) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on("close", () => open.delete(socket));
      socket.on("error", () => { client.destroy(); upstream.destroy(); });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const proxied = new URL(targetUrl);
  proxied.port = String(port);
  return {
    url: proxied.toString(),
    async drop(refuseForMs) {
      refusingUntil = Date.now() + refuseForMs;
      for (const socket of open) socket.destroy();
    },
    close: () => new Promise<void>((resolve) => {
      for (const socket of open) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
