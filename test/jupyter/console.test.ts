/** `jupyter console --kernel agnb-typescript`, typed into through tmux as a person would. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { KERNEL_NAME, jupyterEnvironment, type JupyterEnv } from "./jupyter-env";

let jupyter: JupyterEnv;
// A tmux server of this test's own, so nothing else's sessions are touched.
const server = `agnb-console-${process.pid}`;
before(async () => { jupyter = await jupyterEnvironment(); });
after(() => {
  tmux("kill-server");
  jupyter?.cleanup();
});

function tmux(...args: string[]): string {
  return spawnSync("tmux", ["-L", server, ...args], { env: jupyter?.env ?? process.env, encoding: "utf8" }).stdout ?? "";
}

async function screenShows(pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let screen = "";
  while (Date.now() < deadline) {
    screen = tmux("capture-pane", "-p", "-t", "console");
    if (pattern.test(screen)) return screen;
    await delay(200);
  }
  assert.fail(`the console never showed ${pattern}; it shows:\n${screen}`);
}

test("jupyter console runs a TypeScript cell and prints its result", { timeout: 90_000 }, async () => {
  tmux("new-session", "-d", "-s", "console", "-x", "160", "-y", "40", `jupyter console --kernel ${KERNEL_NAME}`);
  const banner = await screenShows(/In \[1\]:/, 45_000);
  assert.match(banner, /Autograd Notebook .*TypeScript cells/);
  tmux("send-keys", "-t", "console", "const w = new tf.Variable(5.0); tf.square(w).item() + 17", "Enter");
  await screenShows(/Out\[1\]: 42/, 30_000);
  tmux("send-keys", "-t", "console", "console.log(`twice: ${w.item() * 2}`)", "Enter");
  await screenShows(/twice: 10/, 30_000);
  tmux("send-keys", "-t", "console", "C-d");
  await screenShows(/Do you really want to exit \(\[y\]\/n\)\?/, 10_000);
  tmux("send-keys", "-t", "console", "y", "Enter");
  // Leaving the console shuts its kernel down: the session ends by itself.
  const deadline = Date.now() + 20_000;
  while (tmux("list-sessions").includes("console") && Date.now() < deadline) await delay(200);
  assert.ok(!tmux("list-sessions").includes("console"), "the console exited");
});
