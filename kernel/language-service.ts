/**
 * Completion and hover from types: TypeScript's language service over the files the checker
 * uses (the engine's declarations, earlier cells' declarations, the prelude), plus the cell
 * being edited, so that it knows exactly what a cell would be checked against. It runs on the
 * checker's thread, never behind a running cell.
 */
import ts from "typescript";
import { dirname, join } from "node:path";
import { declaredNames, type CellTypeChecker } from "./type-checker";

/** One match as Jupyter frontends read it (`_jupyter_types_experimental`, as ipykernel sends). */
export interface TypedMatch {
  text: string;
  /** TypeScript's kind of the name: method, property, function, class, interface, const, let, keyword... */
  type: string;
  signature: string;
  documentation?: string;
}

export interface TypedCompletion {
  matches: TypedMatch[];
  /** UTF-16 offsets in the cell of the text the matches replace. */
  start: number;
  end: number;
  /** False where types cannot say (members of `any`): the kernel adds what the live values have. */
  complete: boolean;
}

export interface TypedInspection { found: boolean; plain: string; markdown: string }

/** Signature help as VS Code's SignatureHelp has it: labels, docs, and which parameter the cursor is in. */
export interface TypedSignatures {
  signatures: Array<{ label: string; documentation: string; parameters: Array<{ label: string; documentation: string }> }>;
  activeSignature: number;
  activeParameter: number;
}

/** Details (signature, doc) are looked up for this many matches at most, the first in order. */
const MAX_DETAILED = 200;
/** Completion contexts whose details are kept (typing on one line stays in one context). */
const KEPT_CONTEXTS = 16;
/** The engine's types as the receiver of a completion is printed (`tf.Variable`, `typeof tf.keras`). */
const ENGINE_TYPE = /^(typeof )?tf\b/;
/** Display parts naming a type, which are the engine's when `tf` exports that name. */
const TYPE_NAME_PARTS = new Set(["className", "interfaceName", "aliasName", "enumName"]);

export class CellLanguageService {
  private readonly editFile: string;
  private editText = "";
  private editVersion = 0;
  private readonly service: ts.LanguageService;
  /** Signature and doc of each match, per context: the lookups are most of a completion's time. */
  private readonly detailsByContext = new Map<string, Map<string, TypedMatch>>();
  private engineTypes: Set<string> | undefined;

  /** `precomputed`: details of the engine's types, made at build time (completion-details.ts), kept for good. */
  constructor(private readonly checker: CellTypeChecker, private readonly precomputed = new Map<string, Map<string, TypedMatch>>()) {
    this.editFile = join(checker.folder, "edit.ts");
    this.service = ts.createLanguageService(this.host(), sharingRegistry(checker));
  }

  complete(source: string, cursor: number): TypedCompletion {
    const start = wordStart(source, cursor);
    this.edit(source);
    const found = this.service.getCompletionsAtPosition(this.editFile, cursor, { includeCompletionsWithInsertText: false });
    if (!found) return { matches: [], start, end: cursor, complete: false };
    const prefix = source.slice(start, cursor);
    const entries = found.entries
      .filter((entry) => entry.name.startsWith(prefix) && !entry.name.startsWith("__agnb"))
      .sort((a, b) => (a.sortText === b.sortText ? a.name.localeCompare(b.name) : a.sortText.localeCompare(b.sortText)));
    // Members' details depend on the receiver's type alone; other names' on the cell around them.
    const receiverType = found.isMemberCompletion ? this.receiverType(start) : undefined;
    // The engine's types (`tf.Variable`) and an earlier cell's (named by the file of its content)
    // stay what they are as cells run; others only until the declarations change.
    const stable = receiverType !== undefined && (ENGINE_TYPE.test(receiverType) || receiverType.includes('import("'));
    const typeKey = receiverType && (stable ? receiverType : `${this.checker.declarationsVersion}\u0000${receiverType}`);
    const known = this.detailsIn(typeKey ? `type\u0000${typeKey}` : completionContext(source, start, this.checker.declarationsVersion));
    const own = new Set(declaredNames(source).map((d) => d.name));
    const matches = entries.map((entry, index): TypedMatch => {
      const key = `${entry.kind}\u0000${entry.name}`;
      const kept = known.get(key);
      if (kept) return kept;
      if (index >= MAX_DETAILED) return { text: entry.name, type: entry.kind, signature: "" };
      const details = this.service.getCompletionEntryDetails(this.editFile, cursor, entry.name, undefined, entry.source, undefined, entry.data);
      const match: TypedMatch = {
        text: entry.name,
        type: entry.kind,
        signature: this.display(details?.displayParts, own),
        documentation: ts.displayPartsToString(details?.documentation) || undefined,
      };
      known.set(key, match);
      return match;
    });
    return { matches, start, end: cursor, complete: !(found.isMemberCompletion && matches.length === 0) };
  }

