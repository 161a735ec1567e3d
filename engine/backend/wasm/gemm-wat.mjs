// Writes gemm.wat, whose micro-kernels and packing are unrolled over registers and lanes: the
// tile sizes and cache blocks are chosen here. Measured on a 2-core Xeon (Sapphire Rapids, V8
// 11), alone on panels in L1: a 4×8 tile's 8 accumulators reach about 54 GFLOP/s a core, too
// few to hide the multiply-add's latency on two ports; V8 keeps 15 vector registers and hoists
// every load of a k step above its multiply-adds, so a tile of splat loads keeps MR broadcasts
// live besides its accumulators: 6×8 then spills (44 GFLOP/s alone; inside gemmLarge's row of
// tiles it is laid out to keep 12 accumulators and reaches about 56). A 5×8 tile that loads
// A's first four values as one vector and broadcasts them by shuffles (which V8 schedules
// next to their use) keeps 10 accumulators, 2 of B, A's vector and one broadcast without
// spilling: 63 GFLOP/s alone, 6–7 % faster than 4×8 inside the products (one thread: 512³,
// 64×784×256, 784×64×256). 4×12 and 3×16 spill; operands read straight from memory are not
// folded into the multiply-add; unrolling the k loop is slower. So "gemm" has 5×8 tiles and
// "gemmLarge" 6×8, which gemm.ts picks by size. Blocks of 120 rows (whole panels of both);
// k is cut evenly into blocks of at most KC, each a pass over C. On 2 threads, in the same
// minutes: against blocks of 384 × 512 columns (1024 = 384 + 384 + 256), 512 deep took
// tf.matmul 1024 from 108 to 112 GFLOP/s and 512 from 96 to 99; "gemm" 1024 deep × 256
// columns (A's block 480 kB and B's 1 MB in a 2 MB L2, one pass over C) 1024 112.5 → 116.3,
// while gemmLarge keeps 512 × 512 (2048 at 1024 × 256: 105 → 102). Run after editing, then compile.mjs:
//   node engine/backend/wasm/gemm-wat.mjs && node engine/backend/wasm/compile.mjs
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const TILING = { MR: 5, NR: 8, MC: 120, KC: 1024, NC: 256 };
/** The tiling of "gemmLarge": taller tiles, shallower and wider blocks. */
export const LARGE_TILING = { ...TILING, MR: 6, KC: 512, NC: 512 };

/** Loads four vectors (byte addresses `from[r]`), transposes them as a 4×4 block, stores them at `to[r]`. */
const transpose4 = (from, to) => [
  ...from.map((address, r) => `(local.set $r${r} (v128.load ${address}))`),
  "(local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))",
  "(local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))",
  "(local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))",
  "(local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))",
  `(v128.store ${to[0]} (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))`,
  `(v128.store ${to[1]} (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))`,
  `(v128.store ${to[2]} (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))`,
  `(v128.store ${to[3]} (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))`,
];
/** The 4×4 transpose of four vectors (wat expressions), through $t0…$t3: the four transposed vectors as expressions. */
const transposeValues = (values) => [
  `(local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 ${values[0]} ${values[1]}))`,
  `(local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 ${values[0]} ${values[1]}))`,
  `(local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 ${values[2]} ${values[3]}))`,
  `(local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 ${values[2]} ${values[3]}))`,
];
const TRANSPOSED = [
  "(i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2))",
  "(i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2))",
  "(i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3))",
  "(i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3))",
];
/** min(size, $total − $start) in wat: how much of a block of `size` is left. */
const remaining = (size, total, start) =>
  `(select (i32.const ${size}) (i32.sub (local.get $${total}) (local.get $${start})) (i32.ge_s (i32.sub (local.get $${total}) (local.get $${start})) (i32.const ${size})))`;
const TRANSPOSE_LOCALS = "(local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)";
/** The address of row `r` of A from $to (a row-major block, row stride $rowStride bytes). */
const rowOf = (r) => r === 0 ? "(local.get $to)" : `(i32.add (local.get $to) (i32.mul (local.get $rowStride) (i32.const ${r})))`;
/**
 * Four columns p…p+3 of a row-major panel of MR rows at $to into its packed columns at $at (MR
 * floats each): rows in 4×4 transposes, a last row stored a lane a column, or a last pair of rows
 * interleaved and stored 8 bytes a column.
 */
