/**
 * What a pool worker runs (threads.ts), as source text for `new Worker(source, { eval: true })`
 * so that it travels inside any bundle. Each worker owns one slot of the shared header: it
 * waits for its Sequence to move, does the request (load the module posted on its port, or take
 * parts of the current job from the shared Next counter until none is left), records Failed,
 * and sets Done to the sequence it served. A failure is posted on the port as text; the loop
 * never ends, so a waiting caller always gets an answer.
 */

/** Int32 fields of a worker's slot in the header. */
export enum Header {
  Sequence = 0,
  Done = 1,
  Request = 2,
  Failed = 3,
}
export const HEADER_INTS = 4;
/** Int32 fields of the job, after the workers' slots. */
export enum Job {
  Kernel = 0,
  Function = 1,
  ArgumentCount = 2,
  Parts = 3,
  Next = 4,
}
export const JOB_INTS = 5;
export const MAX_ARGUMENTS = 24;
export const MAX_PARTS = 256;

export enum Request {
  Call = 0,
  Load = 1,
}

export const WORKER_SOURCE = `"use strict";
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
const { memory, index, port } = workerData;
const header = new Int32Array(workerData.header), args = new Float64Array(workerData.args);
const slot = index * ${HEADER_INTS}, job = workerData.workers * ${HEADER_INTS};
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
      kernels[header[job + ${Job.Kernel}]] = WebAssembly.Module.exports(module).map((entry) => exports[entry.name]);
    } else {
      const call = kernels[header[job + ${Job.Kernel}]][header[job + ${Job.Function}]];
      const count = header[job + ${Job.ArgumentCount}], parts = header[job + ${Job.Parts}];
      for (let part; (part = Atomics.add(header, job + ${Job.Next}, 1)) < parts; ) {
        call(...args.subarray(part * ${MAX_ARGUMENTS}, part * ${MAX_ARGUMENTS} + count), index + 1);
      }
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
