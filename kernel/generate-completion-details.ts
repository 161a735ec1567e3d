/**
 * Writes dist/types/engine-completions.json (see completion-details.ts) for the declarations in
 * the given folder; scripts/build.mjs runs it when they change.
 *
 *   node --import tsx kernel/generate-completion-details.ts DIST_TYPES_FOLDER
 */
import { join, relative, resolve } from "node:path";
import { writeCompletionDetails } from "./completion-details";

const types = process.argv[2];
if (!types) throw new Error("usage: node --import tsx kernel/generate-completion-details.ts DIST_TYPES_FOLDER");
const root = join(__dirname, "..");
const out = writeCompletionDetails({ folder: root, cellGlobals: join(resolve(types), "cell-globals.d.ts"), typeRoot: join(root, "node_modules", "@types") });
console.log(`wrote ${relative(root, out)}`);
