/**
 * The transpiler cells go through: esbuild where its native binary is installed, otherwise the
 * TypeScript compiler the package ships (a .vsix carries one platform's esbuild binary only).
 * Both answer esbuild's `transformSync` as the kernel calls it: types stripped (`loader: "ts"`),
 * or async functions lowered to generators (`supported: { "async-await": false }`), with an
 * external source map, and syntax errors thrown as esbuild's `{ errors: [{ text, location }] }`.
 */
import type ts from "typescript";
import { GENERATOR_SUFFIX } from "./transform";

/** Loaded only where esbuild cannot run: a kernel that never needs it starts faster. */
function typescript(): typeof ts {
  try {
    return require("typescript");
  } catch (error) {
    throw new Error(`cells cannot be transpiled: esbuild's binary for ${process.platform}-${process.arch} is missing and TypeScript cannot be loaded (${String((error as Error).message).split("\n")[0]}); reinstall the extension, or install esbuild and typescript in the kernel's package`);
  }
}

export interface TransformOptions {
  loader: "ts" | "js";
  sourcefile?: string;
  sourcemap?: "external";
  target?: string;
  supported?: Record<string, boolean>;
  tsconfigRaw?: unknown;
  logLevel?: string;
}
export interface Transpiler {
  transformSync(code: string, options: TransformOptions): { code: string; map: string };
}

let chosen: Transpiler | undefined;

/** esbuild if it runs on this platform, otherwise TypeScript; decided on first use. */
export function transpiler(): Transpiler {
  if (chosen) return chosen;
  // As on a platform whose esbuild binary the package lacks (for tests and comparisons).
  if (process.env.AGNB_TRANSPILER === "typescript") return (chosen = typeScriptTranspiler);
  try {
    const esbuild = require("esbuild") as Transpiler;
    // Loading succeeds without the binary; the first call is what needs it.
    esbuild.transformSync("", { loader: "ts" });
    chosen = esbuild;
  } catch {
    // "The package @esbuild/<platform> could not be found": the same cells run through TypeScript.
    chosen = typeScriptTranspiler;
  }
  return chosen;
}

