/**
 * Imported first by the kernel process (main.ts): the checker thread starts loading TypeScript
 * and the libraries while the engine and the rest of the kernel load, in the folder the kernel
 * serves (start.ts gives the kernel the same one).
 */
import { startCheckerThread } from "./type-check";

startCheckerThread(process.cwd());