function packRowMajorColumns(MR) {
  const lines = [];
  for (let g = 0; g + 4 <= MR; g += 4) {
    lines.push(...transpose4([0, 1, 2, 3].map((r) => rowOf(g + r)), [0, 1, 2, 3].map((c) => `offset=${(c * MR + g) * 4} (local.get $at)`)));
  }
  if (MR % 4 === 1) {
    lines.push(`(local.set $r0 (v128.load ${rowOf(MR - 1)}))`, ...[0, 1, 2, 3].map((c) => `(v128.store32_lane offset=${(c * MR + MR - 1) * 4} ${c} (local.get $at) (local.get $r0))`));
  }
  if (MR % 4 === 2) {
    const g = MR - 2;
    lines.push(
      `(local.set $r0 (v128.load ${rowOf(g)}))`,
      `(local.set $r1 (v128.load ${rowOf(g + 1)}))`,
      "(local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))",
      "(local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))",
      ...[0, 1, 2, 3].map((c) => `(v128.store64_lane offset=${(c * MR + g) * 4} ${c % 2} (local.get $at) (local.get $t${c >> 1}))`),
    );
  }
  return lines;
}
/** One column of a transposed panel (MR floats side by side at $to) to its packed place at $at. */
function copyColumn(MR) {
  const lines = [];
  for (let r = 0; r + 4 <= MR; r += 4) lines.push(`(v128.store offset=${r * 4} (local.get $at) (v128.load offset=${r * 4} (local.get $to)))`);
  if (MR % 4 === 1) lines.push(`(f32.store offset=${(MR - 1) * 4} (local.get $at) (f32.load offset=${(MR - 1) * 4} (local.get $to)))`);
  if (MR % 4 === 2) lines.push(`(i64.store offset=${(MR - 2) * 4} (local.get $at) (i64.load offset=${(MR - 2) * 4} (local.get $to)))`);
  return lines;
}
const ind = (lines, n) => lines.map((l) => " ".repeat(n) + l).join("\n");
/** `(if $overwrite (then …) (else …))` around two ways of storing a tile, indented by n. */
const overwriteOrAdd = (overwrite, add, n) => ind(["(if (local.get $overwrite)", "  (then", ...overwrite.map((l) => `    ${l}`), "  )", "  (else", ...add.map((l) => `    ${l}`), "  ))"], n);

/** An i8x16.shuffle broadcasting lane `lane` of a vector. */
const laneSplat = (lane) => Array.from({ length: 16 }, (_, i) => lane * 4 + (i % 4)).join(" ");

/**
 * The text pieces of an MR×NR micro-kernel. With `shuffled`, each k step loads A's first four
 * values as one vector and broadcasts them by shuffles, the rest by splat loads: V8 hoists every
 * load of a step above its multiply-adds, so splat loads alone keep MR broadcast registers live
 * at once, and 5×8's 10 accumulators fit in the 15 registers only this way.
 */
function microKernel(MR, NR, shuffled = false) {
  const V = NR / 4;
  const acc = (r, v) => `$c${r}_${v}`;
  const tile = (each) => Array.from({ length: MR }, (_, r) => Array.from({ length: V }, (_, v) => each(r, v))).flat();
  const rowAt = (r) => `(local.set $row (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const ${r}))))`;
  const byRows = (each) => Array.from({ length: MR }, (_, r) => [rowAt(r), ...Array.from({ length: V }, (_, v) => each(r, v))]).flat();
  const broadcast = (r) => shuffled && r < 4
    ? `(local.set $x (i8x16.shuffle ${laneSplat(r)} (local.get $a4) (local.get $a4)))`
    : `(local.set $x (v128.load32_splat offset=${r * 4} (local.get $ap)))`;
  const step = [
    ...Array.from({ length: V }, (_, v) => `(local.set $b${v} (v128.load offset=${v * 16} (local.get $bp)))`),
    ...(shuffled ? ["(local.set $a4 (v128.load (local.get $ap)))"] : []),
    ...Array.from({ length: MR }, (_, r) => [
      broadcast(r),
      ...Array.from({ length: V }, (_, v) => `(local.set ${acc(r, v)} (f32x4.relaxed_madd (local.get $x) (local.get $b${v}) (local.get ${acc(r, v)})))`),
    ]).flat(),
  ];
  return {
    MR,
    accLocals: tile((r, v) => `(local ${acc(r, v)} v128)`),
    bLocals: [...Array.from({ length: V }, (_, v) => `(local $b${v} v128)`), "(local $a4 v128)"],
    body: step,
    zero: tile((r, v) => `(local.set ${acc(r, v)} (v128.const i32x4 0 0 0 0))`),
    storeFull: byRows((r, v) => `(v128.store offset=${v * 16} (local.get $row) (f32x4.add (v128.load offset=${v * 16} (local.get $row)) (local.get ${acc(r, v)})))`),
    overwriteFull: byRows((r, v) => `(v128.store offset=${v * 16} (local.get $row) (local.get ${acc(r, v)}))`),
    /** The first $rows rows of the tile (fewer than MR, every column), as rows of vectors. */
    fewRows: (add) => Array.from({ length: MR - 1 }, (_, r) => [
      `(if (i32.gt_u (local.get $rows) (i32.const ${r}))`,
      "  (then",
      `    ${rowAt(r)}`,
      ...Array.from({ length: V }, (_, v) => add
        ? `    (v128.store offset=${v * 16} (local.get $row) (f32x4.add (v128.load offset=${v * 16} (local.get $row)) (local.get ${acc(r, v)})))`
        : `    (v128.store offset=${v * 16} (local.get $row) (local.get ${acc(r, v)}))`),
      "  ))",
    ]).flat(),
    /**
     * The tile into C stored transposed (its rows 4 bytes apart, its columns $cStep apart): each
     * 4×4 block transposed in registers and stored a column a vector, rows past whole groups of
     * four a value at a time.
     */
    transposedFull: (add) => Array.from({ length: V }, (_, v) => {
      const at = (q) => `(i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const ${v * 4 + q})))`;
      const groups = Array.from({ length: Math.floor(MR / 4) }, (_, g) => [
        ...transposeValues([0, 1, 2, 3].map((r) => `(local.get ${acc(g * 4 + r, v)})`)),
        ...TRANSPOSED.map((column, q) => `(v128.store offset=${g * 16} ${at(q)} ${add ? `(f32x4.add (v128.load offset=${g * 16} ${at(q)}) ${column})` : column})`),
      ]).flat();
      const rest = Array.from({ length: MR % 4 }, (_, i) => MR - (MR % 4) + i).flatMap((r) => [0, 1, 2, 3].map((q) => {
        const value = `(f32x4.extract_lane ${q} (local.get ${acc(r, v)}))`;
        return `(f32.store offset=${r * 4} ${at(q)} ${add ? `(f32.add (f32.load offset=${r * 4} ${at(q)}) ${value})` : value})`;
      }));
      return [...groups, ...rest];
    }).flat(),
    /** The tile into scratch from `base`, its rows `rowBytes` apart. */
    toScratch: (base, rowBytes) => tile((r, v) => `(v128.store offset=${v * 16} (i32.add ${base} (i32.mul ${rowBytes} (i32.const ${r}))) (local.get ${acc(r, v)}))`),
  };
}

