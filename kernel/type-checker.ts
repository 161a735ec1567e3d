/**
 * Type-checks cells the way the REPL runs them: each cell sees every declaration of the cells
 * that ran before it, with the types they were declared with, and may declare a name again.
 *
 * The checker's program holds, besides the libraries, three kinds of files in a virtual folder
 * inside the notebook's folder (so that packages resolve from the notebook's node_modules):
 * - `cell.ts`, the cell being checked: its source, then a tail (after the last line, so
 *   positions in the source are unchanged) that exports all its declarations and imports the
 *   classes, types and functions of earlier cells;
 * - `in-<hash>.d.ts`, the declarations of a cell that ran, emitted by TypeScript when it ran,
 *   so that its types stay what they were then;
 * - `prelude.d.ts`, a global script declaring each earlier variable again with the type of its
 *   latest declaration (`declare let lr: typeof import("./in-<hash>").lr`): as globals they can be
 *   assigned to, as a `let` of an earlier cell can be at run time, and a cell's own
 *   declaration of the same name simply shadows them.
 * Only the cell's own diagnostics are reported. A new program is made per check, reusing every
 * unchanged parsed file, so a check costs milliseconds once the libraries are loaded.
 */
import ts from "typescript";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import type { CellProblem } from "./messages";

/** A type error: its span in the cell, TypeScript's number for it (2322), message, and the line's text. */
export interface CellDiagnostic extends CellProblem {
  lineText: string;
}

export interface TypeCheckerSetup {
  /** The notebook's folder: packages the cells import resolve from here. */
  folder: string;
  /** Declarations of `tf` and `display` (dist/types/cell-globals.d.ts), which also stand for the package "autograd-notebook". */
  cellGlobals: string;
  /** A node_modules/@types folder holding @types/node. */
  typeRoot: string;
}

/** Errors that would stop a cell which runs: a module TypeScript cannot find is left to the run, which names the folder it looked in. */
const LEFT_TO_RUN_TIME = new Set([2307, 2792]);
const MAX_REPORTED = 10;

type Route = "variable" | "import";
interface Declared {
  name: string;
  route: Route;
  keyword: "const" | "let" | "var";
  /** Written with `export`: exporting it again would be an error. */
  exported: boolean;
}

export class CellTypeChecker {
  readonly options: ts.CompilerOptions;
  private readonly host: ts.CompilerHost;
  private readonly files = new Map<string, string>();
  private readonly parsed = new Map<string, ts.SourceFile>();
  private readonly cellFile: string;
  readonly preludeFile: string;
  /** Counts commits: what earlier cells declared changes only then. */
  declarationsVersion = 0;
  private readonly roots: string[];
  private program: ts.Program | undefined;
  /** For each name declared so far, the cell module that last declared it and how it is reached. */
  private readonly latest = new Map<string, { module: string } & Declared>();
  /** The cell last checked, for `commit` and for a re-run of it in the same surroundings. */
  private last: { key: string; declared: Declared[]; diagnostics: CellDiagnostic[]; program: ts.Program; declarations?: string } | null = null;

  /** Messages name types as users write them: `tf.Variable`, not `import("/.../variable").Variable`. */
  readonly readable: (message: string) => string;

