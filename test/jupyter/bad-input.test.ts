/** `agnb kernel --connection-file` with bad input: one clear line, a non-zero exit, nothing left bound. */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Router } from "zeromq";
import { endpoint } from "../../kernel/transport/zeromq";
import { AGNB_BIN, jupyterEnvironment, type JupyterEnv } from "./jupyter-env";
import { ZeroMQClient, writeConnectionFile } from "./zeromq-client";

let jupyter: JupyterEnv;
before(async () => { jupyter = await jupyterEnvironment(); });
after(() => jupyter?.cleanup());

function startKernel(...args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AGNB_BIN, "kernel", ...args], { env: jupyter.env });
    let stderr = "";
    let stdout = "";
    child.stderr.on("data", (chunk) => { stderr += chunk; });
    child.stdout.on("data", (chunk) => { stdout += chunk; });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("error", reject);
    child.on("close", (code, signal) => { clearTimeout(timer); resolve({ code, signal, stderr, stdout }); });
  });
}

async function assertOneLineFailure(file: string, message: string) {
  const { code, signal, stderr, stdout } = await startKernel("--connection-file", file);
  assert.ok(code !== 0 && code !== null, `exit code ${code}, signal ${signal}: the kernel should exit with a code of its own`);
  assert.equal(stdout, "");
  const lines = stderr.split("\n").filter(Boolean);
  assert.equal(lines.length, 1, `one line, not:\n${stderr}`);
  assert.ok(lines[0].includes(message), `${lines[0]} names ${message}`);
}

test("a missing, unreadable or malformed connection file", { timeout: 60_000 }, async () => {
  const missing = join(jupyter.home, "missing.json");
  await assertOneLineFailure(missing, `connection file ${missing} does not exist`);
  const folder = join(jupyter.home, "a-folder.json");
  mkdirSync(folder);
  await assertOneLineFailure(folder, `connection file ${folder} is a folder`);
  const malformed = join(jupyter.home, "malformed.json");
  writeFileSync(malformed, '{"shell_port": 1,');
  await assertOneLineFailure(malformed, `connection file ${malformed} is not valid JSON`);
  const { file } = await writeConnectionFile(jupyter.home, { signature_scheme: "hmac-rot13" });
  await assertOneLineFailure(file, `connection file ${file}: unknown signature_scheme "hmac-rot13"`);
  const usage = await startKernel("--connection-file");
  assert.equal(usage.code, 2);
  assert.equal(usage.stderr, "agnb: kernel --connection-file needs the connection file's path\n");
});

test("a port in use is named, and the kernel leaves none of its other ports bound", { timeout: 60_000 }, async () => {
  const { file, info } = await writeConnectionFile(jupyter.home);
  const squatter = new Router({ linger: 0 });
  await squatter.bind(endpoint(info, "control"));
  try {
    await assertOneLineFailure(file, `tcp://127.0.0.1:${info.control_port} (from ${file}): port ${info.control_port} is in use`);
  } finally {
    squatter.close();
  }
  for (const name of ["shell", "control", "stdin", "iopub", "hb"] as const) {
    const socket = new Router({ linger: 0 });
    await socket.bind(endpoint(info, name));
    socket.close();
  }
});

test("the kernel listens on the connection file's five addresses and nowhere else", { timeout: 60_000 }, async () => {
  const { file, info } = await writeConnectionFile(jupyter.home);
  const kernel = spawn(process.execPath, [AGNB_BIN, "kernel", "--connection-file", file], { env: jupyter.env, stdio: "ignore" });
  const client = new ZeroMQClient(info);
  try {
    await client.waitForReady();
    const listening = spawnSync("ss", ["-ltnpH"], { encoding: "utf8" }).stdout.split("\n")
      .filter((line) => line.includes(`pid=${kernel.pid},`))
      .map((line) => line.trim().split(/\s+/)[3])
      .sort();
    const expected = (["shell", "control", "stdin", "iopub", "hb"] as const).map((name) => `127.0.0.1:${info[`${name}_port`]}`).sort();
    assert.deepEqual(listening, expected);
  } finally {
    client.close();
    kernel.kill();
  }
});
