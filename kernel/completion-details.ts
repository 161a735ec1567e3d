/**
 * The details (signature, doc comment) of completing the engine's API — `tf.`, a tensor's and a
 * variable's members, the tape, optimizers, layers — worked out once at build time and shipped
 * beside the engine's declarations (dist/types/engine-completions.json). Looking them up is
 * most of a first completion's time; with this file the first `w.` after opening a notebook
 * needs none. The file names the TypeScript version and the declarations it was made from, and
 * is ignored when either differs from what the kernel loads.
 *
 * Written by kernel/generate-completion-details.ts, which scripts/build.mjs runs.
 */
import ts from "typescript";
import { createHash } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { CellLanguageService, type TypedMatch } from "./language-service";
import { CellTypeChecker, type TypeCheckerSetup } from "./type-checker";

export const COMPLETION_DETAILS_FILE = "engine-completions.json";
/** Stands for the folder of the engine's declarations in the file. */
const TYPES_FOLDER = "<types>";
/** Raised when what is kept, or how a detail is written, changes. */
const FORMAT = 1;

/** Receivers whose members are completed most; their details depend on the engine alone. */
const RECEIVERS = [
  "tf.", "tf.constant(1).", "new tf.Variable(1).", "new tf.GradientTape().", "tf.math.", "tf.nn.", "tf.linalg.", "tf.random.",
  "tf.optimizers.", "new tf.optimizers.SGD().", "new tf.optimizers.Adam().", "tf.keras.", "tf.keras.layers.",
  "new tf.keras.layers.Dense(1).", "new tf.keras.Sequential().", "tf.keras.losses.", "tf.keras.callbacks.",
];

interface DetailsFile { format: number; typescript: string; declarations: string; contexts: Record<string, TypedMatch[]> }

/** What the details were made from: the declarations of `tf` as the checker read them. */
function declarationsFingerprint(checker: CellTypeChecker, files: string[]): string {
  const folder = dirname(checker.globalsFile);
  const hash = createHash("sha1");
  for (const file of files.filter((name) => name.startsWith(folder)).sort()) {
    hash.update(`${relative(folder, file)}\u0000${checker.libraryFile(file)?.text ?? ""}\u0000`);
  }
  return hash.digest("hex");
}

/** The precomputed details for this checker's declarations, or undefined (missing, or made for others). */
export function readCompletionDetails(checker: CellTypeChecker, libraryFiles: string[]): Map<string, Map<string, TypedMatch>> | undefined {
  let file: DetailsFile;
  try {
    file = JSON.parse(readFileSync(join(dirname(checker.globalsFile), COMPLETION_DETAILS_FILE), "utf8")) as DetailsFile;
  } catch {
    return undefined;
  }
  if (file.format !== FORMAT || file.typescript !== ts.version || file.declarations !== declarationsFingerprint(checker, libraryFiles)) return undefined;
  const typesFolder = dirname(checker.globalsFile);
  return new Map(Object.entries(file.contexts).map(([context, matches]) => [
    context.split(TYPES_FOLDER).join(typesFolder), new Map(matches.map((match) => [`${match.type}\u0000${match.text}`, match])),
  ]));
}

export function writeCompletionDetails(setup: TypeCheckerSetup): string {
  const checker = new CellTypeChecker(setup);
  checker.warmUp();
  const service = new CellLanguageService(checker);
  const contexts: Record<string, TypedMatch[]> = {};
  for (const receiver of RECEIVERS) {
    service.complete(receiver, receiver.length);
    // Types the engine's files declare are printed with their path, which differs once installed.
    for (const [context, matches] of Object.entries(service.engineDetails())) contexts[context.split(dirname(setup.cellGlobals)).join(TYPES_FOLDER)] = matches;
  }
  const file: DetailsFile = { format: FORMAT, typescript: ts.version, declarations: declarationsFingerprint(checker, checker.libraryFileNames()), contexts };
  const out = join(dirname(setup.cellGlobals), COMPLETION_DETAILS_FILE);
  writeFileSync(`${out}.tmp`, `${JSON.stringify(file)}\n`);
  renameSync(`${out}.tmp`, out);
  return out;
}
