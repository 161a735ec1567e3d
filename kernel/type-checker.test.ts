import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { checkerSetup } from "./type-check";
import { CellTypeChecker, declaredNames, type CellDiagnostic } from "./type-checker";

/** A notebook folder with one typed and one untyped package installed. */
function notebookFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), "agnb-types-"));
  const typed = join(folder, "node_modules", "typed-pkg");
  mkdirSync(typed, { recursive: true });
  writeFileSync(join(typed, "package.json"), JSON.stringify({ name: "typed-pkg", main: "index.js", types: "index.d.ts" }));
  writeFileSync(join(typed, "index.js"), "exports.double = (x) => 2 * x;\n");
  writeFileSync(join(typed, "index.d.ts"), "export declare function double(x: number): number;\n");
  const untyped = join(folder, "node_modules", "untyped-pkg");
  mkdirSync(untyped, { recursive: true });
  writeFileSync(join(untyped, "package.json"), JSON.stringify({ name: "untyped-pkg", main: "index.js" }));
  writeFileSync(join(untyped, "index.js"), "exports.anything = () => 1;\n");
  return folder;
}

/** Runs cells as the kernel does: a cell without errors runs, and later cells see it. */
function session() {
  const checker = new CellTypeChecker(checkerSetup(folder));
  return (source: string): CellDiagnostic[] => {
    const diagnostics = checker.check(source);
    if (diagnostics.length === 0) checker.commit();
    return diagnostics;
  };
}

const brief = (diagnostics: CellDiagnostic[]) => diagnostics.map((d) => `${d.line}:${d.column} TS${d.code} ${d.message.split("\n")[0]}`);

let folder: string;
before(() => { folder = notebookFolder(); });

describe("type errors in a cell", () => {
  test("name the line, column, TypeScript number and message, and the line's text", () => {
    const run = session();
    const [error, ...rest] = run(`const a = 1;\n\nconst x: number = "a";`);
    assert.equal(rest.length, 0);
    assert.deepEqual(error, {
      line: 3, column: 7, endLine: 3, endColumn: 8, code: 2322, message: "Type 'string' is not assignable to type 'number'.", lineText: `const x: number = "a";`,
    });
  });

  test("plain JavaScript, Node's globals, top-level await and the display functions check clean", () => {
    const run = session();
    assert.deepEqual(run([
      "function twice(f, x) { return f(f(x)); }",
      "const started = performance.now();",
      "setTimeout(() => undefined, 0);",
      "const heap: number = process.memoryUsage().heapUsed;",
      "const fs = require('node:fs');",
      "const bytes = Buffer.from('abc').length;",
      "const three = await Promise.resolve(3);",
      "const shown = display(three, { id: 'n' }); shown.update(4); clearOutput(true);",
      "try { JSON.parse('{') } catch (e) { console.error(e.message) }",
    ].join("\n")), []);
    assert.deepEqual(brief(run("const t: string = three")), ["1:7 TS2322 Type 'number' is not assignable to type 'string'."]);
    assert.deepEqual(brief(run("display(1, { idd: 'n' })")).map((e) => e.slice(0, 14)), ["1:14 TS2353 Ob"]);
  });

  test("the engine is typed: `tf` is a value and a namespace of types", () => {
    const run = session();
    assert.deepEqual(run([
      "function loss(x: tf.Tensor): tf.Tensor { return x.square().sum(); }",
      "const x = new tf.Variable(3);",
      "const tape = new tf.GradientTape();",
      "const y = tape.gradient(loss(x.mul(x)), x);",
      "const scale: number = y.item() * 2;",
      "const [dw, db] = tape.gradient(y, [x, x]);",
      "const byName = new tf.GradientTape().gradient(y, { w: x });",
      "const shape: number[] = [...dw.shape, ...byName.w.shape];",
    ].join("\n")), []);
    assert.deepEqual(brief(run("tf.variable(5)")), ["1:4 TS2551 Property 'variable' does not exist on type 'typeof tf'. Did you mean 'Variable'?"]);
    assert.deepEqual(brief(run("const s: string = byName.w")), ["1:7 TS2322 Type 'Tensor' is not assignable to type 'string'."]);
  });
});