  inspect(source: string, cursor: number): TypedInspection {
    this.edit(source);
    // On the name the cursor is in, or just after (`w|`, as Jupyter frontends ask).
    const info = this.service.getQuickInfoAtPosition(this.editFile, cursor) ?? (cursor > 0 ? this.service.getQuickInfoAtPosition(this.editFile, cursor - 1) : undefined);
    // A name TypeScript does not know comes back as `any` of no kind.
    if (!info || info.kind === ts.ScriptElementKind.unknown) return { found: false, plain: "", markdown: "" };
    const signature = this.display(info.displayParts, new Set(declaredNames(source).map((d) => d.name)));
    const documentation = ts.displayPartsToString(info.documentation);
    const tags = (info.tags ?? []).map((tag) => `@${tag.name} ${ts.displayPartsToString(tag.text)}`.trim());
    const prose = [documentation, ...tags].filter(Boolean).join("\n\n");
    return {
      found: true,
      plain: [signature, prose].filter(Boolean).join("\n\n"),
      markdown: ["```typescript", signature, "```", prose].filter(Boolean).join("\n"),
    };
  }

  signatureHelp(source: string, cursor: number): TypedSignatures {
    this.edit(source);
    const help = this.service.getSignatureHelpItems(this.editFile, cursor, undefined);
    if (!help) return { signatures: [], activeSignature: 0, activeParameter: 0 };
    const own = new Set(declaredNames(source).map((d) => d.name));
    const signatures = help.items.map((item) => {
      const parameters = item.parameters.map((parameter) => ({ label: this.display(parameter.displayParts, own), documentation: ts.displayPartsToString(parameter.documentation) }));
      const label = [
        this.display(item.prefixDisplayParts, own),
        parameters.map((parameter) => parameter.label).join(this.display(item.separatorDisplayParts, own)),
        this.display(item.suffixDisplayParts, own),
      ].join("");
      return { label, documentation: ts.displayPartsToString(item.documentation), parameters };
    });
    return { signatures, activeSignature: help.selectedItemIndex, activeParameter: help.argumentIndex };
  }

  /**
   * Prepares the details of what is completed most (the engine's API, tensors and variables),
   * one at a time between requests, so that a request waits for one of them at most.
   */
  warmUp(cells = ["new tf.Variable(1).", "tf.constant(1).", "tf."]): void {
    const [cell, ...rest] = cells;
    if (cell === undefined) return;
    this.complete(cell, cell.length);
    setImmediate(() => this.warmUp(rest));
  }

  /** The type before the dot ending at `dotEnd` (`w.` → Variable), fully qualified. */
  private receiverType(dotEnd: number): string | undefined {
    const program = this.service.getProgram();
    const file = program?.getSourceFile(this.editFile);
    if (!program || !file) return undefined;
    let node: ts.Node | undefined = file;
    const dot = dotEnd - 1;
    for (let inner: ts.Node | undefined = file; inner; ) {
      node = inner;
      inner = ts.forEachChild(inner, (child) => (child.getStart(file) <= dot && dot < child.getEnd() ? child : undefined));
    }
    while (node && !ts.isPropertyAccessExpression(node) && !ts.isQualifiedName(node)) node = node.parent;
    if (!node) return undefined;
    const receiver = ts.isPropertyAccessExpression(node) ? node.expression : node.left;
    const types = program.getTypeChecker();
    const type = types.getTypeAtLocation(receiver);
    if (type.flags & ts.TypeFlags.Any) return undefined;
    return types.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseFullyQualifiedType);
  }

  /** The details of the engine's own types found so far, by context, for completion-details.ts. */
  engineDetails(): Record<string, TypedMatch[]> {
    // `tf.Variable`, or a type of the engine's files printed with its path (`import(".../model").Sequential`).
    const types = `import("${dirname(this.checker.globalsFile)}/`;
    const engineType = (context: string) => context.startsWith("type\u0000") && !context.includes(this.checker.folder)
      && (ENGINE_TYPE.test(context.slice(5)) || context.includes(types));
    const contexts = [...this.detailsByContext].filter(([context]) => engineType(context));
    return Object.fromEntries(contexts.map(([context, known]) => [context, [...known.values()]]));
  }

  private detailsIn(context: string): Map<string, TypedMatch> {
    const precomputed = this.precomputed.get(context);
    if (precomputed) return precomputed;
    let known = this.detailsByContext.get(context);
    if (!known) {
      if (this.detailsByContext.size >= KEPT_CONTEXTS) this.detailsByContext.clear();
      known = new Map();
      this.detailsByContext.set(context, known);
    }
    return known;
  }

  /** TypeScript's text for a name, with the engine's types as users write them (`tf.Variable`). */
  private display(parts: ts.SymbolDisplayPart[] | undefined, own: Set<string>): string {
    const engineTypes = this.engineTypeNames();
    const list = parts ?? [];
    const isEngineType = (part: ts.SymbolDisplayPart, index: number) =>
      TYPE_NAME_PARTS.has(part.kind) && list[index - 1]?.text !== "." && engineTypes.has(part.text) && !own.has(part.text) && !this.checker.declares(part.text);
    const text = list.map((part, index) => (isEngineType(part, index) ? `tf.${part.text}` : part.text)).join("");
    // `(alias) function matmul(...)` ends with `export matmul`, which says nothing to a user.
    return this.checker.readable(text).replace(/\n(?:export|import) [\w$]+$/, "").replace(/\btf\.tf\./g, "tf.");
  }

  private engineTypeNames(): Set<string> {
    if (this.engineTypes) return this.engineTypes;
    const program = this.service.getProgram();
    const file = program?.getSourceFile(this.checker.globalsFile);
    const types = program?.getTypeChecker();
    const module = file && types?.getSymbolAtLocation(file);
    const typeFlags = ts.SymbolFlags.Class | ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Enum;
    const names = module && types ? types.getExportsOfModule(module).filter((symbol) => {
      const target = symbol.flags & ts.SymbolFlags.Alias ? types.getAliasedSymbol(symbol) : symbol;
      return (target.flags & typeFlags) !== 0;
    }).map((symbol) => symbol.name) : [];
    this.engineTypes = new Set(names);
    return this.engineTypes;
  }

  private edit(source: string): void {
    const text = this.checker.cellText(source);
    if (text === this.editText) return;
    this.editText = text;
    this.editVersion += 1;
  }

  private host(): ts.LanguageServiceHost {
    const checker = this.checker;
    const versionOf = (file: string) => (file === this.editFile ? `e${this.editVersion}` : file === checker.preludeFile || file.startsWith(checker.folder) ? `d${checker.declarationsVersion}` : "0");
    const textOf = (file: string) => (file === this.editFile ? this.editText : checker.virtualFile(file));
    return {
      getCompilationSettings: () => checker.options,
      getScriptFileNames: () => [checker.globalsFile, checker.preludeFile, this.editFile],
      getScriptVersion: versionOf,
      getProjectVersion: () => `${this.editVersion}:${checker.declarationsVersion}`,
      getScriptSnapshot: (file) => {
        const text = textOf(file) ?? checker.libraryFile(file)?.text ?? ts.sys.readFile(file);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => checker.folder,
      // As the checker's host: the files both share take their paths from whichever program
      // used them last, so both must spell paths alike (by default the service lower-cases them).
      useCaseSensitiveFileNames: () => ts.sys.useCaseSensitiveFileNames,
      getDefaultLibFileName: (options) => ts.getDefaultLibFilePath(options),
      fileExists: (file) => textOf(file) !== undefined || ts.sys.fileExists(file),
      readFile: (file) => textOf(file) ?? ts.sys.readFile(file),
      directoryExists: (folder) => folder === checker.folder || ts.sys.directoryExists(folder),
      resolveModuleNameLiterals: (literals, containingFile, redirected, options) => checker.resolveModuleNameLiterals(literals, containingFile, redirected, options),
      getDirectories: ts.sys.getDirectories,
      readDirectory: ts.sys.readDirectory,
    };
  }
}