  constructor(private readonly setup: TypeCheckerSetup) {
    const virtualFolder = join(setup.folder, ".agnb-types");
    this.cellFile = join(virtualFolder, "cell.ts");
    this.preludeFile = join(virtualFolder, "prelude.d.ts");
    this.roots = [setup.cellGlobals, this.preludeFile, this.cellFile];
    this.files.set(this.preludeFile, "");
    this.options = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ["lib.es2023.d.ts"],
      types: ["node"],
      typeRoots: [setup.typeRoot],
      paths: { "autograd-notebook": [setup.cellGlobals] },
      // `tf` is declared as a UMD global: a value and a namespace of types at once.
      allowUmdGlobalAccess: true,
      // Strict, except where plain JavaScript (also a valid cell) would be refused, and null
      // checks, which would refuse `tape.gradient(y, x).numpy()` (null for an unconnected x, as TF).
      strict: true,
      noImplicitAny: false,
      strictNullChecks: false,
      useUnknownInCatchVariables: false,
      esModuleInterop: true,
      allowSyntheticDefaultImports: true,
      resolveJsonModule: true,
      skipLibCheck: true,
      declaration: true,
      emitDeclarationOnly: true,
    };
    this.host = this.makeHost();
    // `import("<folder>/variable").Variable` as TypeScript prints a type it reached through a file.
    const importFrom = (folder: string) => new RegExp(`import\\("${escapeRegExp(folder)}/[^"]*"\\)\\.`, "g");
    const patterns: Array<[RegExp, string]> = [
      [new RegExp(`typeof import\\("${escapeRegExp(setup.cellGlobals.replace(/\.d\.ts$/, ""))}"\\)`, "g"), "typeof tf"],
      [importFrom(dirname(setup.cellGlobals)), "tf."],
      [importFrom(virtualFolder), ""],
    ];
    this.readable = (message) => patterns.reduce((text, [pattern, by]) => text.replace(pattern, by), message);
  }

  /**
   * Loads the libraries and checks a cell like the ones people write (it is not committed), so
   * that the checker's code is compiled and the engine's types are read before the first cell.
   */
  warmUp(): void {
    this.check([
      "const w = new tf.Variable([1, 2]);",
      "const tape = new tf.GradientTape();",
      "const loss = tape.record(() => w.mul(2).square().sum());",
      "const [g] = tape.gradient(loss, [w]);",
      "console.log([1, 2].map((x) => x.toFixed(1)), g.shape, await Promise.resolve(loss.item()));",
    ].join("\n"));
    this.check("");
  }

  /**
   * The cell's type errors (empty when it may run). Remembers the cell for `commit`, unless
   * `remember` is false (a cell being edited, which is not about to run).
   */
  check(source: string, remember = true): CellDiagnostic[] {
    const declared = declaredNames(source);
    const text = source + this.tail(declared);
    // The same text among the same declarations checks the same: a re-run is not checked again.
    const key = `${this.files.get(this.preludeFile)}\u0000${text}`;
    if (this.last?.key === key) return this.last.diagnostics;
    if (!remember) {
      const kept = this.last;
      try {
        return this.check(source, true);
      } finally {
        this.last = kept;
      }
    }
    this.files.set(this.cellFile, text);
    const program = ts.createProgram({ rootNames: this.roots, options: this.options, host: this.host, oldProgram: this.program });
    this.program = program;
    const file = program.getSourceFile(this.cellFile)!;
    const diagnostics = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]
      .filter((d) => d.category === ts.DiagnosticCategory.Error && d.start !== undefined && d.start <= source.length && !LEFT_TO_RUN_TIME.has(d.code))
      .slice(0, MAX_REPORTED)
      .map((d) => toCellDiagnostic(d, file, source, this.readable));
    this.last = { key, declared, diagnostics, program };
    return diagnostics;
  }

  /** The cell last checked has run: later cells see its declarations. */
  commit(): void {
    const last = this.last;
    if (!last || last.declared.length === 0) return;
    if (last.declarations === undefined) {
      let declarations = "";
      last.program.emit(last.program.getSourceFile(this.cellFile), (_name, text) => { declarations = text; }, undefined, true);
      last.declarations = declarations;
    }
    // Named by content, so that a re-run declaring the same leaves everything as it was.
    const module = `in-${createHash("sha1").update(last.declarations).digest("hex").slice(0, 16)}`;
    this.files.set(join(dirname(this.cellFile), `${module}.d.ts`), last.declarations);
    for (const declaration of last.declared) this.latest.set(declaration.name, { ...declaration, module });
    this.files.set(this.preludeFile, this.prelude());
    this.declarationsVersion += 1;
  }

  /** The text a cell is checked as: its source, then the tail reaching earlier cells' declarations. */
  cellText(source: string): string {
    return source + this.tail(declaredNames(source));
  }

  /** Whether an earlier cell declared the name. */
  declares(name: string): boolean {
    return this.latest.has(name);
  }

  /** A file of the virtual folder (earlier cells' declarations, the prelude), or undefined. */
  virtualFile(fileName: string): string | undefined {
    return fileName === this.cellFile ? undefined : this.files.get(fileName);
  }

  /**
   * A library, package or engine declaration file as the checker parsed it (they never change
   * while the kernel runs), for the language service to share rather than parse and bind again.
   */
  libraryFile(fileName: string): ts.SourceFile | undefined {
    return this.files.has(fileName) ? undefined : this.parsed.get(fileName);
  }

  /** The names of the library files parsed so far (see libraryFile). */
  libraryFileNames(): string[] {
    return [...this.parsed.keys()].filter((fileName) => !this.files.has(fileName));
  }

  /**
   * Resolves imports as the checker's programs do, from the same cache: the language service
   * then finds every library's imports already resolved instead of searching node_modules again.
   */
  resolveModuleNameLiterals(literals: readonly ts.StringLiteralLike[], containingFile: string, redirected: ts.ResolvedProjectReference | undefined, options: ts.CompilerOptions): readonly ts.ResolvedModuleWithFailedLookupLocations[] {
    return this.host.resolveModuleNameLiterals!(literals, containingFile, redirected, options, undefined!, undefined);
  }

  /** The virtual folder's path: a file named `<name>.ts` there sees what a cell sees. */
  get folder(): string {
    return dirname(this.cellFile);
  }

  get globalsFile(): string {
    return this.setup.cellGlobals;
  }

  /** Exports of the cell's declarations, and imports of earlier ones it does not declare again. */
  private tail(declared: Declared[]): string {
    const own = new Set(declared.map((d) => d.name));
    const imports = new Map<string, string[]>();
    for (const [name, earlier] of this.latest) {
      if (earlier.route !== "import" || own.has(name)) continue;
      imports.set(earlier.module, [...(imports.get(earlier.module) ?? []), name]);
    }
    const lines = [...imports].map(([module, names]) => `import { ${names.join(", ")} } from "./${module}";`);
    lines.push(`export { ${declared.filter((d) => !d.exported).map((d) => d.name).join(", ")} };`);
    return `\n;${lines.join(" ")}\n`;
  }

  private prelude(): string {
    const lines: string[] = [];
    for (const [name, { route, keyword, module }] of this.latest) {
      if (route === "variable") lines.push(`declare ${keyword} ${name}: typeof import("./${module}").${name};`);
    }
    return lines.join("\n");
  }

  private makeHost(): ts.CompilerHost {
    const host = ts.createCompilerHost(this.options);
    const readFromDisk = host.getSourceFile.bind(host);
    const moduleCache = ts.createModuleResolutionCache(this.setup.folder, (f) => f, this.options);
    host.getCurrentDirectory = () => this.setup.folder;
    // The editor's language service shares these files (libraryFile), so the engine's and the
    // packages' doc comments are parsed for it to show. Node's (with its fetch types, from
    // undici-types) and the standard library's are not: they are most of the text parsed before
    // the first completion (≈ 15 % of its time), and doc comments in declaration files change
    // no type error.
    const withoutDocs = [dirname(ts.getDefaultLibFilePath(this.options)), join(this.setup.typeRoot, "node"), join(dirname(this.setup.typeRoot), "undici-types")]
      .map((folder) => `${folder}/`);
    const virtualFolder = dirname(this.cellFile);
    host.fileExists = (f) => this.files.has(f) || ts.sys.fileExists(f);
    host.directoryExists = (d) => d === virtualFolder || ts.sys.directoryExists(d);
    host.readFile = (f) => this.files.get(f) ?? ts.sys.readFile(f);
    host.getSourceFile = (fileName, language, onError) => {
      const text = this.files.get(fileName);
      const known = this.parsed.get(fileName);
      if (text === undefined) {
        // Libraries and packages do not change while the kernel runs: parse each once.
        if (known) return known;
        const docsUnread = typeof language === "object" && withoutDocs.some((folder) => fileName.startsWith(folder));
        const file = readFromDisk(fileName, docsUnread ? { ...language, jsDocParsingMode: ts.JSDocParsingMode.ParseNone } : language, onError);
        if (file) this.parsed.set(fileName, file);
        return file;
      }
      if (known?.text === text) return known;
      const file = ts.createSourceFile(fileName, text, language);
      this.parsed.set(fileName, file);
      return file;
    };
    host.resolveModuleNameLiterals = (literals, containingFile, redirected, options) =>
      literals.map((literal) => ts.resolveModuleName(literal.text, containingFile, options, host, moduleCache, redirected));
    // Also caches package.json lookups, which every new program makes for every file.
    host.getModuleResolutionCache = () => moduleCache;
    host.writeFile = () => undefined;
    return host;
  }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function toCellDiagnostic(diagnostic: ts.Diagnostic, file: ts.SourceFile, source: string, readable: (message: string) => string): CellDiagnostic {
  const { line, character } = file.getLineAndCharacterOfPosition(diagnostic.start!);
  const end = file.getLineAndCharacterOfPosition(Math.min(diagnostic.start! + (diagnostic.length ?? 0), source.length));
  return {
    line: line + 1,
    column: character + 1,
    endLine: end.line + 1,
    endColumn: end.character + 1,
    code: diagnostic.code,
    message: readable(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")),
    lineText: source.split("\n")[line] ?? "",
  };
}

/** The names a cell declares at its top level, and whether later cells reach them as variables or imports. */
export function declaredNames(source: string): Declared[] {
  const file = ts.createSourceFile("cell.ts", source, ts.ScriptTarget.ES2022);
  const found = new Map<string, Declared>();
  let exported = false;
  const add = (name: string, route: Route, keyword: Declared["keyword"] = "const") => {
    const previous = found.get(name);
    // A name that is also a class, type or function (`const Foo` with `type Foo`) needs an import.
    if (!previous || route === "import") found.set(name, { name, route, keyword, exported: exported || previous?.exported === true });
  };
  for (const statement of file.statements) {
    exported = isExported(statement);
    if (ts.isVariableStatement(statement)) {
      const flags = statement.declarationList.flags;
      const keyword = flags & ts.NodeFlags.Const ? "const" : flags & ts.NodeFlags.Let ? "let" : "var";
      for (const declaration of statement.declarationList.declarations) {
        for (const name of bindingNames(declaration.name)) add(name, "variable", keyword);
      }
    } else if (
      (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement)
        || ts.isTypeAliasDeclaration(statement) || ts.isEnumDeclaration(statement)) && statement.name
    ) {
      add(statement.name.text, "import");
    } else if (ts.isModuleDeclaration(statement) && ts.isIdentifier(statement.name)) {
      add(statement.name.text, "import");
    } else if (ts.isImportDeclaration(statement) && statement.importClause) {
      const clause = statement.importClause;
      if (clause.name) add(clause.name.text, "import");
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) add(bindings.name.text, "import");
      if (bindings && ts.isNamedImports(bindings)) for (const element of bindings.elements) add(element.name.text, "import");
    } else if (ts.isImportEqualsDeclaration(statement)) {
      add(statement.name.text, "import");
    }
  }
  return [...found.values()];
}

function isExported(statement: ts.Statement): boolean {
  return ts.canHaveModifiers(statement) && (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

function bindingNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((element) => ts.isOmittedExpression(element) ? [] : bindingNames(element.name));
}
