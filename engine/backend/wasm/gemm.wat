;; Written by gemm-wat.mjs (edit that and run it, then compile.mjs).
;; Float32 matrix products C (+)= A·B on byte offsets of the imported shared memory, in the
;; way of BLIS/GotoBLAS. B is copied, a block of KC rows × NC columns at a time, into panels of
;; NR columns (k-major), A, a block of MC rows × KC at a time, into panels of MR rows; the
;; micro-kernel keeps an MR×NR tile of C in registers while it walks k through one panel of
;; each, so every value loaded from memory serves MR or NR multiply-adds. Packing reads A and B
;; through any row and column strides, so transposed operands cost nothing extra. Two products:
;; "gemm" (4×8 tiles, each B panel against the A block's panels, stored straight from the
;; registers) and "gemmLarge" (6×8 tiles, each A panel against the B block's panels, through
;; a row of scratch).
;; Each multiply-add is f32x4.relaxed_madd (fused where the hardware has FMA); a variant with
;; f32x4.mul and f32x4.add is compiled from this same text for runtimes without relaxed SIMD.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (global (export "MR") i32 (i32.const 4))
  (global (export "LARGE_MR") i32 (i32.const 6))
  (global (export "NR") i32 (i32.const 8))
  (global (export "MC") i32 (i32.const 96))
  (global (export "KC") i32 (i32.const 384))
  (global (export "NC") i32 (i32.const 512))

  ;; C[rows×cols] at $c (rows $ldc bytes apart, columns $cStep) gets the MR×NR tile of A's
  ;; panel at $ap (its k steps $aStep bytes apart, its MR values side by side) × B's panel at
  ;; $bp (k steps $bStep apart, NR values side by side) over $kc steps (kc > 0): added to C, or
  ;; written over it when $overwrite. A panel is packed (steps MR·4 and NR·4 bytes) or read where
  ;; the operand lies. Whole tiles go from the registers to C, as rows (cStep 4) or, for 4-row
  ;; tiles of a C stored transposed (ldc 4), as columns; others go through $scratch (MR×NR floats).
  (func $tile (param $ap i32) (param $aStep i32) (param $bp i32) (param $bStep i32) (param $kc i32)
    (param $c i32) (param $ldc i32) (param $cStep i32)
    (param $rows i32) (param $cols i32) (param $overwrite i32) (param $scratch i32)
    (local $c0_0 v128) (local $c0_1 v128) (local $c1_0 v128) (local $c1_1 v128) (local $c2_0 v128) (local $c2_1 v128) (local $c3_0 v128) (local $c3_1 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $end i32) (local $row i32) (local $r i32) (local $j i32) (local $from i32) (local $to i32)
    (local.set $c0_0 (v128.const i32x4 0 0 0 0))
    (local.set $c0_1 (v128.const i32x4 0 0 0 0))
    (local.set $c1_0 (v128.const i32x4 0 0 0 0))
    (local.set $c1_1 (v128.const i32x4 0 0 0 0))
    (local.set $c2_0 (v128.const i32x4 0 0 0 0))
    (local.set $c2_1 (v128.const i32x4 0 0 0 0))
    (local.set $c3_0 (v128.const i32x4 0 0 0 0))
    (local.set $c3_1 (v128.const i32x4 0 0 0 0))
    (local.set $end (i32.add (local.get $bp) (i32.mul (local.get $kc) (local.get $bStep))))
    (loop $steps
      (local.set $b0 (v128.load offset=0 (local.get $bp)))
      (local.set $b1 (v128.load offset=16 (local.get $bp)))
      (local.set $x (v128.load32_splat offset=0 (local.get $ap)))
      (local.set $c0_0 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c0_0)))
      (local.set $c0_1 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c0_1)))
      (local.set $x (v128.load32_splat offset=4 (local.get $ap)))
      (local.set $c1_0 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c1_0)))
      (local.set $c1_1 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c1_1)))
      (local.set $x (v128.load32_splat offset=8 (local.get $ap)))
      (local.set $c2_0 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c2_0)))
      (local.set $c2_1 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c2_1)))
      (local.set $x (v128.load32_splat offset=12 (local.get $ap)))
      (local.set $c3_0 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c3_0)))
      (local.set $c3_1 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c3_1)))
      (local.set $ap (i32.add (local.get $ap) (local.get $aStep)))
      (local.set $bp (i32.add (local.get $bp) (local.get $bStep)))
      (br_if $steps (i32.lt_u (local.get $bp) (local.get $end))))
    (if (i32.and (i32.eq (local.get $rows) (i32.const 4)) (i32.eq (local.get $cols) (i32.const 8)))
      (then
        (if (i32.eq (local.get $cStep) (i32.const 4))
          (then
            (if (local.get $overwrite)
              (then
                (local.set $row (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 0))))
                (v128.store offset=0 (local.get $row) (local.get $c0_0))
                (v128.store offset=16 (local.get $row) (local.get $c0_1))
                (local.set $row (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 1))))
                (v128.store offset=0 (local.get $row) (local.get $c1_0))
                (v128.store offset=16 (local.get $row) (local.get $c1_1))
                (local.set $row (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 2))))
                (v128.store offset=0 (local.get $row) (local.get $c2_0))
                (v128.store offset=16 (local.get $row) (local.get $c2_1))
                (local.set $row (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 3))))
                (v128.store offset=0 (local.get $row) (local.get $c3_0))
                (v128.store offset=16 (local.get $row) (local.get $c3_1)))
              (else
                (local.set $row (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 0))))
                (v128.store offset=0 (local.get $row) (f32x4.add (v128.load offset=0 (local.get $row)) (local.get $c0_0)))
                (v128.store offset=16 (local.get $row) (f32x4.add (v128.load offset=16 (local.get $row)) (local.get $c0_1)))
                (local.set $row (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 1))))
                (v128.store offset=0 (local.get $row) (f32x4.add (v128.load offset=0 (local.get $row)) (local.get $c1_0)))
                (v128.store offset=16 (local.get $row) (f32x4.add (v128.load offset=16 (local.get $row)) (local.get $c1_1)))
                (local.set $row (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 2))))
                (v128.store offset=0 (local.get $row) (f32x4.add (v128.load offset=0 (local.get $row)) (local.get $c2_0)))
                (v128.store offset=16 (local.get $row) (f32x4.add (v128.load offset=16 (local.get $row)) (local.get $c2_1)))
                (local.set $row (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 3))))
                (v128.store offset=0 (local.get $row) (f32x4.add (v128.load offset=0 (local.get $row)) (local.get $c3_0)))
                (v128.store offset=16 (local.get $row) (f32x4.add (v128.load offset=16 (local.get $row)) (local.get $c3_1)))))
            (return)))
        (if (i32.eq (local.get $ldc) (i32.const 4))
          (then
            (if (local.get $overwrite)
              (then
                (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c0_0) (local.get $c1_0)))
                (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c0_0) (local.get $c1_0)))
                (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c2_0) (local.get $c3_0)))
                (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c2_0) (local.get $c3_0)))
                (v128.store (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 0))) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
                (v128.store (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 1))) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
                (v128.store (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 2))) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
                (v128.store (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 3))) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
                (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c0_1) (local.get $c1_1)))
                (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c0_1) (local.get $c1_1)))
                (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c2_1) (local.get $c3_1)))
                (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c2_1) (local.get $c3_1)))
                (v128.store (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 4))) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
                (v128.store (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 5))) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
                (v128.store (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 6))) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
                (v128.store (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 7))) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3))))
              (else
                (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c0_0) (local.get $c1_0)))
                (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c0_0) (local.get $c1_0)))
                (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c2_0) (local.get $c3_0)))
                (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c2_0) (local.get $c3_0)))
                (v128.store (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 0))) (f32x4.add (v128.load (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 0)))) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2))))
                (v128.store (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 1))) (f32x4.add (v128.load (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 1)))) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2))))
                (v128.store (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 2))) (f32x4.add (v128.load (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 2)))) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3))))
                (v128.store (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 3))) (f32x4.add (v128.load (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 3)))) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3))))
                (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c0_1) (local.get $c1_1)))
                (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c0_1) (local.get $c1_1)))
                (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c2_1) (local.get $c3_1)))
                (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c2_1) (local.get $c3_1)))
                (v128.store (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 4))) (f32x4.add (v128.load (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 4)))) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2))))
                (v128.store (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 5))) (f32x4.add (v128.load (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 5)))) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2))))
                (v128.store (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 6))) (f32x4.add (v128.load (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 6)))) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3))))
                (v128.store (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 7))) (f32x4.add (v128.load (i32.add (local.get $c) (i32.mul (local.get $cStep) (i32.const 7)))) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3))))))
            (return)))))
    (v128.store offset=0 (i32.add (local.get $scratch) (i32.mul (i32.const 32) (i32.const 0))) (local.get $c0_0))
    (v128.store offset=16 (i32.add (local.get $scratch) (i32.mul (i32.const 32) (i32.const 0))) (local.get $c0_1))
    (v128.store offset=0 (i32.add (local.get $scratch) (i32.mul (i32.const 32) (i32.const 1))) (local.get $c1_0))
    (v128.store offset=16 (i32.add (local.get $scratch) (i32.mul (i32.const 32) (i32.const 1))) (local.get $c1_1))
    (v128.store offset=0 (i32.add (local.get $scratch) (i32.mul (i32.const 32) (i32.const 2))) (local.get $c2_0))
    (v128.store offset=16 (i32.add (local.get $scratch) (i32.mul (i32.const 32) (i32.const 2))) (local.get $c2_1))
    (v128.store offset=0 (i32.add (local.get $scratch) (i32.mul (i32.const 32) (i32.const 3))) (local.get $c3_0))
    (v128.store offset=16 (i32.add (local.get $scratch) (i32.mul (i32.const 32) (i32.const 3))) (local.get $c3_1))
    (loop $rowsLeft
      (local.set $from (i32.add (local.get $scratch) (i32.mul (local.get $r) (i32.const 32))))
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

  (func $tilesDown (param $aFirst i32) (param $aPanel i32) (param $aStep i32) (param $bFirst i32) (param $bStep i32) (param $kc i32)
    (param $c i32) (param $ldc i32) (param $panels i32)
    (local $c0_0 v128) (local $c0_1 v128) (local $c1_0 v128) (local $c1_1 v128) (local $c2_0 v128) (local $c2_1 v128) (local $c3_0 v128) (local $c3_1 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local $ap i32) (local $bp i32) (local $end i32) (local $row i32)
    (local.set $end (i32.add (local.get $bFirst) (i32.mul (local.get $kc) (local.get $bStep))))
    (loop $panelsLeft
      (local.set $c0_0 (v128.const i32x4 0 0 0 0))
      (local.set $c0_1 (v128.const i32x4 0 0 0 0))
      (local.set $c1_0 (v128.const i32x4 0 0 0 0))
      (local.set $c1_1 (v128.const i32x4 0 0 0 0))
      (local.set $c2_0 (v128.const i32x4 0 0 0 0))
      (local.set $c2_1 (v128.const i32x4 0 0 0 0))
      (local.set $c3_0 (v128.const i32x4 0 0 0 0))
      (local.set $c3_1 (v128.const i32x4 0 0 0 0))
      (local.set $ap (local.get $aFirst))
      (local.set $bp (local.get $bFirst))
      (loop $steps
        (local.set $b0 (v128.load offset=0 (local.get $bp)))
        (local.set $b1 (v128.load offset=16 (local.get $bp)))
        (local.set $x (v128.load32_splat offset=0 (local.get $ap)))
        (local.set $c0_0 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c0_0)))
        (local.set $c0_1 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c0_1)))
        (local.set $x (v128.load32_splat offset=4 (local.get $ap)))
        (local.set $c1_0 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c1_0)))
        (local.set $c1_1 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c1_1)))
        (local.set $x (v128.load32_splat offset=8 (local.get $ap)))
        (local.set $c2_0 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c2_0)))
        (local.set $c2_1 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c2_1)))
        (local.set $x (v128.load32_splat offset=12 (local.get $ap)))
        (local.set $c3_0 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c3_0)))
        (local.set $c3_1 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c3_1)))
        (local.set $ap (i32.add (local.get $ap) (local.get $aStep)))
        (local.set $bp (i32.add (local.get $bp) (local.get $bStep)))
        (br_if $steps (i32.lt_u (local.get $bp) (local.get $end))))
      (local.set $row (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 0))))
      (v128.store offset=0 (local.get $row) (local.get $c0_0))
      (v128.store offset=16 (local.get $row) (local.get $c0_1))
      (local.set $row (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 1))))
      (v128.store offset=0 (local.get $row) (local.get $c1_0))
      (v128.store offset=16 (local.get $row) (local.get $c1_1))
      (local.set $row (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 2))))
      (v128.store offset=0 (local.get $row) (local.get $c2_0))
      (v128.store offset=16 (local.get $row) (local.get $c2_1))
      (local.set $row (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 3))))
      (v128.store offset=0 (local.get $row) (local.get $c3_0))
      (v128.store offset=16 (local.get $row) (local.get $c3_1))
      (local.set $aFirst (i32.add (local.get $aFirst) (local.get $aPanel)))
      (local.set $c (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 4))))
      (br_if $panelsLeft (local.tee $panels (i32.sub (local.get $panels) (i32.const 1))))))

  (func $tilesDownAdd (param $aFirst i32) (param $aPanel i32) (param $aStep i32) (param $bFirst i32) (param $bStep i32) (param $kc i32)
    (param $c i32) (param $ldc i32) (param $panels i32)
    (local $c0_0 v128) (local $c0_1 v128) (local $c1_0 v128) (local $c1_1 v128) (local $c2_0 v128) (local $c2_1 v128) (local $c3_0 v128) (local $c3_1 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local $ap i32) (local $bp i32) (local $end i32) (local $row i32)
    (local.set $end (i32.add (local.get $bFirst) (i32.mul (local.get $kc) (local.get $bStep))))
    (loop $panelsLeft
      (local.set $c0_0 (v128.const i32x4 0 0 0 0))
      (local.set $c0_1 (v128.const i32x4 0 0 0 0))
      (local.set $c1_0 (v128.const i32x4 0 0 0 0))
      (local.set $c1_1 (v128.const i32x4 0 0 0 0))
      (local.set $c2_0 (v128.const i32x4 0 0 0 0))
      (local.set $c2_1 (v128.const i32x4 0 0 0 0))
      (local.set $c3_0 (v128.const i32x4 0 0 0 0))
      (local.set $c3_1 (v128.const i32x4 0 0 0 0))
      (local.set $ap (local.get $aFirst))
      (local.set $bp (local.get $bFirst))
      (loop $steps
        (local.set $b0 (v128.load offset=0 (local.get $bp)))
        (local.set $b1 (v128.load offset=16 (local.get $bp)))
        (local.set $x (v128.load32_splat offset=0 (local.get $ap)))
        (local.set $c0_0 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c0_0)))
        (local.set $c0_1 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c0_1)))
        (local.set $x (v128.load32_splat offset=4 (local.get $ap)))
        (local.set $c1_0 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c1_0)))
        (local.set $c1_1 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c1_1)))
        (local.set $x (v128.load32_splat offset=8 (local.get $ap)))
        (local.set $c2_0 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c2_0)))
        (local.set $c2_1 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c2_1)))
        (local.set $x (v128.load32_splat offset=12 (local.get $ap)))
        (local.set $c3_0 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c3_0)))
        (local.set $c3_1 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c3_1)))
        (local.set $ap (i32.add (local.get $ap) (local.get $aStep)))
        (local.set $bp (i32.add (local.get $bp) (local.get $bStep)))
        (br_if $steps (i32.lt_u (local.get $bp) (local.get $end))))
      (local.set $row (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 0))))
      (v128.store offset=0 (local.get $row) (f32x4.add (v128.load offset=0 (local.get $row)) (local.get $c0_0)))
      (v128.store offset=16 (local.get $row) (f32x4.add (v128.load offset=16 (local.get $row)) (local.get $c0_1)))
      (local.set $row (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 1))))
      (v128.store offset=0 (local.get $row) (f32x4.add (v128.load offset=0 (local.get $row)) (local.get $c1_0)))
      (v128.store offset=16 (local.get $row) (f32x4.add (v128.load offset=16 (local.get $row)) (local.get $c1_1)))
      (local.set $row (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 2))))
      (v128.store offset=0 (local.get $row) (f32x4.add (v128.load offset=0 (local.get $row)) (local.get $c2_0)))
      (v128.store offset=16 (local.get $row) (f32x4.add (v128.load offset=16 (local.get $row)) (local.get $c2_1)))
      (local.set $row (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 3))))
      (v128.store offset=0 (local.get $row) (f32x4.add (v128.load offset=0 (local.get $row)) (local.get $c3_0)))
      (v128.store offset=16 (local.get $row) (f32x4.add (v128.load offset=16 (local.get $row)) (local.get $c3_1)))
      (local.set $aFirst (i32.add (local.get $aFirst) (local.get $aPanel)))
      (local.set $c (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 4))))
      (br_if $panelsLeft (local.tee $panels (i32.sub (local.get $panels) (i32.const 1))))))

  ;; The row of tiles C[rows×nc] at $c (row stride $ldc bytes, rows ≤ MR): panel $aPanel of A
  ;; against each of the NR-column panels of B's block at $bp (one after another) over $kc
  ;; steps (kc > 0), added to C or written over it when $overwrite. The tiles go to $scratch
  ;; first (MR rows of nc rounded up to NR floats), then to C: a row of tiles touches only its
  ;; MR rows of C, which a column of them (one page of C a row) would not. The k loop sits
  ;; inside the loop over panels, with the accumulators read only by stores after it: so laid
  ;; out, V8 keeps all 12 of them in registers (a function holding only the k loop, or
  ;; branching on how to store a tile, runs a 6×8 tile up to a quarter slower).
  (func $tiles (param $aPanel i32) (param $bp i32) (param $kc i32) (param $c i32) (param $ldc i32)
    (param $rows i32) (param $nc i32) (param $overwrite i32) (param $scratch i32)
    (local $c0_0 v128) (local $c0_1 v128) (local $c1_0 v128) (local $c1_1 v128) (local $c2_0 v128) (local $c2_1 v128) (local $c3_0 v128) (local $c3_1 v128) (local $c4_0 v128) (local $c4_1 v128) (local $c5_0 v128) (local $c5_1 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local $ap i32) (local $end i32) (local $jr i32) (local $tile i32) (local $scratchRow i32)
    (local.set $scratchRow (i32.shl (i32.and (i32.add (local.get $nc) (i32.const 7)) (i32.const -8)) (i32.const 2)))
    (local.set $tile (local.get $scratch))
    (loop $panels
      (local.set $ap (local.get $aPanel))
      (local.set $end (i32.add (local.get $bp) (i32.mul (local.get $kc) (i32.const 32))))
      (loop $steps
        (local.set $b0 (v128.load offset=0 (local.get $bp)))
        (local.set $b1 (v128.load offset=16 (local.get $bp)))
        (local.set $x (v128.load32_splat offset=0 (local.get $ap)))
        (local.set $c0_0 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c0_0)))
        (local.set $c0_1 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c0_1)))
        (local.set $x (v128.load32_splat offset=4 (local.get $ap)))
        (local.set $c1_0 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c1_0)))
        (local.set $c1_1 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c1_1)))
        (local.set $x (v128.load32_splat offset=8 (local.get $ap)))
        (local.set $c2_0 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c2_0)))
        (local.set $c2_1 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c2_1)))
        (local.set $x (v128.load32_splat offset=12 (local.get $ap)))
        (local.set $c3_0 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c3_0)))
        (local.set $c3_1 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c3_1)))
        (local.set $x (v128.load32_splat offset=16 (local.get $ap)))
        (local.set $c4_0 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c4_0)))
        (local.set $c4_1 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c4_1)))
        (local.set $x (v128.load32_splat offset=20 (local.get $ap)))
        (local.set $c5_0 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c5_0)))
        (local.set $c5_1 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c5_1)))
        (local.set $ap (i32.add (local.get $ap) (i32.const 24)))
        (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
        (br_if $steps (i32.lt_u (local.get $bp) (local.get $end))))
      (v128.store offset=0 (i32.add (local.get $tile) (i32.mul (local.get $scratchRow) (i32.const 0))) (local.get $c0_0))
      (v128.store offset=16 (i32.add (local.get $tile) (i32.mul (local.get $scratchRow) (i32.const 0))) (local.get $c0_1))
      (v128.store offset=0 (i32.add (local.get $tile) (i32.mul (local.get $scratchRow) (i32.const 1))) (local.get $c1_0))
      (v128.store offset=16 (i32.add (local.get $tile) (i32.mul (local.get $scratchRow) (i32.const 1))) (local.get $c1_1))
      (v128.store offset=0 (i32.add (local.get $tile) (i32.mul (local.get $scratchRow) (i32.const 2))) (local.get $c2_0))
      (v128.store offset=16 (i32.add (local.get $tile) (i32.mul (local.get $scratchRow) (i32.const 2))) (local.get $c2_1))
      (v128.store offset=0 (i32.add (local.get $tile) (i32.mul (local.get $scratchRow) (i32.const 3))) (local.get $c3_0))
      (v128.store offset=16 (i32.add (local.get $tile) (i32.mul (local.get $scratchRow) (i32.const 3))) (local.get $c3_1))
      (v128.store offset=0 (i32.add (local.get $tile) (i32.mul (local.get $scratchRow) (i32.const 4))) (local.get $c4_0))
      (v128.store offset=16 (i32.add (local.get $tile) (i32.mul (local.get $scratchRow) (i32.const 4))) (local.get $c4_1))
      (v128.store offset=0 (i32.add (local.get $tile) (i32.mul (local.get $scratchRow) (i32.const 5))) (local.get $c5_0))
      (v128.store offset=16 (i32.add (local.get $tile) (i32.mul (local.get $scratchRow) (i32.const 5))) (local.get $c5_1))
      (local.set $c0_0 (v128.const i32x4 0 0 0 0))
      (local.set $c0_1 (v128.const i32x4 0 0 0 0))
      (local.set $c1_0 (v128.const i32x4 0 0 0 0))
      (local.set $c1_1 (v128.const i32x4 0 0 0 0))
      (local.set $c2_0 (v128.const i32x4 0 0 0 0))
      (local.set $c2_1 (v128.const i32x4 0 0 0 0))
      (local.set $c3_0 (v128.const i32x4 0 0 0 0))
      (local.set $c3_1 (v128.const i32x4 0 0 0 0))
      (local.set $c4_0 (v128.const i32x4 0 0 0 0))
      (local.set $c4_1 (v128.const i32x4 0 0 0 0))
      (local.set $c5_0 (v128.const i32x4 0 0 0 0))
      (local.set $c5_1 (v128.const i32x4 0 0 0 0))
      (local.set $tile (i32.add (local.get $tile) (i32.const 32)))
      (br_if $panels (i32.lt_s (local.tee $jr (i32.add (local.get $jr) (i32.const 8))) (local.get $nc))))
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
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (loop $panels
      (local.set $width (select (i32.const 8) (i32.sub (local.get $nc) (local.get $j0)) (i32.ge_s (i32.sub (local.get $nc) (local.get $j0)) (i32.const 8))))
      (local.set $from (i32.add (local.get $src) (i32.mul (local.get $j0) (local.get $colStride))))
      (local.set $p (i32.const 0))
      (if (i32.eq (local.get $width) (i32.const 8))
        (then
          (if (i32.eq (local.get $colStride) (i32.const 4))
            (then
              (block $vectorsDone
                (loop $vectors
                  (br_if $vectorsDone (i32.ge_u (local.get $p) (local.get $kc)))
                  (v128.store offset=0 (local.get $dst) (v128.load offset=0 (local.get $from)))
                  (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $from)))
                  (local.set $from (i32.add (local.get $from) (local.get $rowStride)))
                  (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                  (local.set $p (i32.add (local.get $p) (i32.const 1)))
                  (br $vectors)))))
          (if (i32.eq (local.get $rowStride) (i32.const 4))
            (then
              (block $transposesDone
                (loop $transposes
                  (br_if $transposesDone (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $kc)))
                  (local.set $to (i32.add (local.get $from) (i32.mul (local.get $colStride) (i32.const 0))))
                  (local.set $r0 (v128.load (local.get $to)))
                  (local.set $r1 (v128.load (i32.add (local.get $to) (local.get $colStride))))
                  (local.set $r2 (v128.load (i32.add (local.get $to) (i32.shl (local.get $colStride) (i32.const 1)))))
                  (local.set $r3 (v128.load (i32.add (local.get $to) (i32.mul (local.get $colStride) (i32.const 3)))))
                  (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
                  (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
                  (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
                  (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
                  (v128.store offset=0 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
                  (v128.store offset=32 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
                  (v128.store offset=64 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
                  (v128.store offset=96 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
                  (local.set $to (i32.add (local.get $from) (i32.mul (local.get $colStride) (i32.const 4))))
                  (local.set $r0 (v128.load (local.get $to)))
                  (local.set $r1 (v128.load (i32.add (local.get $to) (local.get $colStride))))
                  (local.set $r2 (v128.load (i32.add (local.get $to) (i32.shl (local.get $colStride) (i32.const 1)))))
                  (local.set $r3 (v128.load (i32.add (local.get $to) (i32.mul (local.get $colStride) (i32.const 3)))))
                  (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
                  (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
                  (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
                  (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
                  (v128.store offset=16 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
                  (v128.store offset=48 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
                  (v128.store offset=80 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
                  (v128.store offset=112 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
                  (local.set $from (i32.add (local.get $from) (i32.const 16)))
                  (local.set $dst (i32.add (local.get $dst) (i32.const 128)))
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
            (br_if $cols (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (i32.const 8))))
          (local.set $from (i32.add (local.get $from) (local.get $rowStride)))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $rows)))
      (br_if $panels (i32.lt_s (local.tee $j0 (i32.add (local.get $j0) (i32.const 8))) (local.get $nc)))))

  ;; Panels of MR rows from A's block of mc rows × kc columns at $src (strides in bytes): panel
  ;; q holds, for each of the kc columns, its MR values (zeros past row mc). Whole panels of a
  ;; row-major A go through 4×4 transposes in registers (a last pair of rows interleaved), of a
  ;; transposed A as whole vectors.
  (func $packA4 (param $src i32) (param $rowStride i32) (param $colStride i32) (param $mc i32) (param $kc i32) (param $dst i32)
    (local $i0 i32) (local $height i32) (local $p i32) (local $from i32) (local $to i32) (local $at i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (loop $panels
      (local.set $height (select (i32.const 4) (i32.sub (local.get $mc) (local.get $i0)) (i32.ge_s (i32.sub (local.get $mc) (local.get $i0)) (i32.const 4))))
      (local.set $from (i32.add (local.get $src) (i32.mul (local.get $i0) (local.get $rowStride))))
      (local.set $p (i32.const 0))
      (if (i32.eq (local.get $height) (i32.const 4))
        (then
          (if (i32.eq (local.get $colStride) (i32.const 4))
            (then
              (block $transposesDone
                (loop $transposes
                  (br_if $transposesDone (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $kc)))
                  (local.set $to (i32.add (local.get $from) (i32.shl (local.get $p) (i32.const 2))))
                  (local.set $at (i32.add (local.get $dst) (i32.mul (local.get $p) (i32.const 16))))
                  (local.set $r0 (v128.load (local.get $to)))
                  (local.set $r1 (v128.load (i32.add (local.get $to) (i32.mul (local.get $rowStride) (i32.const 1)))))
                  (local.set $r2 (v128.load (i32.add (local.get $to) (i32.mul (local.get $rowStride) (i32.const 2)))))
                  (local.set $r3 (v128.load (i32.add (local.get $to) (i32.mul (local.get $rowStride) (i32.const 3)))))
                  (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
                  (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
                  (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
                  (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
                  (v128.store offset=0 (local.get $at) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
                  (v128.store offset=16 (local.get $at) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
                  (v128.store offset=32 (local.get $at) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
                  (v128.store offset=48 (local.get $at) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
                  (local.set $p (i32.add (local.get $p) (i32.const 4)))
                  (br $transposes)))))
          (if (i32.eq (local.get $rowStride) (i32.const 4))
            (then
              (block $vectorsDone
                (loop $vectors
                  (br_if $vectorsDone (i32.ge_u (local.get $p) (local.get $kc)))
                  (local.set $to (i32.add (local.get $from) (i32.mul (local.get $p) (local.get $colStride))))
                  (local.set $at (i32.add (local.get $dst) (i32.mul (local.get $p) (i32.const 16))))
                  (v128.store offset=0 (local.get $at) (v128.load offset=0 (local.get $to)))
                  (local.set $p (i32.add (local.get $p) (i32.const 1)))
                  (br $vectors)))))))
      (call $packColumns4 (local.get $from) (local.get $rowStride) (local.get $colStride) (local.get $height) (local.get $p) (local.get $kc) (local.get $dst))
      (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $kc) (i32.const 16))))
      (br_if $panels (i32.lt_s (local.tee $i0 (i32.add (local.get $i0) (i32.const 4))) (local.get $mc)))))

  ;; Columns p0… of one panel of A, one value at a time: the first $height of each column's MR
  ;; values from $src, zeros after them.
  (func $packColumns4 (param $src i32) (param $rowStride i32) (param $colStride i32) (param $height i32) (param $p0 i32) (param $kc i32) (param $dst i32)
    (local $r i32) (local $p i32) (local $from i32) (local $to i32)
    (loop $panelRows
      (local.set $to (i32.add (local.get $dst) (i32.add (i32.shl (local.get $r) (i32.const 2)) (i32.mul (local.get $p0) (i32.const 16)))))
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
          (local.set $to (i32.add (local.get $to) (i32.const 16)))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $values)))
      (br_if $panelRows (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (i32.const 4)))))


  ;; Panels of MR rows from A's block of mc rows × kc columns at $src (strides in bytes): panel
  ;; q holds, for each of the kc columns, its MR values (zeros past row mc). Whole panels of a
  ;; row-major A go through 4×4 transposes in registers (a last pair of rows interleaved), of a
  ;; transposed A as whole vectors.
  (func $packA6 (param $src i32) (param $rowStride i32) (param $colStride i32) (param $mc i32) (param $kc i32) (param $dst i32)
    (local $i0 i32) (local $height i32) (local $p i32) (local $from i32) (local $to i32) (local $at i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (loop $panels
      (local.set $height (select (i32.const 6) (i32.sub (local.get $mc) (local.get $i0)) (i32.ge_s (i32.sub (local.get $mc) (local.get $i0)) (i32.const 6))))
      (local.set $from (i32.add (local.get $src) (i32.mul (local.get $i0) (local.get $rowStride))))
      (local.set $p (i32.const 0))
      (if (i32.eq (local.get $height) (i32.const 6))
        (then
          (if (i32.eq (local.get $colStride) (i32.const 4))
            (then
              (block $transposesDone
                (loop $transposes
                  (br_if $transposesDone (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $kc)))
                  (local.set $to (i32.add (local.get $from) (i32.shl (local.get $p) (i32.const 2))))
                  (local.set $at (i32.add (local.get $dst) (i32.mul (local.get $p) (i32.const 24))))
                  (local.set $r0 (v128.load (local.get $to)))
                  (local.set $r1 (v128.load (i32.add (local.get $to) (i32.mul (local.get $rowStride) (i32.const 1)))))
                  (local.set $r2 (v128.load (i32.add (local.get $to) (i32.mul (local.get $rowStride) (i32.const 2)))))
                  (local.set $r3 (v128.load (i32.add (local.get $to) (i32.mul (local.get $rowStride) (i32.const 3)))))
                  (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
                  (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
                  (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
                  (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
                  (v128.store offset=0 (local.get $at) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
                  (v128.store offset=24 (local.get $at) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
                  (v128.store offset=48 (local.get $at) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
                  (v128.store offset=72 (local.get $at) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
                  (local.set $r0 (v128.load (i32.add (local.get $to) (i32.mul (local.get $rowStride) (i32.const 4)))))
                  (local.set $r1 (v128.load (i32.add (local.get $to) (i32.mul (local.get $rowStride) (i32.const 5)))))
                  (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
                  (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
                  (v128.store64_lane offset=16 0 (local.get $at) (local.get $t0))
                  (v128.store64_lane offset=40 1 (local.get $at) (local.get $t0))
                  (v128.store64_lane offset=64 0 (local.get $at) (local.get $t1))
                  (v128.store64_lane offset=88 1 (local.get $at) (local.get $t1))
                  (local.set $p (i32.add (local.get $p) (i32.const 4)))
                  (br $transposes)))))
          (if (i32.eq (local.get $rowStride) (i32.const 4))
            (then
              (block $vectorsDone
                (loop $vectors
                  (br_if $vectorsDone (i32.ge_u (local.get $p) (local.get $kc)))
                  (local.set $to (i32.add (local.get $from) (i32.mul (local.get $p) (local.get $colStride))))
                  (local.set $at (i32.add (local.get $dst) (i32.mul (local.get $p) (i32.const 24))))
                  (v128.store offset=0 (local.get $at) (v128.load offset=0 (local.get $to)))
                  (i64.store offset=16 (local.get $at) (i64.load offset=16 (local.get $to)))
                  (local.set $p (i32.add (local.get $p) (i32.const 1)))
                  (br $vectors)))))))
      (call $packColumns6 (local.get $from) (local.get $rowStride) (local.get $colStride) (local.get $height) (local.get $p) (local.get $kc) (local.get $dst))
      (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $kc) (i32.const 24))))
      (br_if $panels (i32.lt_s (local.tee $i0 (i32.add (local.get $i0) (i32.const 6))) (local.get $mc)))))

  ;; Columns p0… of one panel of A, one value at a time: the first $height of each column's MR
  ;; values from $src, zeros after them.
  (func $packColumns6 (param $src i32) (param $rowStride i32) (param $colStride i32) (param $height i32) (param $p0 i32) (param $kc i32) (param $dst i32)
    (local $r i32) (local $p i32) (local $from i32) (local $to i32)
    (loop $panelRows
      (local.set $to (i32.add (local.get $dst) (i32.add (i32.shl (local.get $r) (i32.const 2)) (i32.mul (local.get $p0) (i32.const 24)))))
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
          (local.set $to (i32.add (local.get $to) (i32.const 24)))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $values)))
      (br_if $panelRows (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (i32.const 6)))))


  ;; C (+)= A[m×k]·B[k×n], m, k, n > 0; C's rows $ldc elements apart, its columns $cStep;
  ;; strides in elements. Thread t packs at $work + t·$workStride: MC×KC floats for A's panels,
  ;; then KC × (min(n, NC) rounded up to NR) for B's, then MR rows of as many for the tiles
  ;; before they go to C.
  ;; $direct: bit 1, A is read in place (its rows side by side: aRow 1; at most MR − 1 values
  ;; are read past its last one); bit 2, B is read in place (its columns side by side: bCol 1,
  ;; and every column panel whole).
  (func (export "gemm")
    (param $a i32) (param $aRow i32) (param $aCol i32) (param $b i32) (param $bRow i32) (param $bCol i32)
    (param $c i32) (param $ldc i32) (param $cStep i32) (param $m i32) (param $k i32) (param $n i32)
    (param $accumulate i32) (param $direct i32) (param $work i32) (param $workStride i32) (param $thread i32)
    (local $packedB i32) (local $scratch i32) (local $jc i32) (local $nc i32) (local $pc i32) (local $kc i32)
    (local $ic i32) (local $mc i32) (local $jr i32) (local $ir i32) (local $overwrite i32) (local $cBlock i32)
    (local $aBase i32) (local $aUnit i32) (local $aStep i32) (local $bBase i32) (local $bUnit i32) (local $bStep i32)
    (local.set $aRow (i32.shl (local.get $aRow) (i32.const 2)))
    (local.set $aCol (i32.shl (local.get $aCol) (i32.const 2)))
    (local.set $bRow (i32.shl (local.get $bRow) (i32.const 2)))
    (local.set $bCol (i32.shl (local.get $bCol) (i32.const 2)))
    (local.set $ldc (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $cStep (i32.shl (local.get $cStep) (i32.const 2)))
    (local.set $work (i32.add (local.get $work) (i32.mul (local.get $thread) (local.get $workStride))))
    (local.set $packedB (i32.add (local.get $work) (i32.const 147456)))
    (local.set $scratch (i32.add (local.get $packedB)
      (i32.mul (select (local.get $k) (i32.const 384) (i32.lt_s (local.get $k) (i32.const 384)))
        (i32.mul (i32.and (i32.add (select (local.get $n) (i32.const 512) (i32.lt_s (local.get $n) (i32.const 512))) (i32.const 7)) (i32.const -8))
          (i32.const 4)))))
    (loop $columnBlocks
      (local.set $nc (select (i32.const 512) (i32.sub (local.get $n) (local.get $jc)) (i32.ge_s (i32.sub (local.get $n) (local.get $jc)) (i32.const 512))))
      (local.set $pc (i32.const 0))
      (loop $depthBlocks
        (local.set $kc (select (i32.const 384) (i32.sub (local.get $k) (local.get $pc)) (i32.ge_s (i32.sub (local.get $k) (local.get $pc)) (i32.const 384))))
        (local.set $overwrite (i32.and (i32.eqz (local.get $pc)) (i32.eqz (local.get $accumulate))))
        (if (i32.and (local.get $direct) (i32.const 2))
          (then 
            (local.set $bBase (i32.add (local.get $b) (i32.add (i32.mul (local.get $pc) (local.get $bRow)) (i32.mul (local.get $jc) (local.get $bCol)))))
            (local.set $bUnit (local.get $bCol))
            (local.set $bStep (local.get $bRow)))
          (else 
            (call $packB
              (i32.add (local.get $b) (i32.add (i32.mul (local.get $pc) (local.get $bRow)) (i32.mul (local.get $jc) (local.get $bCol))))
              (local.get $bRow) (local.get $bCol) (local.get $kc) (local.get $nc) (local.get $packedB))
            (local.set $bBase (local.get $packedB))
            (local.set $bUnit (i32.shl (local.get $kc) (i32.const 2)))
            (local.set $bStep (i32.const 32))))
        (local.set $ic (i32.const 0))
        (loop $rowBlocks
          (local.set $mc (select (i32.const 96) (i32.sub (local.get $m) (local.get $ic)) (i32.ge_s (i32.sub (local.get $m) (local.get $ic)) (i32.const 96))))
          (if (i32.and (local.get $direct) (i32.const 1))
          (then 
              (local.set $aBase (i32.add (local.get $a) (i32.add (i32.mul (local.get $ic) (local.get $aRow)) (i32.mul (local.get $pc) (local.get $aCol)))))
              (local.set $aUnit (local.get $aRow))
              (local.set $aStep (local.get $aCol)))
          (else 
              (call $packA4
                (i32.add (local.get $a) (i32.add (i32.mul (local.get $ic) (local.get $aRow)) (i32.mul (local.get $pc) (local.get $aCol))))
                (local.get $aRow) (local.get $aCol) (local.get $mc) (local.get $kc) (local.get $work))
              (local.set $aBase (local.get $work))
              (local.set $aUnit (i32.shl (local.get $kc) (i32.const 2)))
              (local.set $aStep (i32.const 16))))
          (local.set $cBlock (i32.add (local.get $c) (i32.add (i32.mul (local.get $ic) (local.get $ldc)) (i32.mul (local.get $jc) (local.get $cStep)))))
          (local.set $jr (i32.const 0))
          (loop $panelColumns
            (local.set $ir (i32.const 0))
            (if (i32.and (i32.and (i32.eq (local.get $cStep) (i32.const 4)) (i32.le_s (local.get $kc) (i32.const 32)))
                  (i32.ge_s (i32.sub (local.get $nc) (local.get $jr)) (i32.const 8)))
              (then
                (local.set $ir (i32.mul (i32.div_u (local.get $mc) (i32.const 4)) (i32.const 4)))
                (if (local.get $ir)
                  (then
                    (if (local.get $overwrite)
                      (then (call $tilesDown (local.get $aBase) (i32.mul (local.get $aUnit) (i32.const 4)) (local.get $aStep)
                        (i32.add (local.get $bBase) (i32.mul (local.get $jr) (local.get $bUnit))) (local.get $bStep) (local.get $kc)
                        (i32.add (local.get $cBlock) (i32.shl (local.get $jr) (i32.const 2))) (local.get $ldc)
                        (i32.div_u (local.get $ir) (i32.const 4))))
                      (else (call $tilesDownAdd (local.get $aBase) (i32.mul (local.get $aUnit) (i32.const 4)) (local.get $aStep)
                        (i32.add (local.get $bBase) (i32.mul (local.get $jr) (local.get $bUnit))) (local.get $bStep) (local.get $kc)
                        (i32.add (local.get $cBlock) (i32.shl (local.get $jr) (i32.const 2))) (local.get $ldc)
                        (i32.div_u (local.get $ir) (i32.const 4)))))))))
            (block $panelRowsDone
              (loop $panelRows
                (br_if $panelRowsDone (i32.ge_s (local.get $ir) (local.get $mc)))
                (call $tile
                  (i32.add (local.get $aBase) (i32.mul (local.get $ir) (local.get $aUnit))) (local.get $aStep)
                  (i32.add (local.get $bBase) (i32.mul (local.get $jr) (local.get $bUnit))) (local.get $bStep)
                  (local.get $kc)
                  (i32.add (local.get $cBlock) (i32.add (i32.mul (local.get $ir) (local.get $ldc)) (i32.mul (local.get $jr) (local.get $cStep))))
                  (local.get $ldc) (local.get $cStep)
                  (select (i32.const 4) (i32.sub (local.get $mc) (local.get $ir)) (i32.ge_s (i32.sub (local.get $mc) (local.get $ir)) (i32.const 4)))
                  (select (i32.const 8) (i32.sub (local.get $nc) (local.get $jr)) (i32.ge_s (i32.sub (local.get $nc) (local.get $jr)) (i32.const 8)))
                  (local.get $overwrite) (local.get $scratch))
                (local.set $ir (i32.add (local.get $ir) (i32.const 4)))
                (br $panelRows)))
            (br_if $panelColumns (i32.lt_s (local.tee $jr (i32.add (local.get $jr) (i32.const 8))) (local.get $nc))))
          (br_if $rowBlocks (i32.lt_s (local.tee $ic (i32.add (local.get $ic) (i32.const 96))) (local.get $m))))
        (br_if $depthBlocks (i32.lt_s (local.tee $pc (i32.add (local.get $pc) (i32.const 384))) (local.get $k))))
      (br_if $columnBlocks (i32.lt_s (local.tee $jc (i32.add (local.get $jc) (i32.const 512))) (local.get $n)))))

  ;; C (+)= A[m×k]·B[k×n], m, k, n > 0; C's rows $ldc elements apart, its columns $cStep;
  ;; strides in elements. Thread t packs at $work + t·$workStride: MC×KC floats for A's panels,
  ;; then KC × (min(n, NC) rounded up to NR) for B's, then MR rows of as many for the tiles
  ;; before they go to C.
  ;; $cStep must be 1 and $direct 0: every operand is packed, and tiles go to C as rows.
  (func (export "gemmLarge")
    (param $a i32) (param $aRow i32) (param $aCol i32) (param $b i32) (param $bRow i32) (param $bCol i32)
    (param $c i32) (param $ldc i32) (param $cStep i32) (param $m i32) (param $k i32) (param $n i32)
    (param $accumulate i32) (param $direct i32) (param $work i32) (param $workStride i32) (param $thread i32)
    (local $packedB i32) (local $scratch i32) (local $jc i32) (local $nc i32) (local $pc i32) (local $kc i32)
    (local $ic i32) (local $mc i32) (local $jr i32) (local $ir i32) (local $overwrite i32) (local $cBlock i32)
    (local $aBase i32) (local $aUnit i32) (local $aStep i32) (local $bBase i32) (local $bUnit i32) (local $bStep i32)
    (local.set $aRow (i32.shl (local.get $aRow) (i32.const 2)))
    (local.set $aCol (i32.shl (local.get $aCol) (i32.const 2)))
    (local.set $bRow (i32.shl (local.get $bRow) (i32.const 2)))
    (local.set $bCol (i32.shl (local.get $bCol) (i32.const 2)))
    (local.set $ldc (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $cStep (i32.shl (local.get $cStep) (i32.const 2)))
    (local.set $work (i32.add (local.get $work) (i32.mul (local.get $thread) (local.get $workStride))))
    (local.set $packedB (i32.add (local.get $work) (i32.const 147456)))
    (local.set $scratch (i32.add (local.get $packedB)
      (i32.mul (select (local.get $k) (i32.const 384) (i32.lt_s (local.get $k) (i32.const 384)))
        (i32.mul (i32.and (i32.add (select (local.get $n) (i32.const 512) (i32.lt_s (local.get $n) (i32.const 512))) (i32.const 7)) (i32.const -8))
          (i32.const 4)))))
    (loop $columnBlocks
      (local.set $nc (select (i32.const 512) (i32.sub (local.get $n) (local.get $jc)) (i32.ge_s (i32.sub (local.get $n) (local.get $jc)) (i32.const 512))))
      (local.set $pc (i32.const 0))
      (loop $depthBlocks
        (local.set $kc (select (i32.const 384) (i32.sub (local.get $k) (local.get $pc)) (i32.ge_s (i32.sub (local.get $k) (local.get $pc)) (i32.const 384))))
        (local.set $overwrite (i32.and (i32.eqz (local.get $pc)) (i32.eqz (local.get $accumulate))))
        
            (call $packB
              (i32.add (local.get $b) (i32.add (i32.mul (local.get $pc) (local.get $bRow)) (i32.mul (local.get $jc) (local.get $bCol))))
              (local.get $bRow) (local.get $bCol) (local.get $kc) (local.get $nc) (local.get $packedB))
            (local.set $bBase (local.get $packedB))
            (local.set $bUnit (i32.shl (local.get $kc) (i32.const 2)))
            (local.set $bStep (i32.const 32))
        (local.set $ic (i32.const 0))
        (loop $rowBlocks
          (local.set $mc (select (i32.const 96) (i32.sub (local.get $m) (local.get $ic)) (i32.ge_s (i32.sub (local.get $m) (local.get $ic)) (i32.const 96))))
          
              (call $packA6
                (i32.add (local.get $a) (i32.add (i32.mul (local.get $ic) (local.get $aRow)) (i32.mul (local.get $pc) (local.get $aCol))))
                (local.get $aRow) (local.get $aCol) (local.get $mc) (local.get $kc) (local.get $work))
              (local.set $aBase (local.get $work))
              (local.set $aUnit (i32.shl (local.get $kc) (i32.const 2)))
              (local.set $aStep (i32.const 24))
          (local.set $cBlock (i32.add (local.get $c) (i32.add (i32.mul (local.get $ic) (local.get $ldc)) (i32.mul (local.get $jc) (local.get $cStep)))))
          (local.set $ir (i32.const 0))
          (loop $panelRows
            (call $tiles
              (i32.add (local.get $aBase) (i32.mul (local.get $ir) (local.get $aUnit)))
              (local.get $bBase)
              (local.get $kc)
              (i32.add (local.get $cBlock) (i32.mul (local.get $ir) (local.get $ldc)))
              (local.get $ldc)
              (select (i32.const 6) (i32.sub (local.get $mc) (local.get $ir)) (i32.ge_s (i32.sub (local.get $mc) (local.get $ir)) (i32.const 6)))
              (local.get $nc)
              (local.get $overwrite) (local.get $scratch))
            (br_if $panelRows (i32.lt_s (local.tee $ir (i32.add (local.get $ir) (i32.const 6))) (local.get $mc))))
          (br_if $rowBlocks (i32.lt_s (local.tee $ic (i32.add (local.get $ic) (i32.const 96))) (local.get $m))))
        (br_if $depthBlocks (i32.lt_s (local.tee $pc (i32.add (local.get $pc) (i32.const 384))) (local.get $k))))
      (br_if $columnBlocks (i32.lt_s (local.tee $jc (i32.add (local.get $jc) (i32.const 512))) (local.get $n)))))
)
