/**
 * The .vsix carries one platform's esbuild binary. Here it is removed from an unpacked copy of
 * the package, as on any other platform, and every sample notebook runs through that copy's
 * kernel: cells are transpiled by the TypeScript compiler the package ships instead.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelClient } from "../kernel/client";
import { parseNotebook } from "../kernel/notebook-file";

/**
 * Packages the .vsix from the bundles already built (as `npm run package` does after its build),
 * into `folder`: rebuilding here would change dist/ under the other tests' kernels.
 */
function packageInto(folder: string): string {
  const script = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts.package as string;
  const vsce = script.slice(script.indexOf("vsce package")).split(" ").slice(1);
  const output = join(folder, "autograd-notebook.vsix");
  const args = [...vsce.slice(0, vsce.indexOf("-o")), "-o", output];
  const result = spawnSync(process.execPath, [join(root, "node_modules/@vscode/vsce/vsce"), ...args], { cwd: root, encoding: "utf8" });
  assert.equal(result.status, 0, `vsce ${args.join(" ")}:\n${result.stdout}\n${result.stderr}`);
  return output;
}

const root = new URL("..", import.meta.url).pathname;
const notebooks = readdirSync(join(root, "notebooks")).filter((name) => name.endsWith(".agnb")).sort();

describe("the packaged kernel without esbuild's binary", { timeout: 20 * 60_000 }, () => {
  let unpacked: string;
  let kernelScript: string;

  before(() => {
    unpacked = mkdtempSync(join(tmpdir(), "agnb-no-esbuild-"));
    const vsix = packageInto(unpacked);
    const unzip = spawnSync("unzip", ["-q", vsix, "-d", unpacked], { encoding: "utf8" });
    assert.equal(unzip.status, 0, unzip.stderr);
    const binary = join(unpacked, "extension/node_modules/@esbuild", `${process.platform}-${process.arch}`);
    assert.ok(existsSync(binary), `the package carries ${binary}`);
    rmSync(binary, { recursive: true, force: true });
    // The copy's esbuild cannot run now, as on a platform the package has no binary for.
    const esbuild = spawnSync(process.execPath, ["-e", "require('esbuild').transformSync('let a: number = 1', { loader: 'ts' })"], { cwd: join(unpacked, "extension"), encoding: "utf8" });
    assert.notEqual(esbuild.status, 0);
    assert.match(esbuild.stderr, /@esbuild\//);
    kernelScript = join(unpacked, "extension/dist/kernel.cjs");
  });
  after(() => rmSync(unpacked, { recursive: true, force: true }));

  for (const name of notebooks) {
    test(`${name}: every cell runs`, async () => {
      const notebook = parseNotebook(readFileSync(join(root, "notebooks", name)), name);
      // In the notebook's own folder, where its packages (mnist) resolve.
      const kernel = new KernelClient({ kernelScript, cwd: join(root, "notebooks") });
      await kernel.start();
      try {
        for (const cell of notebook.cells) {
          if (cell.cell_type !== "code") continue;
          const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
          const result = await kernel.execute(source);
          const error = result.iopub.find((message) => message.header.msg_type === "error")?.content;
          assert.equal(result.reply.content.status, "ok", `${name}: ${source.split("\n")[0]} → ${error?.ename}: ${error?.evalue}`);
        }
        // An annotated cell proves the types were stripped without esbuild.
        const typed = await kernel.execute("const rate: number = 0.5;\nasync function twice(x: number): Promise<number> { await null; return 2 * x; }\nawait twice(rate)");
        assert.equal(typed.iopub.find((message) => message.header.msg_type === "execute_result")?.content.data["text/plain"], "1");
      } finally {
        await kernel.shutdown();
      }
    });
  }
});
