import { test } from "node:test";
import assert from "node:assert/strict";
import vm from "node:vm";
import { CellSyntaxError, IMPORT_HELPER, compileCell } from "./transform";
import { installCellRuntime } from "./cell-runtime";

installCellRuntime();

let cellNumber = 0;
/** Compiles and runs a cell in this realm, as the kernel does; returns its value if displayed. */
async function run(source: string): Promise<unknown> {
  const compiled = compileCell(source, `test-${++cellNumber}`);
  const value = await vm.runInThisContext(compiled.code, { filename: `transform-test-${cellNumber}` });
  return compiled.displaysLastValue ? value : "(not displayed)";
}
const globals = globalThis as Record<string, unknown>;

test("top-level declarations outlive the cell and may be declared again", async () => {
  await run("const alpha = 1;\nlet beta: number = 2;\nvar gamma = 3;");
  assert.equal(await run("alpha + beta + gamma"), 6);
  await run("const alpha = 10;");
  assert.equal(await run("alpha"), 10);
});

test("destructuring, functions (hoisted), classes and enums persist", async () => {
  await run("const { p, q: [r], ...others } = { p: 1, q: [2], s: 3 };\nconst answer = hoisted();\nfunction hoisted() { return 42 }\nclass Point { constructor(public x: number) {} }\nenum Color { Red, Green }");
  assert.deepEqual(await run("[p, r, others, answer, hoisted(), new Point(7).x, Color.Green]"), [1, 2, { s: 3 }, 42, 42, 7, 1]);
});

test("closures see later reassignments of top-level variables", async () => {
  await run("let counter = 0;\nconst readCounter = () => counter;");
  await run("counter = 5;");
  assert.equal(await run("readCounter()"), 5);
});

test("top-level await, and the last expression is the value unless the line ends with ;", async () => {
  assert.equal(await run("const later = await Promise.resolve(3);\nlater * 2"), 6);
  assert.equal(await run("later * 2;"), "(not displayed)");
  assert.equal(await run("later * 2 // a trailing comment"), 6);
  assert.equal(await run("const onlyDeclared = 1;"), "(not displayed)");
  assert.deepEqual(await run("({ wrapped: [1, 2] })"), { wrapped: [1, 2] });
});

test("imports become calls of the import helper, also dynamic ones", async () => {
  const requested: string[] = [];
  globals[IMPORT_HELPER] = async (specifier: string) => {
    requested.push(specifier);
    return { default: `default of ${specifier}`, named: `named of ${specifier}` };
  };
  await run("import first, { named as renamed } from 'pkg-a';\nimport * as whole from 'pkg-b';\nimport 'pkg-c';");
  assert.deepEqual(await run("[first, renamed, whole.named]"), ["default of pkg-a", "named of pkg-a", "named of pkg-b"]);
  assert.deepEqual(await run("(await import('pkg-d')).named"), "named of pkg-d");
  assert.deepEqual(requested, ["pkg-a", "pkg-b", "pkg-c", "pkg-d"]);
});

test("type-only constructs vanish and imports used only in later cells are kept", async () => {
  globals[IMPORT_HELPER] = async () => ({ helper: () => "from a later cell" });
  await run("interface Shape { area(): number }\ntype Id = string;\nimport { helper } from 'tools';");
  assert.equal(await run("helper()"), "from a later cell");
});

test("positions in the generated script map back to the cell's TypeScript line and column", async () => {
  const source = "const a: number = 1;\n\ninterface Unused { x: number }\nfunction fail(message: string): never {\n  throw new Error(message);\n}\nfail('x')";
  const compiled = compileCell(source, "positions");
  const error = await vm.runInThisContext(compiled.code, { filename: "positions-cell" }).catch((e: Error) => e);
  const frames = [...String(error.stack).matchAll(/positions-cell:(\d+):(\d+)/g)].map((m) => compiled.toCellPosition(Number(m[1]), Number(m[2]) - 1));
  assert.deepEqual(frames.slice(0, 2), [{ line: 5, column: 9 }, { line: 7, column: 1 }]);
});

test("plain JavaScript cells map positions one to one; generic calls keep their TypeScript meaning", async () => {
  const compiled = compileCell("const plain = 1;\n\nnull.field", "plain");
  const error = await vm.runInThisContext(compiled.code, { filename: "plain-cell" }).catch((e: Error) => e);
  const [, line, column] = /plain-cell:(\d+):(\d+)/.exec(String(error.stack))!;
  assert.deepEqual(compiled.toCellPosition(Number(line), Number(column) - 1), { line: 3, column: 6 });
  assert.equal(await run("function ident<T>(x: T): T { return x }\nident<number>(3)"), 3);
});

test("syntax errors carry the line and column of the TypeScript", () => {
  assert.throws(() => compileCell("const ok = 1;\nconst broken = ok +;\n", "bad"), (error: Error) => {
    assert.ok(error instanceof CellSyntaxError);
    assert.deepEqual([error.line, error.column, error.lineText], [2, 20, "const broken = ok +;"]);
    return true;
  });
});

test("async code is lowered to generators driven by the kernel, and positions still map to the TypeScript", async () => {
  const compiled = compileCell("const pause = async (ms: number) => {\n  await null;\n  return ms;\n};\nawait pause(1);\nnull!.boom;", "lowered");
  assert.doesNotMatch(compiled.code, /\basync\b|\bawait\b/, "no native async function is left");
  assert.match(compiled.code, /__agnb_async/);
  const generatedLine = compiled.code.split("\n").findIndex((line) => line.includes(".boom")) + 1;
  const column = compiled.code.split("\n")[generatedLine - 1].indexOf("null");
  assert.deepEqual(compiled.toCellPosition(generatedLine, column), { line: 6, column: 1 });
  assert.equal(await run("const later = async () => { await null; return 7; };\nawait later()"), 7);
});

test("a cell records whether it creates functions (only those can appear in later tracebacks)", () => {
  assert.equal(compileCell("let a = 1;\na + 1", "plain").definesFunctions, false);
  for (const source of ["const f = () => 1;", "function g() {}", "class K {}", "const o = { m() { return 1 } };"]) {
    assert.equal(compileCell(source, "functions").definesFunctions, true, source);
  }
});

test("lowered async functions keep their names in stack traces", async () => {
  const compiled = compileCell("async function explode() {\n  await null;\n  throw new RangeError('boom');\n}\nclass Box { async open() { await null; throw new Error('lid'); } }\nconst go = async () => { await null; return 1; };", "named");
  assert.match(compiled.code, /function\* explode__agnb_async\(\)/);
  assert.match(compiled.code, /function\* open__agnb_async\(\)/);
  assert.match(compiled.code, /function\* go__agnb_async\(\)/);
  await vm.runInThisContext(compiled.code);
  await assert.rejects((globalThis as unknown as Record<string, () => Promise<void>>).explode(), (error: Error) => /at explode__agnb_async/.test(error.stack!));
});