describe("declarations across cells", () => {
  test("later cells see earlier variables with their types; `let` may be assigned, `const` not", () => {
    const run = session();
    assert.deepEqual(run("let lr = 0.1;\nconst w = new tf.Variable(5);"), []);
    assert.deepEqual(run("lr = 0.05"), []);
    assert.deepEqual(brief(run(`lr = "fast"`)), ["1:1 TS2322 Type 'string' is not assignable to type 'number'."]);
    assert.deepEqual(brief(run("w = new tf.Variable(1)")), ["1:1 TS2588 Cannot assign to 'w' because it is a constant."]);
    assert.deepEqual(brief(run("const name: string = w")), ["1:7 TS2322 Type 'Variable' is not assignable to type 'string'."]);
  });

  test("a cell may declare a name again, with a new type; values derived before keep theirs", () => {
    const run = session();
    assert.deepEqual(run("const a = 1;"), []);
    assert.deepEqual(run("const a = 1;"), [], "re-running a cell");
    assert.deepEqual(run("const b = a;"), []);
    assert.deepEqual(run(`const a = "now text";`), []);
    assert.deepEqual(brief(run("const n: number = a")), ["1:7 TS2322 Type 'string' is not assignable to type 'number'."]);
    assert.deepEqual(run("const m: number = b"), []);
  });

  test("classes, interfaces, type aliases, enums and functions carry over, and may be redefined", () => {
    const run = session();
    assert.deepEqual(run([
      "class Model { predict(x: number) { return 2 * x; } }",
      "interface Point { x: number; y: number }",
      "type Pair<T> = [T, T];",
      "enum Phase { Train, Test }",
      "function scale(p: Point, k: number): Point { return { x: k * p.x, y: k * p.y }; }",
    ].join("\n")), []);
    assert.deepEqual(run("const m: Model = new Model(); const p: Pair<number> = [m.predict(1), Phase.Test]; scale({ x: 1, y: 2 }, 3);"), []);
    assert.deepEqual(brief(run("const q: Point = { x: 1 };")), ["1:7 TS2741 Property 'y' is missing in type '{ x: number; }' but required in type 'Point'."]);
    assert.deepEqual(brief(run(`scale({ x: 1, y: 2 }, "3")`)), [`1:23 TS2345 Argument of type 'string' is not assignable to parameter of type 'number'.`]);
    assert.deepEqual(run("interface Point { x: number }\nconst q: Point = { x: 1 };"), []);
    assert.deepEqual(run("const r: Point = { x: 2 };"), []);
  });

  test("a cell with type errors does not run, so it declares nothing", () => {
    const run = session();
    assert.equal(run(`const q: number = "a";`).length, 1);
    assert.deepEqual(brief(run("q")), ["1:1 TS2304 Cannot find name 'q'."]);
  });
});

describe("imports", () => {
  test("packages resolve from the notebook's folder with their types; the imported names carry over", () => {
    const run = session();
    assert.deepEqual(run(`import { double } from "typed-pkg";\nimport * as loose from "untyped-pkg";\nimport * as engine from "autograd-notebook";`), []);
    assert.deepEqual(brief(run(`double("a")`)), [`1:8 TS2345 Argument of type 'string' is not assignable to parameter of type 'number'.`]);
    assert.deepEqual(run("loose.anything(1, 2, 3)"), []);
    assert.deepEqual(brief(run("const k: number = engine.constant(1)")), ["1:7 TS2322 Type 'Tensor' is not assignable to type 'number'."]);
  });

  test("a module TypeScript cannot find is left to the run, which names the folder it looked in", () => {
    assert.deepEqual(session()(`import { nothing } from "no-such-package";\nnothing()`), []);
  });
});

describe("opting out", () => {
  test("// @ts-nocheck skips a cell; // @ts-expect-error one line", () => {
    const run = session();
    assert.deepEqual(run(`// @ts-nocheck\nconst a: number = "a";`), []);
    assert.deepEqual(run(`// @ts-expect-error\nconst b: number = "b";`), []);
  });
});

test("declaredNames: variables (destructured too) are reached as variables, the rest as imports", () => {
  const names = declaredNames([
    "const { a, b: [c] } = obj; let d = 1; var e;",
    "function f() {} class C {} interface I {} type T = 1; enum E { A } namespace N {}",
    "import x, { y as z } from 'p'; import * as ns from 'q';",
    "export const shown = 1; const Both = 1; type Both = number;",
  ].join("\n"));
  const by = Object.fromEntries(names.map((d) => [d.name, d.route === "variable" ? `${d.keyword}${d.exported ? " exported" : ""}` : "import"]));
  assert.deepEqual(by, {
    a: "const", c: "const", d: "let", e: "var", f: "import", C: "import", I: "import", T: "import", E: "import", N: "import",
    x: "import", z: "import", ns: "import", shown: "const exported", Both: "import",
  });
});

test("messages name the engine's types as cells write them", () => {
  const run = session();
  assert.deepEqual(run("class Model { predict() { return 1; } }\nconst g = new tf.GradientTape();"), []);
  const [error] = run("const m: Model = g;\nconst v: { n: number } = tf.keras;");
  assert.equal(error.message, "Property 'predict' is missing in type 'GradientTape' but required in type 'Model'.");
  assert.doesNotMatch(brief(run("const v: { n: number } = tf.keras;")).join(), /import\(|dist\/types|\.agnb-types/);
});

describe("a cell being edited", () => {
  test("is checked like a run, without changing what the pending run commits", () => {
    const checker = new CellTypeChecker(checkerSetup(folder));
    assert.deepEqual(checker.check("const rate = 0.5;"), []);
    // Between the check of a cell that is about to run and its commit, an editor asks about another.
    assert.deepEqual(brief(checker.check("const label: string = 3;", false)), ["1:7 TS2322 Type 'number' is not assignable to type 'string'."]);
    checker.commit();
    assert.deepEqual(brief(checker.check("const doubled: number = rate * 2;\nconst missing = label;")), ["2:17 TS2304 Cannot find name 'label'."]);
    assert.equal(checker.declares("rate"), true);
    assert.equal(checker.declares("label"), false);
  });
});
