/**
 * Event listeners a cell adds (`emitter.on(...)`, `once`, and the streams, child processes and
 * servers built on them) belong to its run: Node calls them from I/O callbacks, outside any
 * guarded call, so without this SIGINT could not break a busy listener, and an interrupted
 * cell's listeners would go on running. Added while a run is current, a listener runs through
 * `runForCell`; once the run is cancelled, a listener the cell itself added is dropped, and
 * leaves its emitter the next time it fires (what Node or a package added for it, such as a
 * pooled socket's listeners, goes on: see `calledFromCell`). `removeListener(original)` and
 * `listeners()` see the original function, as for Node's own `once` wrappers (they read the
 * wrapper's `listener` property).
 */
import { EventEmitter } from "node:events";
import { DROPPED, calledFromCell, currentRun, runForCell, type CellRun } from "./cell-runtime";

type Listener = (...args: unknown[]) => unknown;
type EventName = string | symbol;

const prototype = EventEmitter.prototype;
/** As Node defines them: a cell may replace the prototype's methods, not these. */
const native = {
  on: prototype.on,
  prependListener: prototype.prependListener,
  once: prototype.once,
  prependOnceListener: prototype.prependOnceListener,
  removeListener: prototype.removeListener,
};
const apply = Reflect.apply;

function cellListener(run: CellRun, type: EventName, listener: Listener, once: boolean, cellOwn: boolean): Listener {
  const wrapper = function (this: EventEmitter, ...args: unknown[]) {
    if (once) apply(native.removeListener, this, [type, wrapper]);
    const result = runForCell(run, () => apply(listener, this, args), !cellOwn);
    if (result !== DROPPED) return result;
    if (!once) apply(native.removeListener, this, [type, wrapper]);
    return undefined;
  };
  return Object.assign(wrapper, { listener });
}

/** Node's `original` outside a run (and for what is no function: Node's own error); within one, `add` of a cell listener. */
function listen(original: typeof prototype.on, add: typeof prototype.on, once: boolean) {
  const method = function (this: EventEmitter, type: EventName, listener: Listener) {
    const run = currentRun();
    if (run === undefined || typeof listener !== "function") return apply(original, this, [type, listener]);
    return apply(add, this, [type, cellListener(run, type, listener, once, calledFromCell(method))]);
  };
  return method;
}

const guarded = {
  on: listen(native.on, native.on, false),
  prependListener: listen(native.prependListener, native.prependListener, false),
  once: listen(native.once, native.on, true),
  prependOnceListener: listen(native.prependOnceListener, native.prependListener, true),
};

/** Installs the guarded methods on EventEmitter.prototype (once; `addListener` is `on`, as in Node). */
export function guardCellListeners(): void {
  if (prototype.on !== native.on) return;
  for (const [name, method] of [...Object.entries(guarded), ["addListener", guarded.on]] as const) {
    Object.defineProperty(prototype, name, { value: method, writable: true, configurable: true, enumerable: false });
  }
}
