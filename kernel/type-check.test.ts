import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { takeTransportPort } from "./intelligence-channel";
import { CellTypeCheck, startCheckerThread } from "./type-check";

/** A notebook folder whose node_modules holds a typed package. */
function folderWithPackage(): string {
  const folder = mkdtempSync(join(tmpdir(), "agnb-check-"));
  const typed = join(folder, "node_modules", "typed-pkg");
  mkdirSync(typed, { recursive: true });
  writeFileSync(join(typed, "package.json"), JSON.stringify({ name: "typed-pkg", main: "index.js", types: "index.d.ts" }));
  writeFileSync(join(typed, "index.d.ts"), "export declare function double(x: number): number;\n");
  return folder;
}

// Only the notebook's own folder finds typed-pkg: elsewhere its import is left to the run (no error).
const CELL = 'import { double } from "typed-pkg";\nconst label: string = double(2);';
async function brief(check: CellTypeCheck): Promise<string[]> {
  try {
    return (await check.check(CELL)).diagnostics.map((d) => `${d.line}:${d.column} TS${d.code} ${d.message}`);
  } finally {
    check.close();
  }
}

// No transport here: its end of the editor channel is closed, so the checker threads may end.
takeTransportPort()?.close();

test("the checker thread started ahead of the kernel checks the cells of its folder", async () => {
  const folder = folderWithPackage();
  startCheckerThread(folder);
  assert.deepEqual(await brief(new CellTypeCheck(folder)), ["2:7 TS2322 Type 'number' is not assignable to type 'string'."]);
});

test("a thread started ahead for another folder is replaced by one for the kernel's folder", async () => {
  const folder = folderWithPackage();
  startCheckerThread(mkdtempSync(join(tmpdir(), "agnb-elsewhere-")));
  assert.deepEqual(await brief(new CellTypeCheck(folder)), ["2:7 TS2322 Type 'number' is not assignable to type 'string'."]);
  // Checking the same cell from a folder without the package shows what the other thread would have said.
  assert.deepEqual(await brief(new CellTypeCheck(mkdtempSync(join(tmpdir(), "agnb-elsewhere-")))), []);
});