/**
 * A document registry that hands out the checker's own parsed (and bound) library files: the
 * language service then costs the kernel no second parse of the libraries and @types/node.
 */
function sharingRegistry(checker: CellTypeChecker): ts.DocumentRegistry {
  const own = ts.createDocumentRegistry(ts.sys.useCaseSensitiveFileNames);
  const sharedPaths = new Set<string>();
  const shared = (fileName: string, path: ts.Path, version: string) => {
    const file = checker.libraryFile(fileName);
    if (!file) return undefined;
    // The language service tells a file's edits by its version; these never change.
    (file as ts.SourceFile & { version?: string }).version = version;
    sharedPaths.add(path);
    return file;
  };
  return {
    ...own,
    acquireDocumentWithKey: (fileName, path, settings, key, snapshot, version, kind, options) =>
      shared(fileName, path, version) ?? own.acquireDocumentWithKey(fileName, path, settings, key, snapshot, version, kind, options),
    updateDocumentWithKey: (fileName, path, settings, key, snapshot, version, kind, options) =>
      shared(fileName, path, version) ?? own.updateDocumentWithKey(fileName, path, settings, key, snapshot, version, kind, options),
    releaseDocumentWithKey: (path: ts.Path, key: ts.DocumentRegistryBucketKey, kind?: ts.ScriptKind, format?: ts.ResolutionMode) => {
      if (!sharedPaths.has(path)) own.releaseDocumentWithKey(path, key, kind!, format);
    },
  };
}

/**
 * What a match's details depend on besides its name: earlier cells, the cell's other lines and
 * the expression before the dot.
 */
function completionContext(source: string, wordStartOffset: number, declarationsVersion: number): string {
  const lineStart = source.lastIndexOf("\n", wordStartOffset - 1) + 1;
  const lineEndAt = source.indexOf("\n", wordStartOffset);
  const lineEnd = lineEndAt < 0 ? source.length : lineEndAt;
  const receiver = /[\w$.\s]*$/.exec(source.slice(lineStart, wordStartOffset))![0].trim();
  return `${declarationsVersion}\u0000${source.slice(0, lineStart)}\u0000${source.slice(lineEnd)}\u0000${receiver}`;
}

/** Where the identifier before the cursor starts. */
function wordStart(source: string, cursor: number): number {
  let start = cursor;
  while (start > 0 && /[\w$]/.test(source[start - 1])) start -= 1;
  return start;
}
