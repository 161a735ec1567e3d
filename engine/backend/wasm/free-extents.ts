/**
 * The free parts of kernel memory as extents that merge with their free neighbours, so memory
 * given back in blocks of one size serves requests of any other: a loop of 1e6-element adds
 * leaves hundreds of megabytes of 4 MB blocks behind, and the training loop that follows takes
 * its 800 kB blocks out of them instead of touching fresh pages (each fresh megabyte costs about
 * 0.1 ms in page faults here). Everything from `top` up has never been handed out, or has all
 * come back: an extent that reaches `top` lowers it instead of being kept.
 *
 * Extents are filed by size in four buckets per power of two, the most recently freed last, so
 * a request takes the warmest extent of the smallest bucket whose extents all fit it. Bucket
 * lists are not cleaned when an extent merges into a neighbour or is taken whole; stale entries
 * are dropped as they are met, and the lists are rebuilt when they hold many more entries than
 * there are extents.
 */

const SUBBUCKETS = 4;

/** The bucket of extents of `bytes`: four per power of two, by their leading bits. */
function bucketOf(bytes: number): number {
  const power = Math.floor(Math.log2(bytes));
  const quarter = Math.floor((bytes / 2 ** power - 1) * SUBBUCKETS);
  return power * SUBBUCKETS + quarter;
}

/** The smallest size an extent in `bucket` can have. */
function bucketStart(bucket: number): number {
  const power = Math.floor(bucket / SUBBUCKETS);
  return 2 ** power * (1 + (bucket % SUBBUCKETS) / SUBBUCKETS);
}

export class FreeExtents {
  /** The end of the part ever handed out and not all given back. */
  top = 0;
  private readonly sizeAt = new Map<number, number>();
  private readonly startEndingAt = new Map<number, number>();
  private readonly buckets: number[][] = [];
  private entries = 0;

  /** Bytes in free extents below `top`. */
  get freeBytes(): number {
    let total = 0;
    for (const size of this.sizeAt.values()) total += size;
    return total;
  }

  /** The offset of `bytes` taken from a free extent (its start; the rest stays free), or null when none is large enough. */
  take(bytes: number): number | null {
    const first = bucketOf(bytes);
    for (let bucket = first; bucket < this.buckets.length; bucket++) {
      const list = this.buckets[bucket];
      // In the first bucket an extent may fall short of `bytes` unless `bytes` is where the bucket starts.
      const mayFallShort = bucket === first && bytes > bucketStart(bucket);
      for (let i = list?.length ?? 0; i-- > 0;) {
        const offset = list[i], size = this.sizeAt.get(offset);
        const current = size !== undefined && bucketOf(size) === bucket;
        if (current && mayFallShort && size < bytes) continue;
        list[i] = list[list.length - 1];
        list.pop();
        this.entries--;
        if (current) return this.split(offset, size, bytes);
      }
    }
    return null;
  }

  /** Frees [offset, offset + bytes), merging it with the free extents on either side. */
  give(offset: number, bytes: number): void {
    let start = offset, end = offset + bytes;
    const after = this.sizeAt.get(end);
    if (after !== undefined) {
      this.forget(end, after);
      end += after;
    }
    const before = this.startEndingAt.get(start);
    if (before !== undefined) {
      this.forget(before, start - before);
      start = before;
    }
    if (end === this.top) this.top = start;
    else this.file(start, end - start);
  }

  private split(offset: number, size: number, bytes: number): number {
    this.forget(offset, size);
    if (size > bytes) this.file(offset + bytes, size - bytes);
    return offset;
  }

  private file(start: number, size: number): void {
    this.sizeAt.set(start, size);
    this.startEndingAt.set(start + size, start);
    const bucket = bucketOf(size);
    while (this.buckets.length <= bucket) this.buckets.push([]);
    this.buckets[bucket].push(start);
    if (++this.entries > 2 * this.sizeAt.size + 64) this.rebuild();
  }

  private forget(start: number, size: number): void {
    this.sizeAt.delete(start);
    this.startEndingAt.delete(start + size);
  }

  /** Files every extent once again, oldest offsets first (the order within a bucket is lost with the stale entries). */
  private rebuild(): void {
    for (const list of this.buckets) list.length = 0;
    for (const [start, size] of this.sizeAt) this.buckets[bucketOf(size)].push(start);
    this.entries = this.sizeAt.size;
  }
}
