/**
 * A Jupyter server (or a JupyterHub user's server) as `agnb run --server` and the extension name
 * it: its URL and token, the @jupyterlab/services settings that reach it from Node, and the check
 * that it answers, accepts the token and has our kernelspec. Every message names the URL and
 * never the token.
 */
import { ServerConnection } from "@jupyterlab/services";
import WebSocket from "ws";

export const REMOTE_KERNEL_NAME = "agnb-typescript";

export interface RemoteServer {
  /** The base URL, ending in "/" (for JupyterHub: the user's server, …/user/NAME/). */
  baseUrl: string;
  token: string;
}

export interface KernelSpecSummary { name: string; displayName: string }

/** A server that cannot be used, said in one line that names its URL. */
export class RemoteServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RemoteServerError";
  }
}

/**
 * Reads a server URL as Jupyter prints it: `http://host:port/base/?token=…` gives the token too
 * (an explicit `token` wins).
 */
export function parseServer(url: string, token?: string): RemoteServer {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RemoteServerError(`"${url.replace(/token=[^&]*/g, "token=…")}" is not a URL (expected e.g. http://127.0.0.1:8888/)`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new RemoteServerError(`${shownUrl(parsed)} is not an http(s) URL`);
  const fromQuery = parsed.searchParams.get("token") ?? "";
  parsed.search = "";
  parsed.hash = "";
  const path = parsed.pathname.replace(/\/(tree|lab|notebooks)(\/.*)?$/, "/");
  parsed.pathname = path.endsWith("/") ? path : `${path}/`;
  return { baseUrl: parsed.toString(), token: token ?? fromQuery };
}

/** The URL as messages show it: without a token or credentials. */
export function describeServer(server: RemoteServer): string {
  return shownUrl(new URL(server.baseUrl));
}

const shownUrl = (url: URL) => `${url.protocol}//${url.host}${url.pathname}`;

/** The host (and port) a controller's label names. */
export function serverHost(server: RemoteServer): string {
  return new URL(server.baseUrl).host;
}

/**
 * Jupyter's servers (Tornado) write each kernel message to the websocket with Nagle's algorithm
 * on, so a message sent while the previous one is unacknowledged waits for the client's delayed
 * ACK: 40 ms on every cell. An unsolicited pong after each message (allowed by RFC 6455, and
 * never answered) carries that ACK at once.
 */
class PromptlyAcknowledgingWebSocket extends WebSocket {
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    this.on("message", () => {
      if (this.readyState === WebSocket.OPEN) this.pong();
    });
  }
}

export function serverSettings(server: RemoteServer): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl: server.baseUrl,
    wsUrl: server.baseUrl.replace(/^http/, "ws"),
    token: server.token,
    appendToken: true,
    WebSocket: PromptlyAcknowledgingWebSocket as unknown as typeof globalThis.WebSocket,
    fetch,
  });
}

/**
 * Asks the server for its kernelspecs: resolves with them when it answers, accepts the token
 * and has `kernelName`, else throws one RemoteServerError saying which of those failed.
 */
export async function checkServer(server: RemoteServer, kernelName = REMOTE_KERNEL_NAME): Promise<KernelSpecSummary[]> {
  const where = describeServer(server);
  let response: Response;
  try {
    response = await fetch(new URL("api/kernelspecs", server.baseUrl), {
      headers: server.token ? { Authorization: `token ${server.token}` } : {},
      redirect: "manual",
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw new RemoteServerError(`cannot reach the Jupyter server at ${where}: ${networkReason(error)}`);
  }
  if (response.status === 401 || response.status === 403 || (response.status >= 300 && response.status < 400)) {
    throw new RemoteServerError(`the Jupyter server at ${where} refused the token (HTTP ${response.status}${server.token ? "" : ", no token given"}); give the server's token or a JupyterHub API token`);
  }
  if (!response.ok) throw new RemoteServerError(`the Jupyter server at ${where} answered HTTP ${response.status} to its kernelspec list; is this a Jupyter server's URL?`);
  let body: { kernelspecs?: Record<string, { spec?: { display_name?: string } }> };
  try {
    body = await response.json() as typeof body;
  } catch {
    throw new RemoteServerError(`${where} did not answer as a Jupyter server (its kernelspec list is not JSON)`);
  }
  const specs = Object.entries(body.kernelspecs ?? {}).map(([name, value]) => ({ name, displayName: value.spec?.display_name ?? name }));
  if (!specs.some((spec) => spec.name === kernelName)) {
    const others = specs.map((spec) => spec.name).join(", ") || "none";
    throw new RemoteServerError(`the Jupyter server at ${where} has no ${kernelName} kernelspec (it has: ${others}); install it there with \`agnb kernel install --user\``);
  }
  return specs;
}

/** Why fetch failed, in the words of the system call when there is one (ECONNREFUSED, ENOTFOUND). */
export function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if ((error as Error).name === "TimeoutError") return "no answer within 15 s";
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
