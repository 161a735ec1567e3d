/**
 * The completion callbacks of Node's callback APIs (`fs.readFile(path, callback)`,
 * `child_process.exec`, `dns.lookup`, `crypto.randomBytes`, `zlib.gzip`) run from I/O, outside
 * any guarded call. Called while a run is current, these functions get the cell's callback as
 * code of that run (`forRun`): SIGINT can break it, and once the run is cancelled it is dropped
 * (when the cell itself made the call; a stream's own reads go on, see `calledFromCell`).
 * Outside a run they are Node's own, called as they are.
 */
import childProcess from "node:child_process";
import crypto from "node:crypto";
import dns from "node:dns";
import fs from "node:fs";
import zlib from "node:zlib";
import { calledFromCell, currentRun, forRun } from "./cell-runtime";

type Callback = (...args: unknown[]) => unknown;
const apply = Reflect.apply;
const MODULES: Array<Record<string, unknown>> = [fs, childProcess, dns, crypto, zlib] as never;
/** Functions whose last argument is no completion callback, or that take none. */
const NOT_CALLBACK_APIS = /^[A-Z_]|Sync$|^create|^watch|^unwatch|^promisify$/;
const GUARDED = Symbol("agnb.guardedCallbackApi");

function guardedApi(original: Callback): Callback {
  const api = function (this: unknown, ...args: unknown[]) {
    const run = currentRun();
    const last = args.length - 1;
    if (run !== undefined && typeof args[last] === "function") args[last] = forRun(run, args[last] as Callback, calledFromCell(api));
    return apply(original, this, args);
  };
  // util.promisify's custom forms and argument names live on the function: they stay.
  for (const key of Reflect.ownKeys(original)) {
    if (key === "length" || key === "name" || key === "prototype") continue;
    Object.defineProperty(api, key, Object.getOwnPropertyDescriptor(original, key)!);
  }
  Object.defineProperty(api, "name", { value: original.name });
  return Object.defineProperty(api, GUARDED, { value: true });
}

/** Replaces the modules' callback functions (once) with ones that hand a running cell's callbacks to its run. */
export function guardNodeCallbacks(): void {
  for (const module of MODULES) {
    for (const name of Object.keys(module)) {
      const descriptor = Object.getOwnPropertyDescriptor(module, name);
      const original = descriptor?.value as Callback | undefined;
      if (typeof original !== "function" || !descriptor!.writable || NOT_CALLBACK_APIS.test(name) || GUARDED in original) continue;
      module[name] = guardedApi(original);
    }
  }
}
