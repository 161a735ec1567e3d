/** Debian's jupyter_client starts the kernel from its kernelspec and drives it (drive_kernel.py). */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { KERNEL_NAME, PYTHON, jupyterEnvironment, type JupyterEnv } from "./jupyter-env";

let jupyter: JupyterEnv;
before(async () => { jupyter = await jupyterEnvironment({ signalKernel: true }); });
after(() => jupyter?.cleanup());

interface CellSeen { status: string; texts: string[] }
interface InterruptSeen { status: string; ename: string; seconds: number; beating: boolean }

function drive(kernelName: string, scenario: "session" | "interrupt"): Promise<{ seen: Record<string, any>; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [join(__dirname, "drive_kernel.py"), kernelName, scenario], { env: jupyter.env, cwd: jupyter.home });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => { stdout += chunk; });
    child.stderr.on("data", (chunk) => { stderr += chunk; });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`drive_kernel.py ${scenario} exited with ${code}:\n${stderr}`));
      else resolve({ seen: JSON.parse(stdout), stderr });
    });
  });
}

function assertInterrupts(seen: Record<string, any>) {
  for (const name of ["spin", "await"]) {
    const interrupt = seen[name] as InterruptSeen;
    assert.equal(interrupt.status, "error", name);
    assert.equal(interrupt.ename, "KeyboardInterrupt", name);
    assert.ok(interrupt.seconds < 5, `${name} stopped in ${interrupt.seconds} s`);
    assert.ok(interrupt.beating, `the heartbeat answers while ${name} runs`);
  }
  // Variables defined before the interrupted cells are still there.
  assert.deepEqual((seen.after_spin as CellSeen).texts, ["42"]);
  assert.deepEqual((seen.after_await as CellSeen).texts, ["43"]);
}

test("seed cells, interrupts, input, a forged message and a restart through jupyter_client", { timeout: 150_000 }, async () => {
  const { seen, stderr } = await drive(KERNEL_NAME, "session");
  const [gradient, printed, regression] = seen.seed as CellSeen[];
  // d(x²)/dx at x = 3
  assert.deepEqual(gradient.texts, [`tf.Tensor(${(2 * 3).toFixed(1)}, shape=(), dtype=float32)`]);
  assert.deepEqual(printed.texts, ["6\n"]);
  // Seed 000's linear regression with W = 1, b = 0: loss = mean((y - Wx - b)²), dW = mean(-2x(y - Wx - b)), db = mean(-2(y - Wx - b)).
  const xs = [1, 2, 3];
  const residuals = xs.map((x) => 2 * x - x);
  const expected = [
    residuals.reduce((sum, r) => sum + r * r, 0) / 3,
    xs.reduce((sum, x, i) => sum - 2 * x * residuals[i], 0) / 3,
    residuals.reduce((sum, r) => sum - 2 * r, 0) / 3,
  ];
  const numbers = regression.texts.join("").match(/-?\d+(\.\d+)?(e-?\d+)?/g)!.map(Number);
  assert.equal(numbers.length, 3, regression.texts.join(""));
  numbers.forEach((value, i) => assert.ok(Math.abs(value - expected[i]) < 1e-5, `${value} vs ${expected[i]}`));

  assertInterrupts(seen);
  assert.equal((seen.input as CellSeen).status, "ok");
  assert.match((seen.input as CellSeen).texts.join(""), /hello Ada \(name\?\)/);

  assert.deepEqual((seen.after_forgery as CellSeen).texts, ["undefined\n"], "the forged execute_request did not run");
  assert.deepEqual((seen.after_genuine as CellSeen).texts, ["string\n"], "the same request, signed, runs");
  assert.match(stderr, /dropped a message on shell: invalid signature/);
  assert.ok(!stderr.includes("not-the-key"));

  assert.deepEqual((seen.after_restart as CellSeen).texts, ["undefined 42\n"], "a restart gives a fresh kernel");
  assert.equal(seen.alive_after_shutdown, false);
});

test("interrupts also work with interrupt_mode signal (SIGINT to the kernel process)", { timeout: 90_000 }, async () => {
  const { seen } = await drive(`${KERNEL_NAME}-signal`, "interrupt");
  assertInterrupts(seen);
  assert.equal(seen.alive_after_shutdown, false);
});
