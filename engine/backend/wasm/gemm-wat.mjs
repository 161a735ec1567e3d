// Writes gemm.wat, whose micro-kernel and packing are unrolled over registers and lanes: the
// tile sizes and cache blocks are chosen here (measured on a 2-core Xeon: 4×8 ahead of 6×8, 4×12
// and 3×16; blocks of 96 rows × 384 of depth × 512 columns). Run after editing, then compile.mjs:
//   node engine/backend/wasm/gemm-wat.mjs && node engine/backend/wasm/compile.mjs
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const TILING = { MR: 4, NR: 8, MC: 96, KC: 384, NC: 512 };

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
/** min(size, $total − $start) in wat: how much of a block of `size` is left. */
const remaining = (size, total, start) =>
  `(select (i32.const ${size}) (i32.sub (local.get $${total}) (local.get $${start})) (i32.ge_s (i32.sub (local.get $${total}) (local.get $${start})) (i32.const ${size})))`;
const TRANSPOSE_LOCALS = "(local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)";
export function gemmWat({ MR, NR, MC, KC, NC }) {
  if (MR !== 4) throw new Error("A's packing transposes 4×4 blocks: MR must be 4");
  const V = NR / 4;
  const acc = (r, v) => `$c${r}_${v}`;
  const L = [];
  const accLocals = [];
  for (let r = 0; r < MR; r++) for (let v = 0; v < V; v++) accLocals.push(`(local ${acc(r, v)} v128)`);
  const bLocals = Array.from({ length: V }, (_, v) => `(local $b${v} v128)`);
  const step = (kOff) => {
    const lines = [];
    for (let v = 0; v < V; v++) lines.push(`(local.set $b${v} (v128.load offset=${(kOff * NR + v * 4) * 4} (local.get $bp)))`);
    for (let r = 0; r < MR; r++) {
      lines.push(`(local.set $x (v128.load32_splat offset=${(kOff * MR + r) * 4} (local.get $ap)))`);
      for (let v = 0; v < V; v++) lines.push(`(local.set ${acc(r, v)} (f32x4.relaxed_madd (local.get $x) (local.get $b${v}) (local.get ${acc(r, v)})))`);
    }
    return lines;
  };
  const zero = [];
  for (let r = 0; r < MR; r++) for (let v = 0; v < V; v++) zero.push(`(local.set ${acc(r, v)} (v128.const i32x4 0 0 0 0))`);
  const storeFull = [];
  for (let r = 0; r < MR; r++) {
    storeFull.push(`(local.set $row (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const ${r}))))`);
    for (let v = 0; v < V; v++) storeFull.push(`(v128.store offset=${v * 16} (local.get $row) (f32x4.add (v128.load offset=${v * 16} (local.get $row)) (local.get ${acc(r, v)})))`);
  }
  const overwriteFull = [];
  for (let r = 0; r < MR; r++) {
    overwriteFull.push(`(local.set $row (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const ${r}))))`);
    for (let v = 0; v < V; v++) overwriteFull.push(`(v128.store offset=${v * 16} (local.get $row) (local.get ${acc(r, v)}))`);
  }
  const toScratch = [];
  for (let r = 0; r < MR; r++) for (let v = 0; v < V; v++) toScratch.push(`(v128.store offset=${(r * NR + v * 4) * 4} (local.get $scratch) (local.get ${acc(r, v)}))`);
  const ind = (lines, n) => lines.map((l) => " ".repeat(n) + l).join("\n");
  const body = step(0);
  return `;; Written by gemm-wat.mjs (edit that and run it, then compile.mjs).
;; Float32 matrix products C (+)= A·B on byte offsets of the imported shared memory, in the
;; way of BLIS/GotoBLAS. B is copied, a block of KC rows × NC columns at a time, into panels of
;; NR columns (k-major), A, a block of MC rows × KC at a time, into panels of MR rows; the
;; micro-kernel keeps an MR×NR tile of C in ${MR * V} SIMD registers while it walks k through one
;; panel of each, so every value loaded from memory serves ${MR} or ${NR} multiply-adds. Packing reads A
;; and B through any row and column strides, so transposed operands cost nothing extra.
;; Each multiply-add is f32x4.relaxed_madd (fused where the hardware has FMA); a variant with
;; f32x4.mul and f32x4.add is compiled from this same text for runtimes without relaxed SIMD.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (global (export "MR") i32 (i32.const ${MR}))
  (global (export "NR") i32 (i32.const ${NR}))
  (global (export "MC") i32 (i32.const ${MC}))
  (global (export "KC") i32 (i32.const ${KC}))
  (global (export "NC") i32 (i32.const ${NC}))

  ;; C[rows×cols] at $c (row stride $ldc bytes) gets the MR×NR tile of panel $ap × panel $bp
  ;; over $kc steps (kc > 0): added to C, or written over it when $overwrite. Edge tiles go
  ;; through $scratch (MR×NR floats).
  (func $tile (param $ap i32) (param $bp i32) (param $kc i32) (param $c i32) (param $ldc i32)
    (param $rows i32) (param $cols i32) (param $overwrite i32) (param $scratch i32)
    ${accLocals.join(" ")}
    ${bLocals.join(" ")} (local $x v128)
    (local $end i32) (local $row i32) (local $r i32) (local $j i32) (local $from i32) (local $to i32)
${ind(zero, 4)}
    (local.set $end (i32.add (local.get $bp) (i32.mul (local.get $kc) (i32.const ${NR * 4}))))
    (loop $steps
${ind(body, 6)}
      (local.set $ap (i32.add (local.get $ap) (i32.const ${MR * 4})))
      (local.set $bp (i32.add (local.get $bp) (i32.const ${NR * 4})))
      (br_if $steps (i32.lt_u (local.get $bp) (local.get $end))))
    (if (i32.and (i32.eq (local.get $rows) (i32.const ${MR})) (i32.eq (local.get $cols) (i32.const ${NR})))
      (then
        (if (local.get $overwrite)
          (then
${ind(overwriteFull, 12)})
          (else
${ind(storeFull, 12)}))
        (return)))
${ind(toScratch, 4)}
    (loop $rowsLeft
      (local.set $from (i32.add (local.get $scratch) (i32.mul (local.get $r) (i32.const ${NR * 4}))))
      (local.set $to (i32.add (local.get $c) (i32.mul (local.get $r) (local.get $ldc))))
      (local.set $j (i32.const 0))
      (loop $colsLeft
        (f32.store (local.get $to)
          (f32.add (f32.load (local.get $from))
            (select (f32.const 0) (f32.load (local.get $to)) (local.get $overwrite))))
        (local.set $from (i32.add (local.get $from) (i32.const 4)))
        (local.set $to (i32.add (local.get $to) (i32.const 4)))
        (br_if $colsLeft (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $cols))))
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

  ;; Panels of MR rows from A's block of mc rows × kc columns at $src (strides in bytes): panel
  ;; q holds, for each of the kc columns, its MR values (zeros past row mc). Whole panels of a
  ;; row-major A go through 4×4 transposes in registers, of a transposed A as whole vectors.
  (func $packA (param $src i32) (param $rowStride i32) (param $colStride i32) (param $mc i32) (param $kc i32) (param $dst i32)
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
                  (local.set $at (i32.add (local.get $dst) (i32.shl (local.get $p) (i32.const 4))))
${ind(transpose4(["(local.get $to)", "(i32.add (local.get $to) (local.get $rowStride))", "(i32.add (local.get $to) (i32.shl (local.get $rowStride) (i32.const 1)))", "(i32.add (local.get $to) (i32.mul (local.get $rowStride) (i32.const 3)))"],
  ["(local.get $at)", "offset=16 (local.get $at)", "offset=32 (local.get $at)", "offset=48 (local.get $at)"]), 18)}
                  (local.set $p (i32.add (local.get $p) (i32.const 4)))
                  (br $transposes)))))
          (if (i32.eq (local.get $rowStride) (i32.const 4))
            (then
              (block $vectorsDone
                (loop $vectors
                  (br_if $vectorsDone (i32.ge_u (local.get $p) (local.get $kc)))
                  (v128.store (i32.add (local.get $dst) (i32.shl (local.get $p) (i32.const 4)))
                    (v128.load (i32.add (local.get $from) (i32.mul (local.get $p) (local.get $colStride)))))
                  (local.set $p (i32.add (local.get $p) (i32.const 1)))
                  (br $vectors)))))))
      (call $packColumns (local.get $from) (local.get $rowStride) (local.get $colStride) (local.get $height) (local.get $p) (local.get $kc) (local.get $dst))
      (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $kc) (i32.const ${MR * 4}))))
      (br_if $panels (i32.lt_s (local.tee $i0 (i32.add (local.get $i0) (i32.const ${MR}))) (local.get $mc)))))

  ;; Columns p0… of one panel of A, one value at a time: the first $height of each column's MR
  ;; values from $src, zeros after them.
  (func $packColumns (param $src i32) (param $rowStride i32) (param $colStride i32) (param $height i32) (param $p0 i32) (param $kc i32) (param $dst i32)
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

  ;; C[m×n] (row stride ldc) = (accumulate ? C : 0) + A[m×k]·B[k×n], m, k, n > 0; strides in
  ;; elements. Thread t packs at $work + t·$workStride: MC×KC floats for A's panels, then
  ;; KC × (min(n, NC) rounded up to NR) for B's, then MR×NR of scratch.
  (func (export "gemm")
    (param $a i32) (param $aRow i32) (param $aCol i32) (param $b i32) (param $bRow i32) (param $bCol i32)
    (param $c i32) (param $ldc i32) (param $m i32) (param $k i32) (param $n i32) (param $accumulate i32)
    (param $work i32) (param $workStride i32) (param $thread i32)
    (local $packedB i32) (local $scratch i32) (local $jc i32) (local $nc i32) (local $pc i32) (local $kc i32)
    (local $ic i32) (local $mc i32) (local $jr i32) (local $ir i32) (local $overwrite i32) (local $cBlock i32)
    (local.set $aRow (i32.shl (local.get $aRow) (i32.const 2)))
    (local.set $aCol (i32.shl (local.get $aCol) (i32.const 2)))
    (local.set $bRow (i32.shl (local.get $bRow) (i32.const 2)))
    (local.set $bCol (i32.shl (local.get $bCol) (i32.const 2)))
    (local.set $ldc (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $work (i32.add (local.get $work) (i32.mul (local.get $thread) (local.get $workStride))))
    (local.set $packedB (i32.add (local.get $work) (i32.const ${MC * KC * 4})))
    (local.set $scratch (i32.add (local.get $packedB)
      (i32.mul (select (local.get $k) (i32.const ${KC}) (i32.lt_s (local.get $k) (i32.const ${KC})))
        (i32.mul (i32.and (i32.add (select (local.get $n) (i32.const ${NC}) (i32.lt_s (local.get $n) (i32.const ${NC}))) (i32.const ${NR - 1})) (i32.const ${-NR}))
          (i32.const 4)))))
    (loop $columnBlocks
      (local.set $nc ${remaining(NC, "n", "jc")})
      (local.set $pc (i32.const 0))
      (loop $depthBlocks
        (local.set $kc ${remaining(KC, "k", "pc")})
        (local.set $overwrite (i32.and (i32.eqz (local.get $pc)) (i32.eqz (local.get $accumulate))))
        (call $packB
          (i32.add (local.get $b) (i32.add (i32.mul (local.get $pc) (local.get $bRow)) (i32.mul (local.get $jc) (local.get $bCol))))
          (local.get $bRow) (local.get $bCol) (local.get $kc) (local.get $nc) (local.get $packedB))
        (local.set $ic (i32.const 0))
        (loop $rowBlocks
          (local.set $mc ${remaining(MC, "m", "ic")})
          (call $packA
            (i32.add (local.get $a) (i32.add (i32.mul (local.get $ic) (local.get $aRow)) (i32.mul (local.get $pc) (local.get $aCol))))
            (local.get $aRow) (local.get $aCol) (local.get $mc) (local.get $kc) (local.get $work))
          (local.set $cBlock (i32.add (local.get $c) (i32.add (i32.mul (local.get $ic) (local.get $ldc)) (i32.shl (local.get $jc) (i32.const 2)))))
          (local.set $jr (i32.const 0))
          (loop $panelColumns
            (local.set $ir (i32.const 0))
            (loop $panelRows
              (call $tile
                (i32.add (local.get $work) (i32.mul (local.get $ir) (i32.shl (local.get $kc) (i32.const 2))))
                (i32.add (local.get $packedB) (i32.mul (local.get $jr) (i32.shl (local.get $kc) (i32.const 2))))
                (local.get $kc)
                (i32.add (local.get $cBlock) (i32.add (i32.mul (local.get $ir) (local.get $ldc)) (i32.shl (local.get $jr) (i32.const 2))))
                (local.get $ldc)
                ${remaining(MR, "mc", "ir")}
                ${remaining(NR, "nc", "jr")}
                (local.get $overwrite) (local.get $scratch))
              (br_if $panelRows (i32.lt_s (local.tee $ir (i32.add (local.get $ir) (i32.const ${MR}))) (local.get $mc))))
            (br_if $panelColumns (i32.lt_s (local.tee $jr (i32.add (local.get $jr) (i32.const ${NR}))) (local.get $nc))))
          (br_if $rowBlocks (i32.lt_s (local.tee $ic (i32.add (local.get $ic) (i32.const ${MC}))) (local.get $m))))
        (br_if $depthBlocks (i32.lt_s (local.tee $pc (i32.add (local.get $pc) (i32.const ${KC}))) (local.get $k))))
      (br_if $columnBlocks (i32.lt_s (local.tee $jc (i32.add (local.get $jc) (i32.const ${NC}))) (local.get $n))))))
`;
}

export const GEMM_WAT = new URL("./gemm.wat", import.meta.url);

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(GEMM_WAT, gemmWat(TILING));
  console.log("wrote gemm.wat");
}
