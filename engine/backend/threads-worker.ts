/**
 * What a pool worker runs (threads.ts), as source text for `new Worker(source, { eval: true })`
 * so that it travels inside any bundle. Each worker owns one slot of the shared header: it
 * waits for its Sequence to move, does the request (load the modules posted on its port, or take
 * parts of the current job from the shared Next counter until none is left), records Failed,
 * and sets Done to the sequence it served. A failure is posted on the port as text; the loop
 * never ends, so a waiting caller always gets an answer.
 *
 * Between requests a worker first spins on its Sequence for `spinMs`, and only then sleeps in
 * Atomics.wait with Sleeping set: the products of one training step come a few hundred
 * microseconds apart, and waking a sleeping thread costs tens of microseconds on a quiet
 * machine, milliseconds on a busy one. The caller notifies only a worker that sleeps. A spin
 * that finds it lost its core for a while (another process wanted it) ends, and the worker
 * then sleeps at once for BUSY_PAUSE_MS; nor does a worker spin while the load average says
 * more threads want to run than there are cores (`busyLoad`, our own two included). On a busy
 * machine a thread that spins is the one the scheduler holds back, and the caller would wait
 * for the part it took; one that slept is run soon after it is woken. A call request is claimed before its job is read: a caller that has done
 * every part itself withdraws a request not yet claimed and goes on without waiting, and the
 * worker, once it wakes, only marks it Done.
 */

/** Int32 fields of a worker's slot in the header. */
export enum Header {
  Sequence = 0,
  Done = 1,
  Request = 2,
  Failed = 3,
  Sleeping = 4,
  /** Set while the worker spins for its next request: a call made now starts on it at once. */
  Spinning = 5,
  /** Who has a call request: Claim.Open when made, then Taken by the worker or Withdrawn by the caller. */
  Claim = 6,
  /** Set while the worker finds the machine busy (it does not spin then, nor should a caller waiting for it). */
  Busy = 7,
}
export enum Claim {
  Open = 0,
  Taken = 1,
  Withdrawn = 2,
}
/** A slot is one 64-byte cache line, so a spinning worker's reads never share a line another thread writes. */
export const HEADER_INTS = 16;
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
/** A gap this long between two looks at the clock means the thread was descheduled. */
export const PREEMPTED_MS = 0.5;
const BUSY_PAUSE_MS = 20;
/** How often a worker reads the load average (a system call of a few microseconds). */
const LOAD_CHECK_MS = 250;
export const MAX_PARTS = 256;

export enum Request {
  Call = 0,
  Load = 1,
}

export const WORKER_SOURCE = `"use strict";
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
const { loadavg } = require("node:os");
const { memory, index, port, spinMs, busyLoad } = workerData;
const header = new Int32Array(workerData.header), args = new Float64Array(workerData.args);
const slot = index * ${HEADER_INTS}, job = workerData.workers * ${HEADER_INTS};
const sequence = slot + ${Header.Sequence}, sleeping = slot + ${Header.Sleeping}, spinning = slot + ${Header.Spinning}, claim = slot + ${Header.Claim};
const kernels = [], lists = [];
let served = 0;
// Until then the worker sleeps right away: its last spin lost the core, so the machine is busy.
let calmUntil = 0, loadCheckedAt = -Infinity, busy = false;
for (;;) {
  let now = performance.now();
  if (now - loadCheckedAt > ${LOAD_CHECK_MS}) {
    busy = loadavg()[0] >= busyLoad;
    loadCheckedAt = now;
  }
  Atomics.store(header, slot + ${Header.Busy}, busy || now < calmUntil ? 1 : 0);
  if (Atomics.load(header, sequence) === served && !busy && now >= calmUntil) {
    let before = now;
    const until = now + spinMs;
    Atomics.store(header, spinning, 1);
    // The clock is read once every 256 looks at Sequence (a few microseconds): each reading allocates, and a spin that allocated every time would collect every few milliseconds.
    for (let looks = 1; Atomics.load(header, sequence) === served; looks++) {
      if ((looks & 255) !== 0) continue;
      if ((now = performance.now()) >= until) break;
      if (now - before > ${PREEMPTED_MS}) { calmUntil = now + ${BUSY_PAUSE_MS}; break; }
      before = now;
    }
    Atomics.store(header, spinning, 0);
  }
  if (Atomics.load(header, sequence) === served) {
    // Sleeping is set before the wait reads Sequence: a caller that moved Sequence after this store sees it and notifies.
    Atomics.store(header, sleeping, 1);
    Atomics.wait(header, sequence, served);
    Atomics.store(header, sleeping, 0);
    if (Atomics.load(header, sequence) === served) continue;
  }
  served = Atomics.load(header, sequence);
  if (header[slot + ${Header.Request}] === ${Request.Call} && Atomics.compareExchange(header, claim, ${Claim.Open}, ${Claim.Taken}) !== ${Claim.Open}) {
    Atomics.store(header, slot + ${Header.Done}, served);
    Atomics.notify(header, slot + ${Header.Done});
    continue;
  }
  let failed = 0;
  try {
    if (header[slot + ${Header.Request}] === ${Request.Load}) {
      // Every module posted so far: a load request seen twice (woken late, for an older request first) finds none the second time.
      for (let message; (message = receiveMessageOnPort(port)); ) {
        const { module, kernel } = message.message;
        const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
        kernels[kernel] = WebAssembly.Module.exports(module).map((entry) => exports[entry.name]);
      }
    } else {
      const call = kernels[header[job + ${Job.Kernel}]][header[job + ${Job.Function}]];
      const count = header[job + ${Job.ArgumentCount}], parts = header[job + ${Job.Parts}];
      // One argument list per length, reused: a worker that allocates nothing never pauses to collect.
      const list = (lists[count] ??= new Array(count + 1).fill(0));
      list[count] = index + 1;
      for (let part; (part = Atomics.add(header, job + ${Job.Next}, 1)) < parts; ) {
        for (let i = 0; i < count; i++) list[i] = args[part * ${MAX_ARGUMENTS} + i];
        call.apply(undefined, list);
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