function checkTiling({ MR, NR, MC }) {
  if (MR < 4 || MR % 4 === 3) throw new Error("A's packing transposes blocks of 4 rows and then a row or a pair: MR must be at least 4 and not 3 past a multiple of 4");
  if (NR % 4 !== 0) throw new Error("B's panels are whole vectors: NR must be a multiple of 4");
  if (MC % MR !== 0) throw new Error("A's block is whole panels: MC must be a multiple of MR");
}

/** $packA${MR} and $packColumns${MR}: A's block into panels of MR rows. */
function packAFunctions(MR, NR) {
  return `  ;; Panels of MR rows from A's block of mc rows × kc columns at $src (strides in bytes): panel
  ;; q holds, for each of the kc columns, its MR values (zeros past row mc). Whole panels of a
  ;; row-major A go through 4×4 transposes in registers (a last pair of rows interleaved), of a
  ;; transposed A as whole vectors.
  (func $packA${MR} (param $src i32) (param $rowStride i32) (param $colStride i32) (param $mc i32) (param $kc i32) (param $dst i32)
    (local $i0 i32) (local $height i32) (local $p i32) (local $from i32) (local $to i32) (local $at i32)
    ${TRANSPOSE_LOCALS}
    (loop $panels
      (local.set $height ${remaining(MR, "mc", "i0")})
      (local.set $from (i32.add (local.get $src) (i32.mul (local.get $i0) (local.get $rowStride))))
      (local.set $p (i32.const 0))
      (if (i32.eq (local.get $height) (i32.const ${MR}))
        (then
          (if (i32.eq (local.get $colStride) (i32.const 4))
            (then
              (block $transposesDone
                (loop $transposes
                  (br_if $transposesDone (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $kc)))
                  (local.set $to (i32.add (local.get $from) (i32.shl (local.get $p) (i32.const 2))))
                  (local.set $at (i32.add (local.get $dst) (i32.mul (local.get $p) (i32.const ${MR * 4}))))
${ind(packRowMajorColumns(MR), 18)}
                  (local.set $p (i32.add (local.get $p) (i32.const 4)))
                  (br $transposes)))))
          (if (i32.eq (local.get $rowStride) (i32.const 4))
            (then
              (block $vectorsDone
                (loop $vectors
                  (br_if $vectorsDone (i32.ge_u (local.get $p) (local.get $kc)))
                  (local.set $to (i32.add (local.get $from) (i32.mul (local.get $p) (local.get $colStride))))
                  (local.set $at (i32.add (local.get $dst) (i32.mul (local.get $p) (i32.const ${MR * 4}))))
${ind(copyColumn(MR), 18)}
                  (local.set $p (i32.add (local.get $p) (i32.const 1)))
                  (br $vectors)))))))
      (call $packColumns${MR} (local.get $from) (local.get $rowStride) (local.get $colStride) (local.get $height) (local.get $p) (local.get $kc) (local.get $dst))
      (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $kc) (i32.const ${MR * 4}))))
      (br_if $panels (i32.lt_s (local.tee $i0 (i32.add (local.get $i0) (i32.const ${MR}))) (local.get $mc)))))

  ;; Columns p0… of one panel of A, one value at a time: the first $height of each column's MR
  ;; values from $src, zeros after them.
  (func $packColumns${MR} (param $src i32) (param $rowStride i32) (param $colStride i32) (param $height i32) (param $p0 i32) (param $kc i32) (param $dst i32)
    (local $r i32) (local $p i32) (local $from i32) (local $to i32)
    (loop $panelRows
      (local.set $to (i32.add (local.get $dst) (i32.add (i32.shl (local.get $r) (i32.const 2)) (i32.mul (local.get $p0) (i32.const ${MR * 4})))))
      (local.set $from (i32.add (local.get $src) (i32.add (i32.mul (local.get $r) (local.get $rowStride)) (i32.mul (local.get $p0) (local.get $colStride)))))
      (local.set $p (local.get $p0))
      (block $valuesDone
        (loop $values
          (br_if $valuesDone (i32.ge_u (local.get $p) (local.get $kc)))
          (f32.store (local.get $to)
            (if (result f32) (i32.lt_u (local.get $r) (local.get $height))
              (then (f32.load (local.get $from)))
              (else (f32.const 0))))
          (local.set $from (i32.add (local.get $from) (local.get $colStride)))
          (local.set $to (i32.add (local.get $to) (i32.const ${MR * 4})))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $values)))
      (br_if $panelRows (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (i32.const ${MR})))))

`;
}

