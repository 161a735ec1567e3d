/**
 * Turns a TypeScript cell into a script with REPL semantics.
 *
 * esbuild strips the types; acorn then finds the top-level declarations, which become
 * assignments to global `var`s so that they outlive the cell and may be declared again by a
 * re-run. The body runs inside an async function so that top-level `await` works, and the last
 * expression is returned so the kernel can display it. Every edit is recorded, so a position in
 * the generated script maps back to the cell's TypeScript line and column.
 *
 * So that an interrupt stops a cell for good (cell-runtime.ts), a cell's async functions are
 * lowered to generators driven by the kernel, and the cell sees the kernel's versions of the
 * timer functions, the console and `process` (SCOPED_GLOBALS) instead of the globals.
 */
import { parse, type Node, type Program } from "acorn";
import type { Message } from "esbuild";
import { TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";
import { transpiler } from "./transpile";

/** The runtime helpers a transformed cell calls, reachable as globals. */
export const IMPORT_HELPER = "__agnb_import";
/** Called at every loop iteration; throws when an interrupt was requested. */
export const LOOP_CHECK = "__agnb_loop_check";
/** Drives a lowered async function: `(this, arguments, generatorFunction) => Promise`. */
export const ASYNC_RUNTIME = "__agnb_async";
/** Returns the values of SCOPED_GLOBALS for a cell. */
export const CELL_SCOPE = "__agnb_cell_scope";
export const SCOPED_GLOBALS = ["setTimeout", "setInterval", "setImmediate", "queueMicrotask", "console", "process"] as const;
const LOOPS = new Set(["WhileStatement", "DoWhileStatement", "ForStatement", "ForInStatement", "ForOfStatement"]);

export interface CompiledCell {
  /** Script text for `vm.runInThisContext`; evaluates to a Promise of the cell's value. */
  code: string;
  /** Whether the value of the last expression is to be displayed. */
  displaysLastValue: boolean;
  /** Whether the cell creates functions (or classes), whose frames may appear after it ran. */
  definesFunctions: boolean;
  /** Maps a 1-based line and 0-based column of `code` to the cell's TypeScript (both 1-based). */
  toCellPosition(line: number, column: number): { line: number; column: number } | null;
}

/** A syntax error in a cell, positioned in the cell's TypeScript (1-based line and column). */
export class CellSyntaxError extends SyntaxError {
  constructor(message: string, readonly line: number, readonly column: number, readonly lineText: string) {
    super(message);
    this.name = "SyntaxError";
  }
}

interface Edit { start: number; end: number; text: string }
interface AnyNode extends Node { [key: string]: any }

export function compileCell(source: string, fileName: string): CompiledCell {
  const javascript = toJavaScript(source, fileName);
  const program = javascript.program;
  const edits: Edit[] = [];
  const hoisted = new Set<string>();
  const functionExports: string[] = [];
  const statements = program.body as AnyNode[];
  const last = statements[statements.length - 1];
  const displaysLastValue = last?.type === "ExpressionStatement" && !endsWithSemicolon(source);

  for (const statement of statements) {
    rewriteStatement(statement, javascript.code, edits, hoisted, functionExports);
  }
  rewriteNested(program as AnyNode, edits);
  if (displaysLastValue) {
    // From the statement's start: a parenthesised expression (`({ a: 1 })`) starts inside the parens.
    edits.push({ start: last.start, end: last.start, text: "return (" });
    edits.push({ start: last.expression.end, end: last.expression.end, text: ")" });
  }

  const declarations = hoisted.size ? `var ${[...hoisted].join(", ")};\n` : "";
  // A name the cell declares itself is the cell's, not the kernel's.
  const scoped = SCOPED_GLOBALS.filter((name) => !hoisted.has(name));
  const scope = scoped.length ? `const { ${scoped.join(", ")} } = ${CELL_SCOPE}();` : "";
  const prologue = `${declarations}(async () => { "use strict"; ${scope} ${functionExports.join(" ")}\n`;
  edits.unshift({ start: 0, end: 0, text: prologue });
  edits.push({ start: javascript.code.length, end: javascript.code.length, text: "\n})()" });
  const { code: edited, toOriginalOffset } = applyEdits(javascript.code, edits);
  const lowered = /\b(?:async|await)\b/.test(javascript.code) ? lowerAsync(edited, fileName) : null;

  const generatedLineStarts = lineStarts(edited);
  const javascriptLineStarts = lineStarts(javascript.code);
  let sourceMap: TraceMap | null = null;
  let loweredMap: TraceMap | null = null;
  return {
    code: lowered?.code ?? edited,
    displaysLastValue,
    definesFunctions: containsFunction(program as AnyNode),
    toCellPosition(line, column) {
      if (lowered) {
        loweredMap ??= new TraceMap(lowered.map);
        const before = originalPositionFor(loweredMap, { line, column });
        if (before.line == null) return null;
        ({ line, column } = before);
      }
      const generatedOffset = (generatedLineStarts[line - 1] ?? 0) + column;
      const offset = toOriginalOffset(generatedOffset);
      const jsLine = upperBound(javascriptLineStarts, offset);
      const jsColumn = offset - javascriptLineStarts[jsLine - 1];
      if (javascript.map === null) return { line: jsLine, column: jsColumn + 1 };
      sourceMap ??= new TraceMap(javascript.map);
      const original = originalPositionFor(sourceMap, { line: jsLine, column: jsColumn });
      if (original.line == null) return null;
      return { line: original.line, column: original.column + 1 };
    },
  };
}

const ACORN_OPTIONS = { ecmaVersion: "latest", sourceType: "module", allowAwaitOutsideFunction: true } as const;

/**
 * A cell without type syntax is JavaScript already and skips esbuild, whose round trip is most
 * of a small cell's time. Text with `<` or `!` always goes through esbuild, because there the
 * two languages read the same text differently (`f<T>(x)`, a trailing non-null `a!`).
 */
function toJavaScript(source: string, fileName: string): { code: string; map: string | null; program: Program } {
  if (!/[<!]/.test(source)) {
    try {
      return { code: source, map: null, program: parse(source, ACORN_OPTIONS) };
    } catch {
      // TypeScript syntax (or a syntax error, which esbuild describes better).
    }
  }
  const { code, map } = stripTypes(source, fileName);
  return { code, map, program: parseJavaScript(code, map) };
}

/** esbuild is loaded on first use: a kernel whose cells are plain JavaScript starts faster. */
export function esbuild(): typeof import("esbuild") {
  return transpiler() as unknown as typeof import("esbuild");
}

function stripTypes(source: string, fileName: string) {
  try {
    const result = esbuild().transformSync(source, {
      loader: "ts",
      sourcefile: fileName,
      sourcemap: "external",
      target: "es2022",
      // Imports that look unused in one cell are used by later cells: keep them all.
      tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
      logLevel: "silent",
    });
    return { code: result.code, map: result.map };
  } catch (error) {
    const first: Message | undefined = (error as { errors?: Message[] }).errors?.[0];
    if (!first?.location) throw error;
    const { line, column, lineText } = first.location;
    throw new CellSyntaxError(first.text, line, column + 1, lineText);
  }
}

/** esbuild's helper for lowered async functions; the kernel's ASYNC_RUNTIME takes its place. */
const ASYNC_HELPER = /^var (__async\d*) = (?=\(__this, __arguments, generator\) => \{$)/m;

/**
 * Async functions (the cell's own wrapper included) become generators stepped by ASYNC_RUNTIME.
 * Only the helper's line changes after esbuild, so esbuild's source map stays exact for the cell.
 */
function lowerAsync(code: string, fileName: string): { code: string; map: string } {
  const result = esbuild().transformSync(code, {
    loader: "js",
    sourcefile: fileName,
    sourcemap: "external",
    supported: { "async-await": false },
    logLevel: "silent",
  });
  if (!ASYNC_HELPER.test(result.code)) {
    if (/\b__async\d*\(/.test(result.code)) throw new Error("esbuild's async helper changed shape: the kernel cannot drive this cell's async functions");
    return result;
  }
  return { code: nameGenerators(result.code.replace(ASYNC_HELPER, `var $1 = ${ASYNC_RUNTIME}, $1_esbuild = `), code), map: result.map };
}

/** What a lowered function's generator is named after its function, for tracebacks (see errors.ts). */
export const GENERATOR_SUFFIX = "__agnb_async";
const LOWERED_BODY = /__async\d*\((?:this|null), (?:null|arguments), function\* \(\) \{$/;
const ARROW_NAME = /([\w$]+) = (?:\([^()]*\)|[\w$]+) => __async/;
const FUNCTION_NAME = /(?:^|\s|\()(?:function\s+([\w$]+)|(?:static\s+)?(?:get\s+|set\s+)?([\w$]+))\s*\([^()]*\)\s*\{$/;

/**
 * esbuild's generators are anonymous, so a traceback would not say which async function failed:
 * each is named after the function it implements. Only the text after the name on the
 * generator's own line moves, which holds no code of the cell.
 */
function nameGenerators(code: string, original: string): string {
  const lines = code.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!LOWERED_BODY.test(lines[i])) continue;
    const arrow = ARROW_NAME.exec(lines[i]);
    const declared = i > 0 && /^\s*return __async/.test(lines[i]) ? FUNCTION_NAME.exec(lines[i - 1]) : null;
    let name = arrow?.[1] ?? declared?.[1] ?? declared?.[2];
    // esbuild renames a function that a hoisted global shares its name with (`explode2`).
    if (name && !new RegExp(`\\b${name.replace(/\$/g, "\\$")}\\b`).test(original)) name = name.replace(/\d+$/, "");
    if (name) lines[i] = lines[i].replace(/function\* \(\) \{$/, `function* ${name}${GENERATOR_SUFFIX}() {`);
  }
  return lines.join("\n");
}

function parseJavaScript(code: string, map: string) {
  try {
    return parse(code, ACORN_OPTIONS);
  } catch (error) {
    // esbuild accepted the TypeScript, so this is rare (e.g. syntax esbuild lets through).
    const at = (error as { loc?: { line: number; column: number } }).loc;
    const original = at && originalPositionFor(new TraceMap(map), { line: at.line, column: at.column });
    const line = original?.line ?? at?.line ?? 1;
    const column = (original?.column ?? at?.column ?? 0) + 1;
    throw new CellSyntaxError((error as Error).message.replace(/ \(\d+:\d+\)$/, ""), line, column, "");
  }
}

function rewriteStatement(node: AnyNode, code: string, edits: Edit[], hoisted: Set<string>, functionExports: string[]): void {
  switch (node.type) {
    case "ExportNamedDeclaration":
      if (!node.declaration) {
        edits.push({ start: node.start, end: node.end, text: "" });
        return;
      }
      edits.push({ start: node.start, end: node.declaration.start, text: "" });
      rewriteStatement(node.declaration, code, edits, hoisted, functionExports);
      return;
    case "ExportDefaultDeclaration":
      edits.push({ start: node.start, end: node.declaration.start, text: "" });
      rewriteStatement(node.declaration, code, edits, hoisted, functionExports);
      return;
    case "VariableDeclaration": {
      for (const declarator of node.declarations) collectBindingNames(declarator.id, hoisted);
      edits.push({ start: node.start, end: node.declarations[0].start, text: ";(" });
      for (const declarator of node.declarations) {
        if (!declarator.init) edits.push({ start: declarator.end, end: declarator.end, text: " = void 0" });
      }
      const closeAt = code[node.end - 1] === ";" ? node.end - 1 : node.end;
      edits.push({ start: closeAt, end: closeAt, text: ")" });
      return;
    }
    case "FunctionDeclaration":
      // Stays a declaration, so it is hoisted within the cell as usual; published at the top.
      if (node.id) {
        hoisted.add(node.id.name);
        functionExports.push(`globalThis[${JSON.stringify(node.id.name)}] = ${node.id.name};`);
      }
      return;
    case "ClassDeclaration":
      if (node.id) {
        hoisted.add(node.id.name);
        edits.push({ start: node.start, end: node.start, text: `${node.id.name} = ` });
        edits.push({ start: node.end, end: node.end, text: ";" });
      }
      return;
    case "ImportDeclaration":
      edits.push({ start: node.start, end: node.end, text: importAsAssignment(node, hoisted) });
      return;
  }
}

function importAsAssignment(node: AnyNode, hoisted: Set<string>): string {
  const load = `await ${IMPORT_HELPER}(${JSON.stringify(node.source.value)})`;
  if (node.specifiers.length === 0) return `${load};`;
  const properties: string[] = [];
  let namespace: string | null = null;
  for (const specifier of node.specifiers) {
    hoisted.add(specifier.local.name);
    if (specifier.type === "ImportNamespaceSpecifier") namespace = specifier.local.name;
    else if (specifier.type === "ImportDefaultSpecifier") properties.push(`default: ${specifier.local.name}`);
    else {
      const imported = specifier.imported.type === "Literal" ? JSON.stringify(specifier.imported.value) : specifier.imported.name;
      properties.push(`${imported}: ${specifier.local.name}`);
    }
  }
  if (namespace && properties.length === 0) return `${namespace} = ${load};`;
  const assignment = `({${properties.join(", ")}} = ${namespace ? `${namespace} = ` : ""}${load});`;
  return assignment;
}

/**
 * Anywhere in the cell: `import(x)` resolves from the notebook's folder, like static imports,
 * and every loop checks for an interrupt, which also reaches loops running after an `await`.
 */
const FUNCTIONS = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression", "ClassDeclaration", "ClassExpression"]);

function containsFunction(node: AnyNode): boolean {
  if (FUNCTIONS.has(node.type)) return true;
  for (const value of Object.values(node)) {
    if (Array.isArray(value)) {
      if (value.some((child) => child && typeof child.type === "string" && containsFunction(child))) return true;
    } else if (value && typeof value === "object" && typeof (value as AnyNode).type === "string" && containsFunction(value as AnyNode)) {
      return true;
    }
  }
  return false;
}

function rewriteNested(node: AnyNode, edits: Edit[]): void {
  if (node.type === "ImportExpression") {
    edits.push({ start: node.start, end: node.source.start, text: `${IMPORT_HELPER}(` });
  } else if (LOOPS.has(node.type)) {
    const body = node.body as AnyNode;
    if (body.type === "BlockStatement") {
      edits.push({ start: body.start + 1, end: body.start + 1, text: `${LOOP_CHECK}();` });
    } else {
      edits.push({ start: body.start, end: body.start, text: `{${LOOP_CHECK}();` });
      edits.push({ start: body.end, end: body.end, text: "}" });
    }
  }
  for (const value of Object.values(node)) {
    if (Array.isArray(value)) {
      for (const child of value) if (child && typeof child.type === "string") rewriteNested(child, edits);
    } else if (value && typeof value === "object" && typeof (value as AnyNode).type === "string") {
      rewriteNested(value as AnyNode, edits);
    }
  }
}

function collectBindingNames(pattern: AnyNode, names: Set<string>): void {
  switch (pattern.type) {
    case "Identifier": names.add(pattern.name); break;
    case "ObjectPattern": for (const p of pattern.properties) collectBindingNames(p.type === "RestElement" ? p : p.value, names); break;
    case "ArrayPattern": for (const e of pattern.elements) if (e) collectBindingNames(e, names); break;
    case "RestElement": collectBindingNames(pattern.argument, names); break;
    case "AssignmentPattern": collectBindingNames(pattern.left, names); break;
  }
}

/** Applies non-overlapping edits; returns the text and a map from its offsets to the input's. */
function applyEdits(input: string, edits: Edit[]) {
  const ordered = edits.map((edit, order) => ({ ...edit, order })).sort((a, b) => a.start - b.start || a.order - b.order);
  // Each segment: generated start, original start, length, and whether it was copied verbatim.
  const segments: Array<{ generated: number; original: number; length: number; copied: boolean }> = [];
  let output = "";
  let cursor = 0;
  const emit = (text: string, original: number, copied: boolean) => {
    if (!text) return;
    segments.push({ generated: output.length, original, length: text.length, copied });
    output += text;
  };
  for (const edit of ordered) {
    if (edit.start > cursor) emit(input.slice(cursor, edit.start), cursor, true);
    emit(edit.text, Math.max(edit.start, cursor), false);
    cursor = Math.max(cursor, edit.end);
  }
  emit(input.slice(cursor), cursor, true);
  return {
    code: output,
    toOriginalOffset(offset: number): number {
      let low = 0;
      let high = segments.length - 1;
      while (low < high) {
        const middle = (low + high + 1) >> 1;
        if (segments[middle].generated <= offset) low = middle; else high = middle - 1;
      }
      const segment = segments[low];
      if (!segment) return 0;
      return segment.copied ? segment.original + Math.min(offset - segment.generated, segment.length) : segment.original;
    },
  };
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/** The 1-based number of the line containing `offset`. */
function upperBound(starts: number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (starts[middle] <= offset) low = middle; else high = middle - 1;
  }
  return low + 1;
}

/** Whether the cell's last line of code ends with `;` (which, as in Jupyter, hides its value). */
function endsWithSemicolon(source: string): boolean {
  const withoutComments = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/[^\n]*$/gm, "");
  return withoutComments.trimEnd().endsWith(";");
}
