import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  KernelspecError, checkKernelName, installKernelspec, kernelArgv, kernelJson, kernelsFolder, packageRoot, uninstallKernelspec,
} from "./kernelspec";

const root = packageRoot(__dirname);
const ownBin = realpathSync(join(root, "bin", "agnb.cjs"));
const scratch = mkdtempSync(join(tmpdir(), "agnb-kernelspec-"));

test("the kernels folder follows Jupyter's rules for --user, --sys-prefix and --prefix", () => {
  assert.equal(kernelsFolder({ kind: "prefix", dir: "/opt/env" }), "/opt/env/share/jupyter/kernels");
  assert.equal(kernelsFolder({ kind: "user" }, { HOME: "/home/ada" }), "/home/ada/.local/share/jupyter/kernels");
  assert.equal(kernelsFolder({ kind: "user" }, { HOME: "/home/ada", XDG_DATA_HOME: "/data" }), "/data/jupyter/kernels");
  assert.equal(kernelsFolder({ kind: "user" }, { HOME: "/home/ada", JUPYTER_DATA_DIR: "/jd" }), "/jd/kernels");
  // The Python that runs Debian's `jupyter` decides sys.prefix, whatever python3 comes first on PATH.
  const prefix = execFileSync("/usr/bin/python3", ["-c", "import sys; print(sys.prefix)"], { encoding: "utf8" }).trim();
  assert.equal(kernelsFolder({ kind: "sys-prefix" }, { PATH: "/usr/bin:/bin" }), join(prefix, "share", "jupyter", "kernels"));
});

test("the kernelspec runs `agnb` when the agnb on PATH is this package, else this package's bin by absolute path", () => {
  const ours = join(scratch, "path-ours");
  mkdirSync(ours);
  symlinkSync(ownBin, join(ours, "agnb"));
  const tail = ["kernel", "--connection-file", "{connection_file}"];
  assert.deepEqual(kernelArgv(root, { PATH: ours }), { argv: ["agnb", ...tail] });

  const other = join(scratch, "path-other");
  mkdirSync(other);
  writeFileSync(join(other, "agnb"), "#!/bin/sh\n");
  const fallback = kernelArgv(root, { PATH: other });
  assert.deepEqual(fallback.argv, [process.execPath, ownBin, ...tail]);
  assert.match(fallback.note!, /another copy/);
  assert.match(kernelArgv(root, { PATH: "" }).note!, /`agnb` on PATH is missing/);
  assert.ok(!fallback.argv.some((part) => part.includes(".test-output") || part.includes("/dist/")), "no path into a build folder");
});

test("install writes kernel.json and both logos, and a second install replaces the first", async () => {
  const kernels = join(scratch, "prefix", "share", "jupyter", "kernels");
  const folder = await installKernelspec(kernels, "agnb-typescript", kernelJson(["agnb", "kernel", "--connection-file", "{connection_file}"], "TypeScript (Autograd)", "message"));
  const spec = JSON.parse(readFileSync(join(folder, "kernel.json"), "utf8"));
  assert.equal(spec.argv.at(-1), "{connection_file}");
  assert.equal(spec.display_name, "TypeScript (Autograd)");
  assert.equal(spec.language, "typescript");
  assert.equal(spec.interrupt_mode, "message");
  for (const size of [32, 64]) {
    const png = readFileSync(join(folder, `logo-${size}x${size}.png`));
    assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from("PNG")]);
    assert.equal(png.readUInt32BE(16), size); // IHDR width
    assert.equal(png.readUInt32BE(20), size); // IHDR height
  }
  await installKernelspec(kernels, "agnb-typescript", kernelJson(["agnb"], "Renamed", "signal"));
  assert.equal(JSON.parse(readFileSync(join(folder, "kernel.json"), "utf8")).display_name, "Renamed");
  assert.deepEqual(readdirSync(kernels), ["agnb-typescript"], "no staging folders left behind");

  assert.equal(await uninstallKernelspec(kernels, "agnb-typescript"), folder);
  assert.deepEqual(readdirSync(kernels), []);
  await assert.rejects(uninstallKernelspec(kernels, "agnb-typescript"), { message: `no kernelspec agnb-typescript in ${kernels}` });
});

test("a kernels folder that cannot be written is one line naming it, and nothing is written", async () => {
  const file = join(scratch, "a-file");
  writeFileSync(file, "not a folder");
  const kernels = join(file, "share", "jupyter", "kernels");
  await assert.rejects(installKernelspec(kernels, "agnb-typescript", kernelJson(["agnb"], "x", "message")), (error: Error) =>
    error instanceof KernelspecError && error.message === `cannot write the kernelspec to ${kernels}/agnb-typescript: a part of the path is a file`);
  assert.equal(readFileSync(file, "utf8"), "not a folder");
});

test("kernel names are what jupyter_client accepts", () => {
  assert.equal(checkKernelName("agnb-typescript.v2_x"), "agnb-typescript.v2_x");
  assert.throws(() => checkKernelName("../escape"), /may hold only letters, digits/);
  assert.throws(() => checkKernelName(""), KernelspecError);
});
