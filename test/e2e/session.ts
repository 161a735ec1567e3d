// One end-to-end session: a scratch folder with a workspace the caller fills, code-server with
// the packaged extension in a fresh profile, and Chromium showing its workbench. close() ends
// every process it started and removes the folder.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { installVSCode, packageExtension, prepareProfile, startCodeServer, type CodeServer } from "./code-server";
import { launchBrowser, openWorkbench } from "./workbench";

export interface Session { scratch: string; workspace: string; page: Page; close(): Promise<void> }

/** `fill(workspace, scratch)` runs before VS Code starts, so Quick Open lists what it writes. */
export async function openSession(name: string, fill: (workspace: string, scratch: string) => void): Promise<Session> {
  const install = installVSCode();
  const vsix = packageExtension();
  const scratch = mkdtempSync(join(tmpdir(), `agnb-e2e-${name}-`));
  const workspace = join(scratch, "workspace");
  mkdirSync(workspace);
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
  };
  try {
    fill(workspace, scratch);
    server = await startCodeServer(install, prepareProfile(install, join(scratch, "profile"), vsix), workspace);
    browser = await launchBrowser();
    return { scratch, workspace, page: await openWorkbench(browser, server.url), close };
  } catch (error) {
    await close();
    throw error;
  }
}
