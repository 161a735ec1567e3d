/** `agnb kernel install / uninstall` as Debian's `jupyter kernelspec list` sees it. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { AGNB_BIN, KERNEL_NAME, jupyterEnvironment, type JupyterEnv } from "./jupyter-env";

let jupyter: JupyterEnv;
before(async () => { jupyter = await jupyterEnvironment(); });
after(() => jupyter?.cleanup());

function kernelspecs(env: NodeJS.ProcessEnv): Record<string, { resource_dir: string; spec: Record<string, any> }> {
  const listed = spawnSync("jupyter", ["kernelspec", "list", "--json"], { env, encoding: "utf8" });
  assert.equal(listed.status, 0, listed.stderr);
  return JSON.parse(listed.stdout).kernelspecs;
}

test("jupyter kernelspec list shows the kernel installed with --prefix, and uninstall removes it", () => {
  const listed = kernelspecs(jupyter.env)[KERNEL_NAME];
  assert.ok(listed, "agnb-typescript is listed");
  assert.equal(listed.resource_dir, join(jupyter.prefix, "share", "jupyter", "kernels", KERNEL_NAME));
  assert.equal(listed.spec.display_name, "TypeScript (Autograd)");
  assert.equal(listed.spec.language, "typescript");
  assert.equal(listed.spec.interrupt_mode, "message");
  assert.deepEqual(listed.spec.argv.slice(-4), [AGNB_BIN, "kernel", "--connection-file", "{connection_file}"]);
  assert.deepEqual(readdirSync(listed.resource_dir).sort(), ["kernel.json", "logo-32x32.png", "logo-64x64.png"]);

  const removed = jupyter.agnb(["kernel", "uninstall", "--prefix", jupyter.prefix]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(kernelspecs(jupyter.env)[KERNEL_NAME], undefined);
  const again = jupyter.agnb(["kernel", "install", "--prefix", jupyter.prefix]);
  assert.equal(again.code, 0, again.stderr);
});

test("--user installs where Jupyter looks in the user's home, under another name", () => {
  const { JUPYTER_DATA_DIR: _ignored, ...env } = jupyter.env;
  const installed = jupyter.agnb(["kernel", "install", "--user", "--name", "agnb-user", "--display-name", "Mine"], env);
  assert.equal(installed.code, 0, installed.stderr);
  const listed = kernelspecs(env)["agnb-user"];
  assert.equal(listed?.resource_dir, join(jupyter.home, ".local", "share", "jupyter", "kernels", "agnb-user"));
  assert.equal(listed.spec.display_name, "Mine");
});

test("a kernelspec folder that cannot be written is one line, exit 1, and nothing is written", () => {
  const file = join(jupyter.home, "not-a-folder");
  writeFileSync(file, "");
  const failed = jupyter.agnb(["kernel", "install", "--prefix", file]);
  assert.equal(failed.code, 1);
  assert.equal(failed.stderr, `agnb: cannot write the kernelspec to ${file}/share/jupyter/kernels/${KERNEL_NAME}: a part of the path is a file\n`);
  assert.equal(failed.stdout, "");
  assert.ok(!existsSync(join(file, "share")));
  const clash = jupyter.agnb(["kernel", "install", "--user", "--prefix", file]);
  assert.equal(clash.stderr, "agnb: kernel: --user and --prefix exclude each other\n");
  assert.equal(clash.code, 1);
});