/** `(if flag (then …) (else …))` in wat, or only the else branch where the product has no direct operands. */
const whenDirect = (direct, flag, then, otherwise) => direct
  ? `(if (i32.and (local.get $direct) (i32.const ${flag}))
          (then ${then})
          (else ${otherwise}))`
  : otherwise;

/**
 * The exported product `name` on panels of MR rows of A, with `inner` computing one block's
 * tiles from $aBase/$aUnit/$aStep and $bBase/$bUnit/$bStep. `direct`: whether operands may be
 * read in place instead of packed (only the 5×8 kernel's tiles take unpacked panels).
 */
function gemmFunction(name, MR, { NR, MC, KC, NC }, inner, direct) {
  return `  ;; C (+)= A[m×k]·B[k×n], m, k, n > 0; C's rows $ldc elements apart, its columns $cStep;
  ;; strides in elements. Thread t packs at $work + t·$workStride: MC×KC floats for A's panels,
  ;; then KC × (min(n, NC) rounded up to NR) for B's, then MR rows of as many for the tiles
  ;; before they go to C.${direct ? `
  ;; $direct: bit 1, A is read in place (its rows side by side: aRow 1; at most MR − 1 values
  ;; are read past its last one); bit 2, B is read in place (its columns side by side: bCol 1,
  ;; and every column panel whole).` : `
  ;; $cStep must be 1 and $direct 0: every operand is packed, and tiles go to C as rows.`}
  (func (export "${name}")
    (param $a i32) (param $aRow i32) (param $aCol i32) (param $b i32) (param $bRow i32) (param $bCol i32)
    (param $c i32) (param $ldc i32) (param $cStep i32) (param $m i32) (param $k i32) (param $n i32)
    (param $accumulate i32) (param $direct i32) (param $work i32) (param $workStride i32) (param $thread i32)
    (local $packedB i32) (local $scratch i32) (local $jc i32) (local $nc i32) (local $pc i32) (local $kc i32)
    (local $ic i32) (local $mc i32) (local $jr i32) (local $ir i32) (local $overwrite i32) (local $cBlock i32)
    (local $aBase i32) (local $aUnit i32) (local $aStep i32) (local $bBase i32) (local $bUnit i32) (local $bStep i32) (local $depth i32)
    (local.set $aRow (i32.shl (local.get $aRow) (i32.const 2)))
    (local.set $aCol (i32.shl (local.get $aCol) (i32.const 2)))
    (local.set $bRow (i32.shl (local.get $bRow) (i32.const 2)))
    (local.set $bCol (i32.shl (local.get $bCol) (i32.const 2)))
    (local.set $ldc (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $cStep (i32.shl (local.get $cStep) (i32.const 2)))
    (local.set $work (i32.add (local.get $work) (i32.mul (local.get $thread) (local.get $workStride))))
    (local.set $packedB (i32.add (local.get $work) (i32.const ${MC * KC * 4})))
    (local.set $scratch (i32.add (local.get $packedB)
      (i32.mul (select (local.get $k) (i32.const ${KC}) (i32.lt_s (local.get $k) (i32.const ${KC})))
        (i32.mul (i32.and (i32.add (select (local.get $n) (i32.const ${NC}) (i32.lt_s (local.get $n) (i32.const ${NC}))) (i32.const ${NR - 1})) (i32.const ${-NR}))
          (i32.const 4)))))
    ${depthOfBlocks(KC)}
    (loop $columnBlocks
      (local.set $nc ${remaining(NC, "n", "jc")})
      (local.set $pc (i32.const 0))
      (loop $depthBlocks
        (local.set $kc (select (local.get $depth) (i32.sub (local.get $k) (local.get $pc)) (i32.ge_s (i32.sub (local.get $k) (local.get $pc)) (local.get $depth))))
        (local.set $overwrite (i32.and (i32.eqz (local.get $pc)) (i32.eqz (local.get $accumulate))))
        ${whenDirect(direct, 2, `
            (local.set $bBase (i32.add (local.get $b) (i32.add (i32.mul (local.get $pc) (local.get $bRow)) (i32.mul (local.get $jc) (local.get $bCol)))))
            (local.set $bUnit (local.get $bCol))
            (local.set $bStep (local.get $bRow))`, `
            (call $packB
              (i32.add (local.get $b) (i32.add (i32.mul (local.get $pc) (local.get $bRow)) (i32.mul (local.get $jc) (local.get $bCol))))
              (local.get $bRow) (local.get $bCol) (local.get $kc) (local.get $nc) (local.get $packedB))
            (local.set $bBase (local.get $packedB))
            (local.set $bUnit (i32.shl (local.get $kc) (i32.const 2)))
            (local.set $bStep (i32.const ${NR * 4}))`)}
        (local.set $ic (i32.const 0))
        (loop $rowBlocks
          (local.set $mc ${remaining(MC, "m", "ic")})
          ${whenDirect(direct, 1, `
              (local.set $aBase (i32.add (local.get $a) (i32.add (i32.mul (local.get $ic) (local.get $aRow)) (i32.mul (local.get $pc) (local.get $aCol)))))
              (local.set $aUnit (local.get $aRow))
              (local.set $aStep (local.get $aCol))`, `
              (call $packA${MR}
                (i32.add (local.get $a) (i32.add (i32.mul (local.get $ic) (local.get $aRow)) (i32.mul (local.get $pc) (local.get $aCol))))
                (local.get $aRow) (local.get $aCol) (local.get $mc) (local.get $kc) (local.get $work))
              (local.set $aBase (local.get $work))
              (local.set $aUnit (i32.shl (local.get $kc) (i32.const 2)))
              (local.set $aStep (i32.const ${MR * 4}))`)}
          (local.set $cBlock (i32.add (local.get $c) (i32.add (i32.mul (local.get $ic) (local.get $ldc)) (i32.mul (local.get $jc) (local.get $cStep)))))
${inner}          (br_if $rowBlocks (i32.lt_s (local.tee $ic (i32.add (local.get $ic) (i32.const ${MC}))) (local.get $m))))
        (br_if $depthBlocks (i32.lt_s (local.tee $pc (i32.add (local.get $pc) (local.get $depth))) (local.get $k))))
      (br_if $columnBlocks (i32.lt_s (local.tee $jc (i32.add (local.get $jc) (i32.const ${NC}))) (local.get $n)))))
`;
}

