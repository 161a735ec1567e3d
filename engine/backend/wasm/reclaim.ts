/**
 * Reclaiming kernel memory inside a synchronous loop. A FinalizationRegistry's callbacks run
 * only between tasks, so a loop that never yields cannot get back the blocks of the arrays it
 * drops. V8 has the two pieces needed to do it there and then, behind flags: a registry's
 * `cleanupSome()` (runs the callbacks of arrays already found dead, synchronously) and `gc()` (a
 * full collection, which finds them). Both are taken from a context made while the flags are on;
 * the flags are turned off again at once, so user code and later contexts never see them.
 * Where the flags or `node:vm` are missing (browsers, other runtimes) there is no collector and
 * blocks come back between tasks only.
 */
import { nodeBuiltin } from "../threads";

export interface ReclaimingRegistry<T> {
  register(target: object, held: T): void;
  /** Runs now the callbacks of targets already found dead (without a collector: nothing, they run between tasks). */
  cleanupSome(): void;
}

export interface SynchronousCollector {
  registry<T>(cleanup: (held: T) => void): ReclaimingRegistry<T>;
  /** A full garbage collection: arrays no longer reachable are found dead (their callbacks then wait for `cleanupSome`). */
  collect(): void;
}

interface FlaggedGlobals {
  FinalizationRegistry: new <T>(cleanup: (held: T) => void) => FinalizationRegistry<T> & { cleanupSome?: () => void };
  gc?: () => void;
}

const CLEANUP_SOME = "--harmony-weak-refs-with-cleanup-some";
const EXPOSE_GC = "--expose-gc";

let made: SynchronousCollector | null | undefined;

/** The process's collector (one context for every kernel memory), or null where V8 cannot provide one. */
export function synchronousCollector(): SynchronousCollector | null {
  if (made === undefined) made = makeCollector();
  return made;
}

/** A registry that reclaims synchronously where `collector` exists, else an ordinary one. */
export function reclaimingRegistry<T>(collector: SynchronousCollector | null, cleanup: (held: T) => void): ReclaimingRegistry<T> {
  if (collector) return collector.registry(cleanup);
  const registry = new FinalizationRegistry(cleanup);
  return { register: (target, held) => registry.register(target, held), cleanupSome() {} };
}

/** Whether `flag` was on before we touched it (on the command line, or gc already global): then it stays on. */
function alreadyOn(flag: string): boolean {
  const options = typeof process === "object" ? `${process.execArgv?.join(" ") ?? ""} ${process.env?.NODE_OPTIONS ?? ""}` : "";
  if (options.replaceAll("_", "-").includes(flag)) return true;
  return flag === EXPOSE_GC && typeof (globalThis as { gc?: unknown }).gc === "function";
}

function makeCollector(): SynchronousCollector | null {
  const v8 = nodeBuiltin<{ setFlagsFromString(flags: string): void }>("node:v8");
  const vm = nodeBuiltin<{ runInNewContext(code: string): unknown }>("node:vm");
  if (!v8?.setFlagsFromString || !vm?.runInNewContext) return null;
  const turnedOn = [CLEANUP_SOME, EXPOSE_GC].filter((flag) => !alreadyOn(flag));
  let globals: FlaggedGlobals | undefined;
  try {
    for (const flag of turnedOn) v8.setFlagsFromString(flag);
    globals = vm.runInNewContext("({ FinalizationRegistry, gc: typeof gc === 'function' ? gc : undefined })") as FlaggedGlobals;
  } catch {
    globals = undefined;
  } finally {
    for (const flag of turnedOn) {
      try { v8.setFlagsFromString(flag.replace(/^--/, "--no-")); } catch { /* the flag stays on: only a context made now would see it */ }
    }
  }
  const { FinalizationRegistry: Registry, gc } = globals ?? {};
  if (!Registry || typeof Registry.prototype.cleanupSome !== "function" || typeof gc !== "function") return null;
  return {
    registry: <T>(cleanup: (held: T) => void) => new Registry<T>(cleanup) as unknown as ReclaimingRegistry<T>,
    collect: gc,
  };
}
