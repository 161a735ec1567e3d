import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { COMPLETION_DETAILS_FILE, readCompletionDetails } from "./completion-details";
import { CellLanguageService } from "./language-service";
import { CellTypeChecker } from "./type-checker";
import { checkerSetup } from "./type-check";

const CELL = "const w = new tf.Variable([1, 2]);\nconst t = tf.constant(3);\n";
const COMPLETED = ["tf.", "w.", "t.", "new tf.GradientTape().", "tf.keras.", "new tf.optimizers.Adam()."];

function warmChecker(cellGlobals?: string): CellTypeChecker {
  const setup = checkerSetup(mkdtempSync(join(tmpdir(), "agnb-details-")));
  const checker = new CellTypeChecker(cellGlobals ? { ...setup, cellGlobals } : setup);
  checker.warmUp();
  return checker;
}

test("the build's completion details are what the language service works out, for the engine's types", () => {
  const checker = warmChecker();
  const details = readCompletionDetails(checker, checker.libraryFileNames());
  assert.ok(details, `dist/types/${COMPLETION_DETAILS_FILE} matches the declarations (npm run build writes it)`);
  assert.ok(details.has("type\u0000typeof tf") && details.has("type\u0000tf.Variable") && details.has("type\u0000tf.Tensor"), [...details.keys()].join(" | "));
  const precomputed = new CellLanguageService(checker, details);
  const fresh = new CellLanguageService(checker);
  for (const receiver of COMPLETED) {
    const code = `${CELL}${receiver}`;
    // As the reply carries them: JSON.
    const expected = JSON.parse(JSON.stringify(fresh.complete(code, code.length)));
    assert.ok(expected.matches.length > 0, receiver);
    assert.deepEqual(JSON.parse(JSON.stringify(precomputed.complete(code, code.length))), expected, receiver);
  }
  const assign = precomputed.complete(`${CELL}w.assi`, CELL.length + 6).matches.find((match) => match.text === "assign");
  assert.match(assign?.signature ?? "", /^\(method\) tf\.Variable\.assign\(/);
});

test("details made from other declarations are not used", () => {
  const folder = mkdtempSync(join(tmpdir(), "agnb-types-"));
  const built = join(__dirname, "..", "dist", "types");
  cpSync(built, folder, { recursive: true });
  appendFileSync(join(folder, "engine", "index.d.ts"), "\nexport declare const addedLater: number;\n");
  const checker = warmChecker(join(folder, "cell-globals.d.ts"));
  assert.equal(readCompletionDetails(checker, checker.libraryFileNames()), undefined);
});