/** esbuild's helper for lowered async functions, which the kernel replaces with its own runtime. */
const ASYNC_HELPER_LINES = ["var __async = (__this, __arguments, generator) => {", '  throw new Error("lowered functions run on the kernel\'s runtime");', "};"];
/** TypeScript's helper for them, as it emits it; the kernel's (through esbuild's name) takes its place. */
const TYPESCRIPT_AWAITER = /^var __awaiter = \(this && this\.__awaiter\) \|\| function \(thisArg, _arguments, P, generator\) \{$/m;

export const typeScriptTranspiler: Transpiler = {
  transformSync(code, options) {
    const ts = typescript();
    const lowering = options.supported?.["async-await"] === false;
    const fileName = options.sourcefile ?? (options.loader === "ts" ? "cell.ts" : "cell.js");
    const output = ts.transpileModule(code, {
      fileName: options.loader === "js" && !/\.js$/.test(fileName) ? `${fileName}.js` : fileName,
      reportDiagnostics: true,
      compilerOptions: {
        // ES2016 is the newest target that lowers async functions (to generators).
        target: lowering ? ts.ScriptTarget.ES2016 : ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        allowJs: true,
        sourceMap: true,
        verbatimModuleSyntax: options.loader === "ts",
        useDefineForClassFields: true,
        removeComments: false,
      },
      // Inside TypeScript's emit, so the source map follows the names it adds.
      transformers: lowering ? { after: [nameLoweredGenerators(ts)] } : undefined,
    });
    // transpileModule reports what the parser refuses (type errors are the checker's).
    const syntaxError = output.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error && d.file && d.start !== undefined);
    if (syntaxError) throw esbuildError(syntaxError, code);
    let text = output.outputText.replace(/\n\/\/# sourceMappingURL=.*\s*$/, "\n");
    const map = JSON.parse(output.sourceMapText!) as { mappings: string };
    if (lowering && TYPESCRIPT_AWAITER.test(text)) {
      text = `${ASYNC_HELPER_LINES.join("\n")}\n${text.replace(TYPESCRIPT_AWAITER, "var __awaiter = (thisArg, _arguments, P, generator) => __async(thisArg, _arguments || [], generator), __awaiter_typescript = function (thisArg, _arguments, P, generator) {")}`;
      // The added lines map to nothing: an empty group per line keeps every other mapping.
      map.mappings = ";".repeat(ASYNC_HELPER_LINES.length) + map.mappings;
    }
    return { code: text, map: JSON.stringify(map) };
  },
};

/**
 * TypeScript's generators for lowered async functions are anonymous; each is named after the
 * function it implements (`explode__agnb_async`), as the esbuild path names them, so that
 * tracebacks say which async function failed (errors.ts reads the name back).
 */
function nameLoweredGenerators(ts: typeof import("typescript")): ts.TransformerFactory<ts.SourceFile> {
  return (context) => {
    const { factory } = context;
    const ownName = (node: ts.Node): string | undefined => {
      const name = (node as ts.Node & { name?: ts.Node }).name;
      return name && ts.isIdentifier(name) ? ts.idText(name) : undefined;
    };
    // `const go = async () => ...`, `{ n: async function () {...} }`: functions named as V8 names them.
    const isNamingDeclaration = (node: ts.Node): node is ts.VariableDeclaration | ts.PropertyAssignment | ts.PropertyDeclaration =>
      ts.isVariableDeclaration(node) || ts.isPropertyAssignment(node) || ts.isPropertyDeclaration(node);
    const visit = (enclosing: string | undefined, assigned?: string) => (node: ts.Node): ts.Node => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && ts.idText(node.expression) === "__awaiter" && enclosing !== undefined) {
        const generator = node.arguments[3];
        if (generator && ts.isFunctionExpression(generator) && generator.asteriskToken && !generator.name) {
          const named = factory.updateFunctionExpression(generator, generator.modifiers, generator.asteriskToken, factory.createIdentifier(`${enclosing}${GENERATOR_SUFFIX}`),
            generator.typeParameters, generator.parameters, generator.type, ts.visitEachChild(generator.body, visit(undefined), context));
          return factory.updateCallExpression(node, node.expression, node.typeArguments, [...node.arguments.slice(0, 3), named]);
        }
      }
      if (ts.isFunctionLike(node)) return ts.visitEachChild(node, visit(ownName(node) ?? assigned), context);
      if (isNamingDeclaration(node) && ownName(node)) {
        return ts.visitEachChild(node, (child) => visit(enclosing, child === node.initializer ? ownName(node) : undefined)(child), context);
      }
      // A cell's top-level `const go = ...` reaches here as the assignment `go = ...`.
      if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(node.left)) {
        const name = ts.idText(node.left);
        return ts.visitEachChild(node, (child) => visit(enclosing, child === node.right ? name : undefined)(child), context);
      }
      return ts.visitEachChild(node, visit(enclosing), context);
    };
    return (file) => ts.visitEachChild(file, visit(undefined), context) as ts.SourceFile;
  };
}

function esbuildError(diagnostic: ts.Diagnostic, code: string): Error & { errors: unknown[] } {
  const ts = typescript();
  const file = diagnostic.file!;
  const { line, character } = file.getLineAndCharacterOfPosition(diagnostic.start!);
  let text = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
  // As esbuild says it, which is how an unfinished cell is told from a wrong one.
  if (diagnostic.start! >= code.trimEnd().length) text = `Unexpected end of file: ${text}`;
  const error = new Error(text) as Error & { errors: unknown[] };
  error.errors = [{ text, location: { line: line + 1, column: character, lineText: code.split("\n")[line] ?? "" } }];
  return error;
}