/**
 * Sets $depth, the depth of the blocks k is cut into: k shared evenly between as few blocks of
 * at most KC as hold it (a multiple of 4), so that no block is left shallow (k = 784: 392 + 392
 * rather than 512 + 272). Each block reads and writes all of C once more.
 */
function depthOfBlocks(KC) {
  const blocks = `(i32.div_u (i32.add (local.get $k) (i32.const ${KC - 1})) (i32.const ${KC}))`;
  return `(local.set $depth (i32.and (i32.add (i32.div_u (i32.add (local.get $k) (i32.sub ${blocks} (i32.const 1))) ${blocks}) (i32.const 3)) (i32.const -4)))`;
}

/**
 * $tilesDown (or $tilesDownAdd): a column of $panels whole tiles, C (rows $ldc bytes apart,
 * columns side by side) written over (or added to) by consecutive panels of A ($aPanel bytes
 * apart) against one panel of B, straight from the registers. One call for the column lets
 * the processor start a tile's k loop while the last one's stores drain, which counts where
 * k is small (64×10×256: 512 tiles of 10 steps).
 */
function tilesDown(kernel, NR, add) {
  return `  (func $tilesDown${add ? "Add" : ""} (param $aFirst i32) (param $aPanel i32) (param $aStep i32) (param $bFirst i32) (param $bStep i32) (param $kc i32)
    (param $c i32) (param $ldc i32) (param $panels i32)
    ${kernel.accLocals.join(" ")}
    ${kernel.bLocals.join(" ")} (local $x v128)
    (local $ap i32) (local $bp i32) (local $end i32) (local $row i32)
    (local.set $end (i32.add (local.get $bFirst) (i32.mul (local.get $kc) (local.get $bStep))))
    (loop $panelsLeft
${ind(kernel.zero, 6)}
      (local.set $ap (local.get $aFirst))
      (local.set $bp (local.get $bFirst))
      (loop $steps
${ind(kernel.body, 8)}
        (local.set $ap (i32.add (local.get $ap) (local.get $aStep)))
        (local.set $bp (i32.add (local.get $bp) (local.get $bStep)))
        (br_if $steps (i32.lt_u (local.get $bp) (local.get $end))))
${ind(add ? kernel.storeFull : kernel.overwriteFull, 6)}
      (local.set $aFirst (i32.add (local.get $aFirst) (local.get $aPanel)))
      (local.set $c (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const ${kernel.MR}))))
      (br_if $panelsLeft (local.tee $panels (i32.sub (local.get $panels) (i32.const 1))))))
`;
}

/**
 * Blocks of at most this depth go through $tilesDown. On one thread, 5×8 tiles: 64×10×256 with
 * Bᵀ 8.0 → 6.5 µs, 784×64×256 with Aᵀ 437 → 408 µs; deeper blocks measured 1–2 % slower that
 * way (512³, 64×784×256), so they keep a call per tile.
 */
const TILES_DOWN_MAX_DEPTH = 64;

