;; Float32 reductions and transposes on byte offsets of the imported memory: whole rows
;; (`inner` contiguous elements each), the middle axis of an [outer, mid, inner] layout, and
;; blocked 2-D transposes that the caller strings together for any permutation. Vector loops
;; run over whole vectors and finish each row with a scalar tail, so nothing is read or
;; written past a row's end.
(module
  ;; Shared, so that arrays placed in it stay valid as it grows and worker threads can reach it.
  (import "env" "memory" (memory 1 65536 shared))

  ;; Σ of n contiguous elements, summed in float64 as the JavaScript kernel does, so long rows
  ;; lose nothing to float32 rounding.
  (func $row_sum (param $p i32) (param $n i32) (result f64)
    (local $end i32) (local $v v128) (local $s0 v128) (local $s1 v128) (local $total f64)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (block $vdone (loop $vectors
      (br_if $vdone (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
      (local.set $v (v128.load (local.get $p)))
      (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $v))))
      (local.set $s1 (f64x2.add (local.get $s1) (f64x2.promote_low_f32x4
        (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $vectors)))
    (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
    (local.set $total (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
    (block $tdone (loop $tail
      (br_if $tdone (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $total (f64.add (local.get $total) (f64.promote_f32 (f32.load (local.get $p)))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $tail)))
    (local.get $total))

  ;; out[o] = Σ of row o (`inner` contiguous elements), rounded to float32.
  (func (export "sum_rows") (param $x i32) (param $outer i32) (param $inner i32) (param $out i32)
    (local $o i32)
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $o) (local.get $outer)))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $o) (i32.const 2)))
        (f32.demote_f64 (call $row_sum
          (i32.add (local.get $x) (i32.shl (i32.mul (local.get $o) (local.get $inner)) (i32.const 2))) (local.get $inner))))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (br $rows))))

  ;; The float64 sum of n elements, stored at `out` (8 bytes): the pieces of one long sum, split
  ;; across threads or streamed in chunks, are added up by the caller.
  (func (export "sum_span") (param $x i32) (param $n i32) (param $out i32)
    (f64.store (local.get $out) (call $row_sum (local.get $x) (local.get $n))))

  ;; out[o] = Π of row o in float64: two running products of two lanes each.
  (func (export "prod_rows") (param $x i32) (param $outer i32) (param $inner i32) (param $out i32)
    (local $o i32) (local $p i32) (local $end i32) (local $v v128)
    (local $p0 v128) (local $p1 v128) (local $total f64)
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $o) (local.get $outer)))
      (local.set $p (i32.add (local.get $x) (i32.shl (i32.mul (local.get $o) (local.get $inner)) (i32.const 2))))
      (local.set $end (i32.add (local.get $p) (i32.shl (local.get $inner) (i32.const 2))))
      (local.set $p0 (v128.const f64x2 1 1))
      (local.set $p1 (v128.const f64x2 1 1))
      (block $vdone (loop $vectors
        (br_if $vdone (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $p0 (f64x2.mul (local.get $p0) (f64x2.promote_low_f32x4 (local.get $v))))
        (local.set $p1 (f64x2.mul (local.get $p1) (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $vectors)))
      (local.set $p0 (f64x2.mul (local.get $p0) (local.get $p1)))
      (local.set $total (f64.mul (f64x2.extract_lane 0 (local.get $p0)) (f64x2.extract_lane 1 (local.get $p0))))
      (block $tdone (loop $tail
        (br_if $tdone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $total (f64.mul (local.get $total) (f64.promote_f32 (f32.load (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tail)))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $o) (i32.const 2))) (f32.demote_f64 (local.get $total)))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (br $rows))))

  ;; out[o] = max (or min when `lowest` is set) of row o; NaN anywhere gives NaN.
  (func (export "extreme_rows") (param $x i32) (param $outer i32) (param $inner i32) (param $out i32) (param $lowest i32)
    (local $o i32) (local $p i32) (local $end i32) (local $acc v128) (local $best f32)
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $o) (local.get $outer)))
      (local.set $p (i32.add (local.get $x) (i32.shl (i32.mul (local.get $o) (local.get $inner)) (i32.const 2))))
      (local.set $end (i32.add (local.get $p) (i32.shl (local.get $inner) (i32.const 2))))
      (local.set $acc (f32x4.splat (select (f32.const inf) (f32.const -inf) (local.get $lowest))))
      (block $vdone (loop $vectors
        (br_if $vdone (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
        (local.set $acc (select (f32x4.min (local.get $acc) (v128.load (local.get $p)))
          (f32x4.max (local.get $acc) (v128.load (local.get $p))) (local.get $lowest)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $vectors)))
      (local.set $acc (select
        (f32x4.min (local.get $acc) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $acc) (local.get $acc)))
        (f32x4.max (local.get $acc) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $acc) (local.get $acc)))
        (local.get $lowest)))
      (local.set $best (select
        (f32.min (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
        (f32.max (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
        (local.get $lowest)))
      (block $tdone (loop $tail
        (br_if $tdone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $best (select (f32.min (local.get $best) (f32.load (local.get $p)))
          (f32.max (local.get $best) (f32.load (local.get $p))) (local.get $lowest)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tail)))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $o) (i32.const 2))) (local.get $best))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (br $rows))))

  ;; One step of the middle-axis reduction: acc[i] = acc[i] op row[i] for `n` elements, with
  ;; the engine's rules (float32 sums in order; a NaN on either side wins max and min; a tie
  ;; keeps the accumulated value). kind: 0 sum, 1 max, 2 min, 3 product.
  (func $accumulate (param $acc i32) (param $row i32) (param $n i32) (param $kind i32)
    (local $end i32) (local $vend i32) (local $a v128) (local $b v128) (local $s f32) (local $t f32)
    (local.set $end (i32.add (local.get $acc) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $acc) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone (loop $vectors
      (br_if $vdone (i32.ge_u (local.get $acc) (local.get $vend)))
      (local.set $a (v128.load (local.get $acc)))
      (local.set $b (v128.load (local.get $row)))
      (block $store
        (block $prod (block $min (block $max (block $sum
          (br_table $sum $max $min $prod (local.get $kind)))
          (local.set $a (f32x4.add (local.get $a) (local.get $b))) (br $store))
          (local.set $a (v128.bitselect (local.get $b) (local.get $a)
            (v128.or (f32x4.gt (local.get $b) (local.get $a)) (f32x4.ne (local.get $b) (local.get $b)))))
          (br $store))
          (local.set $a (v128.bitselect (local.get $b) (local.get $a)
            (v128.or (f32x4.lt (local.get $b) (local.get $a)) (f32x4.ne (local.get $b) (local.get $b)))))
          (br $store))
        (local.set $a (f32x4.mul (local.get $a) (local.get $b))))
      (v128.store (local.get $acc) (local.get $a))
      (local.set $acc (i32.add (local.get $acc) (i32.const 16)))
      (local.set $row (i32.add (local.get $row) (i32.const 16)))
      (br $vectors)))
    (block $tdone (loop $tail
      (br_if $tdone (i32.ge_u (local.get $acc) (local.get $end)))
      (local.set $s (f32.load (local.get $acc)))
      (local.set $t (f32.load (local.get $row)))
      (block $store
        (block $prod (block $min (block $max (block $sum
          (br_table $sum $max $min $prod (local.get $kind)))
          (local.set $s (f32.add (local.get $s) (local.get $t))) (br $store))
          (local.set $s (select (local.get $t) (local.get $s)
            (i32.or (f32.gt (local.get $t) (local.get $s)) (f32.ne (local.get $t) (local.get $t)))))
          (br $store))
          (local.set $s (select (local.get $t) (local.get $s)
            (i32.or (f32.lt (local.get $t) (local.get $s)) (f32.ne (local.get $t) (local.get $t)))))
          (br $store))
        (local.set $s (f32.mul (local.get $s) (local.get $t))))
      (f32.store (local.get $acc) (local.get $s))
      (local.set $acc (i32.add (local.get $acc) (i32.const 4)))
      (local.set $row (i32.add (local.get $row) (i32.const 4)))
      (br $tail))))

  ;; Sixteen columns of the middle-axis reduction at once, in four accumulators kept in registers
  ;; down all `mid` rows (`stride` bytes apart) and stored at `acc` once: independent chains, so
  ;; the latency of one operation does not hold up the next row. Same rules as $accumulate.
  (func $middle_columns (param $acc i32) (param $col i32) (param $mid i32) (param $stride i32) (param $kind i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local.set $a0 (v128.load (local.get $col)))
    (local.set $a1 (v128.load offset=16 (local.get $col)))
    (local.set $a2 (v128.load offset=32 (local.get $col)))
    (local.set $a3 (v128.load offset=48 (local.get $col)))
    (block $done (loop $rows
      (local.set $mid (i32.sub (local.get $mid) (i32.const 1)))
      (br_if $done (i32.le_s (local.get $mid) (i32.const 0)))
      (local.set $col (i32.add (local.get $col) (local.get $stride)))
      (local.set $b0 (v128.load (local.get $col)))
      (local.set $b1 (v128.load offset=16 (local.get $col)))
      (local.set $b2 (v128.load offset=32 (local.get $col)))
      (local.set $b3 (v128.load offset=48 (local.get $col)))
      (block $next
        (block $prod (block $min (block $max (block $sum
          (br_table $sum $max $min $prod (local.get $kind)))
          (local.set $a0 (f32x4.add (local.get $a0) (local.get $b0)))
          (local.set $a1 (f32x4.add (local.get $a1) (local.get $b1)))
          (local.set $a2 (f32x4.add (local.get $a2) (local.get $b2)))
          (local.set $a3 (f32x4.add (local.get $a3) (local.get $b3)))
          (br $next))
          (local.set $a0 (v128.bitselect (local.get $b0) (local.get $a0) (v128.or (f32x4.gt (local.get $b0) (local.get $a0)) (f32x4.ne (local.get $b0) (local.get $b0)))))
          (local.set $a1 (v128.bitselect (local.get $b1) (local.get $a1) (v128.or (f32x4.gt (local.get $b1) (local.get $a1)) (f32x4.ne (local.get $b1) (local.get $b1)))))
          (local.set $a2 (v128.bitselect (local.get $b2) (local.get $a2) (v128.or (f32x4.gt (local.get $b2) (local.get $a2)) (f32x4.ne (local.get $b2) (local.get $b2)))))
          (local.set $a3 (v128.bitselect (local.get $b3) (local.get $a3) (v128.or (f32x4.gt (local.get $b3) (local.get $a3)) (f32x4.ne (local.get $b3) (local.get $b3)))))
          (br $next))
          (local.set $a0 (v128.bitselect (local.get $b0) (local.get $a0) (v128.or (f32x4.lt (local.get $b0) (local.get $a0)) (f32x4.ne (local.get $b0) (local.get $b0)))))
          (local.set $a1 (v128.bitselect (local.get $b1) (local.get $a1) (v128.or (f32x4.lt (local.get $b1) (local.get $a1)) (f32x4.ne (local.get $b1) (local.get $b1)))))
          (local.set $a2 (v128.bitselect (local.get $b2) (local.get $a2) (v128.or (f32x4.lt (local.get $b2) (local.get $a2)) (f32x4.ne (local.get $b2) (local.get $b2)))))
          (local.set $a3 (v128.bitselect (local.get $b3) (local.get $a3) (v128.or (f32x4.lt (local.get $b3) (local.get $a3)) (f32x4.ne (local.get $b3) (local.get $b3)))))
          (br $next))
        (local.set $a0 (f32x4.mul (local.get $a0) (local.get $b0)))
        (local.set $a1 (f32x4.mul (local.get $a1) (local.get $b1)))
        (local.set $a2 (f32x4.mul (local.get $a2) (local.get $b2)))
        (local.set $a3 (f32x4.mul (local.get $a3) (local.get $b3))))
      (br $rows)))
    (v128.store (local.get $acc) (local.get $a0))
    (v128.store offset=16 (local.get $acc) (local.get $a1))
    (v128.store offset=32 (local.get $acc) (local.get $a2))
    (v128.store offset=48 (local.get $acc) (local.get $a3)))

  ;; out[o, i] = x[o, 0, i] op x[o, 1, i] op ... over the middle axis of [outer, mid, inner]:
  ;; sixteen columns at a time, then the last few a row at a time.
  (func (export "reduce_middle") (param $x i32) (param $outer i32) (param $mid i32) (param $inner i32) (param $out i32) (param $kind i32)
    (local $o i32) (local $m i32) (local $bytes i32) (local $block i32) (local $target i32) (local $c i32) (local $wide i32)
    (local.set $bytes (i32.shl (local.get $inner) (i32.const 2)))
    ;; bytes of the columns taken sixteen at a time
    (local.set $wide (i32.and (local.get $bytes) (i32.const -64)))
    (block $done (loop $blocks
      (br_if $done (i32.ge_u (local.get $o) (local.get $outer)))
      (local.set $target (i32.add (local.get $out) (i32.mul (local.get $o) (local.get $bytes))))
      (local.set $block (i32.add (local.get $x) (i32.mul (i32.mul (local.get $o) (local.get $mid)) (local.get $bytes))))
      (local.set $c (i32.const 0))
      (block $cdone (loop $columns
        (br_if $cdone (i32.ge_u (local.get $c) (local.get $wide)))
        (call $middle_columns (i32.add (local.get $target) (local.get $c)) (i32.add (local.get $block) (local.get $c)) (local.get $mid) (local.get $bytes) (local.get $kind))
        (local.set $c (i32.add (local.get $c) (i32.const 64)))
        (br $columns)))
      (if (i32.lt_u (local.get $wide) (local.get $bytes)) (then
        (memory.copy (i32.add (local.get $target) (local.get $wide)) (i32.add (local.get $block) (local.get $wide)) (i32.sub (local.get $bytes) (local.get $wide)))
        (local.set $m (i32.const 1))
        (block $mdone (loop $rows
          (br_if $mdone (i32.ge_u (local.get $m) (local.get $mid)))
          (call $accumulate (i32.add (local.get $target) (local.get $wide))
            (i32.add (i32.add (local.get $block) (i32.mul (local.get $m) (local.get $bytes))) (local.get $wide))
            (i32.shr_u (i32.sub (local.get $bytes) (local.get $wide)) (i32.const 2)) (local.get $kind))
          (local.set $m (i32.add (local.get $m) (i32.const 1)))
          (br $rows)))))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (br $blocks))))

  ;; out[c · outStride + r] = x[r · xStride + c] for r < rows, c < cols (strides in elements),
  ;; in 8×8 tiles so that both sides are walked in cache-line runs.
  (func (export "transpose") (param $x i32) (param $rows i32) (param $cols i32) (param $xStride i32) (param $out i32) (param $outStride i32)
    (local $r0 i32) (local $c0 i32) (local $r i32) (local $c i32) (local $rEnd i32) (local $cEnd i32)
    (block $rdone (loop $rtiles
      (br_if $rdone (i32.ge_u (local.get $r0) (local.get $rows)))
      (local.set $rEnd (select (i32.add (local.get $r0) (i32.const 8)) (local.get $rows)
        (i32.lt_u (i32.add (local.get $r0) (i32.const 8)) (local.get $rows))))
      (local.set $c0 (i32.const 0))
      (block $cdone (loop $ctiles
        (br_if $cdone (i32.ge_u (local.get $c0) (local.get $cols)))
        (local.set $cEnd (select (i32.add (local.get $c0) (i32.const 8)) (local.get $cols)
          (i32.lt_u (i32.add (local.get $c0) (i32.const 8)) (local.get $cols))))
        (local.set $c (local.get $c0))
        (block $tcdone (loop $tcols
          (br_if $tcdone (i32.ge_u (local.get $c) (local.get $cEnd)))
          (local.set $r (local.get $r0))
          (block $trdone (loop $trows
            (br_if $trdone (i32.ge_u (local.get $r) (local.get $rEnd)))
            (f32.store
              (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $outStride)) (local.get $r)) (i32.const 2)))
              (f32.load (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $xStride)) (local.get $c)) (i32.const 2)))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $trows)))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $tcols)))
        (local.set $c0 (i32.add (local.get $c0) (i32.const 8)))
        (br $ctiles)))
      (local.set $r0 (i32.add (local.get $r0) (i32.const 8)))
      (br $rtiles))))
)
