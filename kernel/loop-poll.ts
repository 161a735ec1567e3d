/**
 * A poll for loop checks that costs next to nothing per iteration: loops in cells call it on every
 * iteration; it reads the clock once every so many calls (as many as fit in about half an
 * interval, adapting as the loop's iterations get cheaper or dearer) and polls at most once per
 * interval. Without shared memory this is how an interrupt reaches a cell that spins
 * (interrupt-guard.ts, transport/main-signals.ts).
 */
/** Calls between clock reads, at most: bounds the delay when a loop's iterations suddenly get slow. */
export const MAX_CALLS_PER_READ = 4096;

export function throttledPoll(poll: () => boolean, intervalMs = 5, now: () => number = performance.now.bind(performance)): () => boolean {
  let callsPerRead = 1;
  let countdown = 1;
  let lastPoll = now();
  return () => {
    if (--countdown > 0) return false;
    const time = now();
    const elapsed = time - lastPoll;
    if (elapsed < intervalMs / 2) callsPerRead = Math.min(callsPerRead * 2, MAX_CALLS_PER_READ);
    else if (elapsed > intervalMs * 2) callsPerRead = Math.max(callsPerRead >> 1, 1);
    countdown = callsPerRead;
    if (elapsed < intervalMs) return false;
    lastPoll = time;
    return poll();
  };
}
