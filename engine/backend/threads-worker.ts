/**
 * What a pool worker runs (threads.ts), as source text for `new Worker(source, { eval: true })`
 * so that it travels inside any bundle. Each worker owns one slot of the shared header: it
 * waits for Sequence to move, does the request (load the module posted on its port, or call a
 * function of a loaded one with the slot's arguments), records Failed, and sets Done to the
 * sequence it served. A failure is posted on the port as text; the loop never ends, so a
 * waiting caller always gets an answer.
 */

/** Int32 fields of a worker's slot in the header. */
export enum Header {
  Sequence = 0,
  Done = 1,
  Request = 2,
  Kernel = 3,
  Function = 4,
  ArgumentCount = 5,
  Failed = 6,
}
export const HEADER_INTS = 8;
export const MAX_ARGUMENTS = 24;

export enum Request {
  Call = 0,
  Load = 1,
}

export const WORKER_SOURCE = `"use strict";
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
const { memory, index, port } = workerData;
const header = new Int32Array(workerData.header), args = new Float64Array(workerData.args);
const slot = index * ${HEADER_INTS}, firstArgument = index * ${MAX_ARGUMENTS};
const kernels = [];
let served = 0;
for (;;) {
  Atomics.wait(header, slot + ${Header.Sequence}, served);
  served = Atomics.load(header, slot + ${Header.Sequence});
  let failed = 0;
  try {
    if (header[slot + ${Header.Request}] === ${Request.Load}) {
      const { module } = receiveMessageOnPort(port).message;
      const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
      kernels[header[slot + ${Header.Kernel}]] = WebAssembly.Module.exports(module).map((entry) => exports[entry.name]);
    } else {
      const call = kernels[header[slot + ${Header.Kernel}]][header[slot + ${Header.Function}]];
      const count = header[slot + ${Header.ArgumentCount}];
      call(...args.subarray(firstArgument, firstArgument + count));
    }
  } catch (error) {
    failed = 1;
    port.postMessage(String(error && error.message || error));
  }
  header[slot + ${Header.Failed}] = failed;
  Atomics.store(header, slot + ${Header.Done}, served);
  Atomics.notify(header, slot + ${Header.Done});
}
`;
