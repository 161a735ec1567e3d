// Imported first by extension.ts, so this line runs when VS Code starts evaluating the bundle:
// activation time then covers loading the bundle as well as activate() itself.
import { performance } from "node:perf_hooks";

export const BUNDLE_EVALUATION_STARTED = performance.now();
