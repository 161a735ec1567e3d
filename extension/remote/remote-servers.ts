// The Jupyter servers the user connected to: their URLs in globalState, their tokens in VS
// Code's SecretStorage only (never in settings, logs or the notebook).
import type * as vscode from "vscode";

const URLS_KEY = "agnb.remoteServers";
const tokenKey = (url: string) => `agnb.remoteServerToken:${url}`;

export class RemoteServerStore {
  constructor(private readonly context: vscode.ExtensionContext) {}

  urls(): string[] {
    return this.context.globalState.get<string[]>(URLS_KEY, []);
  }

  async token(url: string): Promise<string> {
    return (await this.context.secrets.get(tokenKey(url))) ?? "";
  }

  async remember(url: string, token: string): Promise<void> {
    await this.context.secrets.store(tokenKey(url), token);
    if (!this.urls().includes(url)) await this.context.globalState.update(URLS_KEY, [...this.urls(), url]);
  }

  async forget(url: string): Promise<void> {
    await this.context.secrets.delete(tokenKey(url));
    await this.context.globalState.update(URLS_KEY, this.urls().filter((known) => known !== url));
  }
}
