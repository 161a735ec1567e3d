import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CellLanguageService } from "./language-service";
import { CellTypeChecker } from "./type-checker";
import { checkerSetup } from "./type-check";

const PROBE = [
  "import { readFileSync } from 'node:fs';",
  "const bytes: Buffer = readFileSync('x');",
  "const reply: Response = new Response('');",
  "const w = new tf.Variable([1, 2]);",
  "const t: tf.Tensor = w.square();",
  "const wrong: number = bytes;",
].join("\n");

test("the language service shares the checker's files without changing what a cell is checked against", () => {
  // Capital letters in the path, as in an installed extension's or a user's folder: the files
  // the two share must keep the paths the checker gave them.
  const installed = mkdtempSync(join(tmpdir(), "agnb-Installed-Extension-"));
  cpSync(join(__dirname, "..", "dist", "types"), join(installed, "types"), { recursive: true });
  const setup = checkerSetup(mkdtempSync(join(tmpdir(), "agnb-My-Notebooks-")));
  const checker = new CellTypeChecker({ ...setup, cellGlobals: join(installed, "types", "cell-globals.d.ts") });
  const before = checker.check(PROBE).map((problem) => problem.message);
  assert.deepEqual(before, ["Type 'Buffer<ArrayBufferLike>' is not assignable to type 'number'."]);

  const service = new CellLanguageService(checker);
  for (const receiver of ["tf.", "new tf.Variable(1).", "Buffer.", "new Response('').", "process."]) {
    assert.ok(service.complete(receiver, receiver.length).matches.length > 0, receiver);
  }
  assert.match(service.inspect("const w = new tf.Variable(1);", 7).plain, /const w: tf\.Variable/);
  // A new text, so that the checker makes a new program over the files the service used.
  assert.deepEqual(checker.check(`${PROBE}\n`).map((problem) => problem.message), before);
});