export function gemmWat(small = TILING, large = LARGE_TILING) {
  checkTiling(small);
  checkTiling(large);
  const { NR, MC, KC, NC } = small;
  if (large.NR !== NR || large.MC !== MC) throw new Error("both kernels share NR and MC: only MR, KC and NC may differ");
  const V = NR / 4;
  const kernels = { small: microKernel(small.MR, NR, true), large: microKernel(large.MR, NR) };
  const MR = small.MR;
  const tilesDownArguments = `(local.get $aBase) (i32.mul (local.get $aUnit) (i32.const ${small.MR})) (local.get $aStep)
                        (i32.add (local.get $bBase) (i32.mul (local.get $jr) (local.get $bUnit))) (local.get $bStep) (local.get $kc)
                        (i32.add (local.get $cBlock) (i32.shl (local.get $jr) (i32.const 2))) (local.get $ldc)
                        (i32.div_u (local.get $ir) (i32.const ${small.MR}))`;
  // Where k is small, whole column panels of a C stored as rows go down the block's whole row
  // panels in one call; what is left (a last short panel, C stored transposed, deeper blocks)
  // goes tile by tile.
  const smallInner = `          (local.set $jr (i32.const 0))
          (loop $panelColumns
            (local.set $ir (i32.const 0))
            (if (i32.and (i32.and (i32.eq (local.get $cStep) (i32.const 4)) (i32.le_s (local.get $kc) (i32.const ${TILES_DOWN_MAX_DEPTH})))
                  (i32.ge_s (i32.sub (local.get $nc) (local.get $jr)) (i32.const ${NR})))
              (then
                (local.set $ir (i32.mul (i32.div_u (local.get $mc) (i32.const ${MR})) (i32.const ${MR})))
                (if (local.get $ir)
                  (then
                    (if (local.get $overwrite)
                      (then (call $tilesDown ${tilesDownArguments}))
                      (else (call $tilesDownAdd ${tilesDownArguments})))))))
            (block $panelRowsDone
              (loop $panelRows
                (br_if $panelRowsDone (i32.ge_s (local.get $ir) (local.get $mc)))
                (call $tile
                  (i32.add (local.get $aBase) (i32.mul (local.get $ir) (local.get $aUnit))) (local.get $aStep)
                  (i32.add (local.get $bBase) (i32.mul (local.get $jr) (local.get $bUnit))) (local.get $bStep)
                  (local.get $kc)
                  (i32.add (local.get $cBlock) (i32.add (i32.mul (local.get $ir) (local.get $ldc)) (i32.mul (local.get $jr) (local.get $cStep))))
                  (local.get $ldc) (local.get $cStep)
                  ${remaining(MR, "mc", "ir")}
                  ${remaining(NR, "nc", "jr")}
                  (local.get $overwrite) (local.get $scratch))
                (local.set $ir (i32.add (local.get $ir) (i32.const ${MR})))
                (br $panelRows)))
            (br_if $panelColumns (i32.lt_s (local.tee $jr (i32.add (local.get $jr) (i32.const ${NR}))) (local.get $nc))))
`;
  const largeInner = `          (local.set $ir (i32.const 0))
          (loop $panelRows
            (call $tiles
              (i32.add (local.get $aBase) (i32.mul (local.get $ir) (local.get $aUnit)))
              (local.get $bBase)
              (local.get $kc)
              (i32.add (local.get $cBlock) (i32.mul (local.get $ir) (local.get $ldc)))
              (local.get $ldc)
              ${remaining(large.MR, "mc", "ir")}
              (local.get $nc)
              (local.get $overwrite) (local.get $scratch))
            (br_if $panelRows (i32.lt_s (local.tee $ir (i32.add (local.get $ir) (i32.const ${large.MR}))) (local.get $mc))))
`;
  return `;; Written by gemm-wat.mjs (edit that and run it, then compile.mjs).
;; Float32 matrix products C (+)= A·B on byte offsets of the imported shared memory, in the
;; way of BLIS/GotoBLAS. B is copied, a block of KC rows × NC columns at a time, into panels of
;; NR columns (k-major), A, a block of MC rows × KC at a time, into panels of MR rows; the
;; micro-kernel keeps an MR×NR tile of C in registers while it walks k through one panel of
;; each, so every value loaded from memory serves MR or NR multiply-adds. Packing reads A and B
;; through any row and column strides, so transposed operands cost nothing extra. Two products:
;; "gemm" (${small.MR}×${NR} tiles, each B panel against the A block's panels, stored straight from the
;; registers) and "gemmLarge" (${large.MR}×${NR} tiles, each A panel against the B block's panels, through
;; a row of scratch).
;; Each multiply-add is f32x4.relaxed_madd (fused where the hardware has FMA); a variant with
;; f32x4.mul and f32x4.add is compiled from this same text for runtimes without relaxed SIMD.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (global (export "MR") i32 (i32.const ${small.MR}))
  (global (export "LARGE_MR") i32 (i32.const ${large.MR}))
  (global (export "NR") i32 (i32.const ${NR}))
  (global (export "MC") i32 (i32.const ${MC}))
  (global (export "KC") i32 (i32.const ${KC}))
  (global (export "NC") i32 (i32.const ${NC}))
  (global (export "LARGE_KC") i32 (i32.const ${large.KC}))
  (global (export "LARGE_NC") i32 (i32.const ${large.NC}))

  ;; C[rows×cols] at $c (rows $ldc bytes apart, columns $cStep) gets the MR×NR tile of A's
  ;; panel at $ap (its k steps $aStep bytes apart, its MR values side by side) × B's panel at
  ;; $bp (k steps $bStep apart, NR values side by side) over $kc steps (kc > 0): added to C, or
  ;; written over it when $overwrite. A panel is packed (steps MR·4 and NR·4 bytes) or read where
  ;; the operand lies. Whole tiles go from the registers to C, as rows (cStep 4) or, for a C
  ;; stored transposed (ldc 4), as columns; others go through $scratch (MR×NR floats).
  (func $tile (param $ap i32) (param $aStep i32) (param $bp i32) (param $bStep i32) (param $kc i32)
    (param $c i32) (param $ldc i32) (param $cStep i32)
    (param $rows i32) (param $cols i32) (param $overwrite i32) (param $scratch i32)
    ${kernels.small.accLocals.join(" ")}
    ${kernels.small.bLocals.join(" ")} (local $x v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $end i32) (local $row i32) (local $r i32) (local $j i32) (local $from i32) (local $to i32)
${ind(kernels.small.zero, 4)}
    (local.set $end (i32.add (local.get $bp) (i32.mul (local.get $kc) (local.get $bStep))))
    (loop $steps
${ind(kernels.small.body, 6)}
      (local.set $ap (i32.add (local.get $ap) (local.get $aStep)))
      (local.set $bp (i32.add (local.get $bp) (local.get $bStep)))
      (br_if $steps (i32.lt_u (local.get $bp) (local.get $end))))
    (if (i32.and (i32.eq (local.get $rows) (i32.const ${kernels.small.MR})) (i32.eq (local.get $cols) (i32.const ${NR})))
      (then
        (if (i32.eq (local.get $cStep) (i32.const 4))
          (then
${overwriteOrAdd(kernels.small.overwriteFull, kernels.small.storeFull, 12)}
            (return)))
        (if (i32.eq (local.get $ldc) (i32.const 4))
          (then
${overwriteOrAdd(kernels.small.transposedFull(false), kernels.small.transposedFull(true), 12)}
            (return)))))
    ;; A short tile as wide as a panel, into a C stored as rows: its rows straight from the registers.
    (if (i32.and (i32.eq (local.get $cols) (i32.const ${NR})) (i32.eq (local.get $cStep) (i32.const 4)))
      (then
${overwriteOrAdd(kernels.small.fewRows(false), kernels.small.fewRows(true), 8)}
        (return)))
${ind(kernels.small.toScratch("(local.get $scratch)", `(i32.const ${NR * 4})`), 4)}
    (loop $rowsLeft
      (local.set $from (i32.add (local.get $scratch) (i32.mul (local.get $r) (i32.const ${NR * 4}))))
      (local.set $to (i32.add (local.get $c) (i32.mul (local.get $r) (local.get $ldc))))
      (local.set $j (i32.const 0))
      (loop $colsLeft
        (f32.store (local.get $to)
          (f32.add (f32.load (local.get $from))
            (select (f32.const 0) (f32.load (local.get $to)) (local.get $overwrite))))
        (local.set $from (i32.add (local.get $from) (i32.const 4)))
        (local.set $to (i32.add (local.get $to) (local.get $cStep)))
        (br_if $colsLeft (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $cols))))
      (br_if $rowsLeft (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $rows)))))

${tilesDown(kernels.small, NR, false)}
${tilesDown(kernels.small, NR, true)}
  ;; The row of tiles C[rows×nc] at $c (row stride $ldc bytes, rows ≤ MR): panel $aPanel of A
  ;; against each of the NR-column panels of B's block at $bp (one after another) over $kc
  ;; steps (kc > 0), added to C or written over it when $overwrite. The tiles go to $scratch
  ;; first (MR rows of nc rounded up to NR floats), then to C: a row of tiles touches only its
  ;; MR rows of C, which a column of them (one page of C a row) would not. The k loop sits
  ;; inside the loop over panels, with the accumulators read only by stores after it: so laid
  ;; out, V8 keeps all ${large.MR * V} of them in registers (a function holding only the k loop, or
  ;; branching on how to store a tile, runs a 6×8 tile up to a quarter slower).
  (func $tiles (param $aPanel i32) (param $bp i32) (param $kc i32) (param $c i32) (param $ldc i32)
    (param $rows i32) (param $nc i32) (param $overwrite i32) (param $scratch i32)
    ${kernels.large.accLocals.join(" ")}
    ${kernels.large.bLocals.join(" ")} (local $x v128)
    (local $ap i32) (local $end i32) (local $jr i32) (local $tile i32) (local $scratchRow i32)
    (local.set $scratchRow (i32.shl (i32.and (i32.add (local.get $nc) (i32.const ${NR - 1})) (i32.const ${-NR})) (i32.const 2)))
    (local.set $tile (local.get $scratch))
    (loop $panels
      (local.set $ap (local.get $aPanel))
      (local.set $end (i32.add (local.get $bp) (i32.mul (local.get $kc) (i32.const ${NR * 4}))))
      (loop $steps
${ind(kernels.large.body, 8)}
        (local.set $ap (i32.add (local.get $ap) (i32.const ${large.MR * 4})))
        (local.set $bp (i32.add (local.get $bp) (i32.const ${NR * 4})))
        (br_if $steps (i32.lt_u (local.get $bp) (local.get $end))))
${ind(kernels.large.toScratch("(local.get $tile)", "(local.get $scratchRow)"), 6)}
${ind(kernels.large.zero, 6)}
      (local.set $tile (i32.add (local.get $tile) (i32.const ${NR * 4})))
      (br_if $panels (i32.lt_s (local.tee $jr (i32.add (local.get $jr) (i32.const ${NR}))) (local.get $nc))))
    (call $storeRows (local.get $scratch) (local.get $scratchRow) (local.get $c) (local.get $ldc) (local.get $rows) (local.get $nc) (local.get $overwrite)))

  ;; C[rows×cols] at $c (row stride $ldc bytes) (+)= the rows at $from (row stride $fromRow
  ;; bytes): four columns at a time as vectors, the last few value by value.
  (func $storeRows (param $from i32) (param $fromRow i32) (param $c i32) (param $ldc i32) (param $rows i32) (param $cols i32) (param $overwrite i32)
    (local $r i32) (local $j i32) (local $src i32) (local $to i32) (local $vectors i32)
    (local.set $vectors (i32.and (local.get $cols) (i32.const -4)))
    (loop $rowsLeft
      (local.set $src (local.get $from))
      (local.set $to (local.get $c))
      (local.set $j (i32.const 0))
      (block $vectorsDone
        (loop $vectorsLeft
          (br_if $vectorsDone (i32.ge_u (local.get $j) (local.get $vectors)))
          (v128.store (local.get $to)
            (if (result v128) (local.get $overwrite)
              (then (v128.load (local.get $src)))
              (else (f32x4.add (v128.load (local.get $src)) (v128.load (local.get $to))))))
          (local.set $src (i32.add (local.get $src) (i32.const 16)))
          (local.set $to (i32.add (local.get $to) (i32.const 16)))
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br $vectorsLeft)))
      (block $valuesDone
        (loop $valuesLeft
          (br_if $valuesDone (i32.ge_u (local.get $j) (local.get $cols)))
          (f32.store (local.get $to)
            (f32.add (f32.load (local.get $src))
              (select (f32.const 0) (f32.load (local.get $to)) (local.get $overwrite))))
          (local.set $src (i32.add (local.get $src) (i32.const 4)))
          (local.set $to (i32.add (local.get $to) (i32.const 4)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $valuesLeft)))
      (local.set $from (i32.add (local.get $from) (local.get $fromRow)))
      (local.set $c (i32.add (local.get $c) (local.get $ldc)))
      (br_if $rowsLeft (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $rows)))))

  ;; Panels of NR columns from B's block of kc rows × nc columns at $src (strides in bytes):
  ;; panel q holds, for each of the kc rows, its NR values (zeros past column nc). Whole panels
  ;; of a row-major B are copied as vectors, of a transposed B through 4×4 transposes.
  (func $packB (param $src i32) (param $rowStride i32) (param $colStride i32) (param $kc i32) (param $nc i32) (param $dst i32)
    (local $j0 i32) (local $width i32) (local $p i32) (local $j i32) (local $from i32) (local $to i32) (local $at i32)
    ${TRANSPOSE_LOCALS}
    (loop $panels
      (local.set $width ${remaining(NR, "nc", "j0")})
      (local.set $from (i32.add (local.get $src) (i32.mul (local.get $j0) (local.get $colStride))))
      (local.set $p (i32.const 0))
      (if (i32.eq (local.get $width) (i32.const ${NR}))
        (then
          (if (i32.eq (local.get $colStride) (i32.const 4))
            (then
              (block $vectorsDone
                (loop $vectors
                  (br_if $vectorsDone (i32.ge_u (local.get $p) (local.get $kc)))
${ind(Array.from({ length: NR / 4 }, (_, v) => `(v128.store offset=${v * 16} (local.get $dst) (v128.load offset=${v * 16} (local.get $from)))`), 18)}
                  (local.set $from (i32.add (local.get $from) (local.get $rowStride)))
                  (local.set $dst (i32.add (local.get $dst) (i32.const ${NR * 4})))
                  (local.set $p (i32.add (local.get $p) (i32.const 1)))
                  (br $vectors)))))
          (if (i32.eq (local.get $rowStride) (i32.const 4))
            (then
              (block $transposesDone
                (loop $transposes
                  (br_if $transposesDone (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $kc)))
${ind(Array.from({ length: NR / 4 }, (_, g) => [
  `(local.set $to (i32.add (local.get $from) (i32.mul (local.get $colStride) (i32.const ${g * 4}))))`,
  ...transpose4(["(local.get $to)", "(i32.add (local.get $to) (local.get $colStride))", "(i32.add (local.get $to) (i32.shl (local.get $colStride) (i32.const 1)))", "(i32.add (local.get $to) (i32.mul (local.get $colStride) (i32.const 3)))"],
    [0, 1, 2, 3].map((r) => `offset=${(r * NR + g * 4) * 4} (local.get $dst)`)),
]).flat(), 18)}
                  (local.set $from (i32.add (local.get $from) (i32.const 16)))
                  (local.set $dst (i32.add (local.get $dst) (i32.const ${4 * NR * 4})))
                  (local.set $p (i32.add (local.get $p) (i32.const 4)))
                  (br $transposes)))))))
      ;; What no fast path took, one value at a time.
      (block $rowsDone
        (loop $rows
          (br_if $rowsDone (i32.ge_u (local.get $p) (local.get $kc)))
          (local.set $j (i32.const 0))
          (loop $cols
            (f32.store (local.get $dst)
              (if (result f32) (i32.lt_u (local.get $j) (local.get $width))
                (then (f32.load (i32.add (local.get $from) (i32.mul (local.get $j) (local.get $colStride)))))
                (else (f32.const 0))))
            (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
            (br_if $cols (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (i32.const ${NR}))))
          (local.set $from (i32.add (local.get $from) (local.get $rowStride)))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $rows)))
      (br_if $panels (i32.lt_s (local.tee $j0 (i32.add (local.get $j0) (i32.const ${NR}))) (local.get $nc)))))

${packAFunctions(small.MR, NR)}
${packAFunctions(large.MR, NR)}
${gemmFunction("gemm", small.MR, small, smallInner, true)}
${gemmFunction("gemmLarge", large.MR, large, largeInner, false)})
`;
}

export const GEMM_WAT = new URL("./gemm.wat", import.meta.url);

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(GEMM_WAT, gemmWat(TILING, LARGE_TILING));
  console.log("wrote gemm.wat");
}
