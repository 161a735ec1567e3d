/**
 * Writes kernel/engine-docs.json: the signature and doc comment of every function, class and
 * method the engine exports, read from its TypeScript with the compiler API, so that
 * `inspect` (Shift+Tab, hover) can show them at run time without shipping the sources.
 *
 *   node --import tsx kernel/generate-engine-docs.ts [--check]
 *
 * --check exits non-zero when the committed file differs from what would be written.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

const ROOT = join(__dirname, "..");
export const DOCS_FILE = join(__dirname, "engine-docs.json");

export function collectEngineDocs(): Record<string, string> {
  const entry = join(ROOT, "engine", "index.ts");
  const program = ts.createProgram([entry], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, strict: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const docs: Record<string, string> = {};
  const seenClasses = new Set<ts.Symbol>();

  const describe = (name: string, symbol: ts.Symbol, depth: number): void => {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const declaration = target.valueDeclaration ?? target.declarations?.[0];
    if (!declaration || !(target.flags & (ts.SymbolFlags.Value | ts.SymbolFlags.ValueModule))) return;
    const type = checker.getTypeOfSymbolAtLocation(target, declaration);
    const comment = ts.displayPartsToString(target.getDocumentationComment(checker)).trim();
    const constructs = type.getConstructSignatures();
    const calls = type.getCallSignatures();
    const shortName = name.slice(name.lastIndexOf(".") + 1);
    if (constructs.length) {
      // A class, exported directly or as a property of a namespace object (tf.keras.layers.Dense).
      const signatures = constructs.map((s) => `new ${name}${checker.signatureToString(s)}`);
      const classSymbol = type.getSymbol() ?? target;
      const classComment = comment || ts.displayPartsToString(classSymbol.getDocumentationComment(checker)).trim();
      docs[name] = [signatures.join("\n"), classComment].filter(Boolean).join("\n\n");
      if (!seenClasses.has(classSymbol)) {
        seenClasses.add(classSymbol);
        describeMembers(shortName, constructs[0].getReturnType());
      }
    } else if (calls.length) {
      docs[name] = [calls.map((s) => `${name}${checker.signatureToString(s)}`).join("\n"), comment].filter(Boolean).join("\n\n");
    } else if (depth < 3 && (type.flags & ts.TypeFlags.Object || target.flags & ts.SymbolFlags.ValueModule)) {
      for (const property of type.getProperties()) describe(`${name}.${property.name}`, property, depth + 1);
    }
  };

  const describeMembers = (className: string, instanceType: ts.Type): void => {
    for (const member of instanceType.getProperties()) {
      if (member.name.startsWith("_") || member.name.startsWith("__@")) continue;
      const declaration = member.valueDeclaration;
      if (!declaration || ts.getCombinedModifierFlags(declaration as ts.Declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
      const memberType = checker.getTypeOfSymbolAtLocation(member, declaration);
      const signatures = memberType.getCallSignatures();
      if (!signatures.length) continue;
      const comment = ts.displayPartsToString(member.getDocumentationComment(checker)).trim();
      const key = `${className}.${member.name}`;
      docs[key] = [signatures.map((s) => `${key}${checker.signatureToString(s)}`).join("\n"), comment].filter(Boolean).join("\n\n");
    }
  };

  for (const symbol of checker.getExportsOfModule(moduleSymbol)) describe(`tf.${symbol.name}`, symbol, 0);
  return Object.fromEntries(Object.entries(docs).sort(([a], [b]) => a.localeCompare(b)));
}

if (require.main === module) {
  const text = JSON.stringify(collectEngineDocs(), null, 1) + "\n";
  if (process.argv.includes("--check")) {
    const current = readFileSync(DOCS_FILE, "utf8");
    if (current !== text) {
      console.error("kernel/engine-docs.json is out of date: run node --import tsx kernel/generate-engine-docs.ts");
      process.exit(1);
    }
  } else {
    writeFileSync(DOCS_FILE, text);
    console.log(`wrote ${Object.keys(JSON.parse(text)).length} entries to ${DOCS_FILE}`);
  }
}
