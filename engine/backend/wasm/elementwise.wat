;; Float32 elementwise kernels and softmax rows over 128-bit SIMD lanes, on byte offsets of the
;; imported memory. Binary kernels read each operand with its own step: 16 bytes walks an array,
;; 0 re-reads one vector (a scalar stored four times, or a broadcast row fed one row at a time by
;; the caller), so one loop serves same-shape, scalar and row broadcasting. Elementwise loops run
;; whole vectors: the caller pads arrays to a multiple of four elements. The transcendental
;; functions reduce their argument to a small range and evaluate a polynomial there, to a few
;; float32 ulp.
(module
  ;; Shared, so that arrays placed in it stay valid as it grows and worker threads can reach it.
  (import "env" "memory" (memory 1 65536 shared))

  ;; ---- binary: out[i] = a[i] op b[i] for n elements (n > 0), steps in bytes ---------------
  (func $add (export "add") (param $a i32) (param $as i32) (param $b i32) (param $bs i32) (param $out i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (loop $lanes
      (v128.store (local.get $out) (f32x4.add (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (local.get $as)))
      (local.set $b (i32.add (local.get $b) (local.get $bs)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br_if $lanes (i32.lt_u (local.get $out) (local.get $end)))))

  (func $sub (export "sub") (param $a i32) (param $as i32) (param $b i32) (param $bs i32) (param $out i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (loop $lanes
      (v128.store (local.get $out) (f32x4.sub (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (local.get $as)))
      (local.set $b (i32.add (local.get $b) (local.get $bs)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br_if $lanes (i32.lt_u (local.get $out) (local.get $end)))))

  (func $mul (export "mul") (param $a i32) (param $as i32) (param $b i32) (param $bs i32) (param $out i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (loop $lanes
      (v128.store (local.get $out) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (local.get $as)))
      (local.set $b (i32.add (local.get $b) (local.get $bs)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br_if $lanes (i32.lt_u (local.get $out) (local.get $end)))))

  (func $div (export "div") (param $a i32) (param $as i32) (param $b i32) (param $bs i32) (param $out i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (loop $lanes
      (v128.store (local.get $out) (f32x4.div (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (local.get $as)))
      (local.set $b (i32.add (local.get $b) (local.get $bs)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br_if $lanes (i32.lt_u (local.get $out) (local.get $end)))))

  ;; maximum and minimum keep the engine's rule: a NaN on either side gives NaN, and a tie
  ;; (including -0 against +0) keeps the left operand.
  (func $maximum (export "maximum") (param $a i32) (param $as i32) (param $b i32) (param $bs i32) (param $out i32) (param $n i32)
    (local $end i32) (local $x v128) (local $y v128)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (loop $lanes
      (local.set $x (v128.load (local.get $a)))
      (local.set $y (v128.load (local.get $b)))
      (v128.store (local.get $out) (v128.bitselect (local.get $x) (local.get $y)
        (v128.or (f32x4.ge (local.get $x) (local.get $y)) (f32x4.ne (local.get $x) (local.get $x)))))
      (local.set $a (i32.add (local.get $a) (local.get $as)))
      (local.set $b (i32.add (local.get $b) (local.get $bs)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br_if $lanes (i32.lt_u (local.get $out) (local.get $end)))))

  (func $minimum (export "minimum") (param $a i32) (param $as i32) (param $b i32) (param $bs i32) (param $out i32) (param $n i32)
    (local $end i32) (local $x v128) (local $y v128)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (loop $lanes
      (local.set $x (v128.load (local.get $a)))
      (local.set $y (v128.load (local.get $b)))
      (v128.store (local.get $out) (v128.bitselect (local.get $x) (local.get $y)
        (v128.or (f32x4.le (local.get $x) (local.get $y)) (f32x4.ne (local.get $x) (local.get $x)))))
      (local.set $a (i32.add (local.get $a) (local.get $as)))
      (local.set $b (i32.add (local.get $b) (local.get $bs)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br_if $lanes (i32.lt_u (local.get $out) (local.get $end)))))

  ;; out[i] = a[i] + scale·b[i] for n elements (n > 0): a gradient step in one pass. The product
  ;; is rounded before the sum (no fused multiply-add), so it equals mul followed by add.
  (func (export "add_scaled") (param $a i32) (param $b i32) (param $scale f32) (param $out i32) (param $n i32)
    (local $end i32) (local $s v128)
    (local.set $s (f32x4.splat (local.get $scale)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (loop $lanes
      (v128.store (local.get $out) (f32x4.add (v128.load (local.get $a)) (f32x4.mul (v128.load (local.get $b)) (local.get $s))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br_if $lanes (i32.lt_u (local.get $out) (local.get $end)))))

  ;; ---- broadcast rows: `rows` rows of `inner` elements, written one after another ---------
  ;; Each operand's row r starts `row` bytes after its row r - 1. An operand that walks its row
  ;; is read vector by vector; one that does not repeats the first element of its row, splatted
  ;; into this thread's 32 bytes of `scratch` (`thread` is the pool's thread number). `op` is the
  ;; position of the kernel among add, sub, mul, div, maximum, minimum. Rows run in order, so what
  ;; one row's last vector writes past its end the next row overwrites.
  (func (export "binary_rows") (param $op i32) (param $a i32) (param $aRow i32) (param $aWalks i32)
      (param $b i32) (param $bRow i32) (param $bWalks i32) (param $out i32) (param $rows i32) (param $inner i32)
      (param $scratch i32) (param $thread i32)
    (local $pa i32) (local $pb i32) (local $as i32) (local $bs i32) (local $rowBytes i32)
    (local.set $scratch (i32.add (local.get $scratch) (i32.shl (local.get $thread) (i32.const 5))))
    (local.set $as (select (i32.const 16) (i32.const 0) (local.get $aWalks)))
    (local.set $bs (select (i32.const 16) (i32.const 0) (local.get $bWalks)))
    (local.set $rowBytes (i32.shl (local.get $inner) (i32.const 2)))
    (block $done (loop $row
      (br_if $done (i32.eqz (local.get $rows)))
      (local.set $pa (local.get $a))
      (if (i32.eqz (local.get $aWalks)) (then
        (v128.store (local.get $scratch) (v128.load32_splat (local.get $a)))
        (local.set $pa (local.get $scratch))))
      (local.set $pb (local.get $b))
      (if (i32.eqz (local.get $bWalks)) (then
        (v128.store offset=16 (local.get $scratch) (v128.load32_splat (local.get $b)))
        (local.set $pb (i32.add (local.get $scratch) (i32.const 16)))))
      (block $next
        (block $minimum (block $maximum (block $div (block $mul (block $sub (block $add
          (br_table $add $sub $mul $div $maximum $minimum (local.get $op)))
          (call $add (local.get $pa) (local.get $as) (local.get $pb) (local.get $bs) (local.get $out) (local.get $inner)) (br $next))
          (call $sub (local.get $pa) (local.get $as) (local.get $pb) (local.get $bs) (local.get $out) (local.get $inner)) (br $next))
          (call $mul (local.get $pa) (local.get $as) (local.get $pb) (local.get $bs) (local.get $out) (local.get $inner)) (br $next))
          (call $div (local.get $pa) (local.get $as) (local.get $pb) (local.get $bs) (local.get $out) (local.get $inner)) (br $next))
          (call $maximum (local.get $pa) (local.get $as) (local.get $pb) (local.get $bs) (local.get $out) (local.get $inner)) (br $next))
        (call $minimum (local.get $pa) (local.get $as) (local.get $pb) (local.get $bs) (local.get $out) (local.get $inner)))
      (local.set $a (i32.add (local.get $a) (local.get $aRow)))
      (local.set $b (i32.add (local.get $b) (local.get $bRow)))
      (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $row))))

  ;; ---- vector maths ----------------------------------------------------------------------
  ;; e^x = 2^n · e^r with n = round(x / ln 2) and |r| <= ln2 / 2 (ln 2 split in two so n · ln 2 is
  ;; exact), e^r by its Taylor polynomial to degree 7; 2^n is applied as two halves so that
  ;; results down to the subnormals and up to overflow come out right.
  (func $exp (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128) (local $k v128) (local $half v128)
    (local.set $x (f32x4.min (f32x4.max (local.get $x) (v128.const f32x4 -104 -104 -104 -104)) (v128.const f32x4 89 89 89 89)))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x) (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504))))
    (local.set $r (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
    (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $n) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $p (v128.const f32x4 1.98412698e-4 1.98412698e-4 1.98412698e-4 1.98412698e-4))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.38888889e-3 1.38888889e-3 1.38888889e-3 1.38888889e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 8.33333333e-3 8.33333333e-3 8.33333333e-3 8.33333333e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 4.16666667e-2 4.16666667e-2 4.16666667e-2 4.16666667e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 0.166666667 0.166666667 0.166666667 0.166666667)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 0.5 0.5 0.5 0.5)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1 1 1 1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1 1 1 1)))
    (local.set $k (i32x4.trunc_sat_f32x4_s (local.get $n)))
    (local.set $half (i32x4.shr_s (local.get $k) (i32.const 1)))
    (local.set $p (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (local.get $half) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
    (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (i32x4.sub (local.get $k) (local.get $half)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))

  ;; log x = e · ln 2 + log m with x = m · 2^e, m in [√½, √2); log m = 2 atanh(s), s = (m-1)/(m+1),
  ;; by its odd series to s^9. Subnormal x is scaled by 2^23 first.
  (func $log (param $x v128) (result v128)
    (local $small v128) (local $bits v128) (local $e v128) (local $m v128) (local $big v128)
    (local $s v128) (local $s2 v128) (local $p v128) (local $ef v128) (local $y v128)
    (local.set $small (f32x4.lt (local.get $x) (v128.const f32x4 1.17549435e-38 1.17549435e-38 1.17549435e-38 1.17549435e-38)))
    (local.set $bits (v128.bitselect (f32x4.mul (local.get $x) (v128.const f32x4 8388608 8388608 8388608 8388608)) (local.get $x) (local.get $small)))
    (local.set $e (i32x4.sub (i32x4.shr_u (local.get $bits) (i32.const 23)) (v128.const i32x4 127 127 127 127)))
    (local.set $e (i32x4.sub (local.get $e) (v128.and (local.get $small) (v128.const i32x4 23 23 23 23))))
    (local.set $m (v128.or (v128.and (local.get $bits) (v128.const i32x4 0x007fffff 0x007fffff 0x007fffff 0x007fffff)) (v128.const i32x4 0x3f800000 0x3f800000 0x3f800000 0x3f800000)))
    (local.set $big (f32x4.gt (local.get $m) (v128.const f32x4 1.41421356 1.41421356 1.41421356 1.41421356)))
    (local.set $m (v128.bitselect (f32x4.mul (local.get $m) (v128.const f32x4 0.5 0.5 0.5 0.5)) (local.get $m) (local.get $big)))
    (local.set $e (i32x4.sub (local.get $e) (local.get $big)))
    (local.set $s (f32x4.div (f32x4.sub (local.get $m) (v128.const f32x4 1 1 1 1)) (f32x4.add (local.get $m) (v128.const f32x4 1 1 1 1))))
    (local.set $s2 (f32x4.mul (local.get $s) (local.get $s)))
    (local.set $p (v128.const f32x4 0.111111111 0.111111111 0.111111111 0.111111111))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $s2)) (v128.const f32x4 0.142857143 0.142857143 0.142857143 0.142857143)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $s2)) (v128.const f32x4 0.2 0.2 0.2 0.2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $s2)) (v128.const f32x4 0.333333333 0.333333333 0.333333333 0.333333333)))
    (local.set $p (f32x4.mul (f32x4.mul (local.get $p) (local.get $s2)) (local.get $s)))
    (local.set $ef (f32x4.convert_i32x4_s (local.get $e)))
    ;; e · ln2_hi + (2s + 2s·series + e · ln2_lo): the large terms meet last.
    (local.set $y (f32x4.add
      (f32x4.mul (local.get $ef) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))
      (f32x4.add (f32x4.add (local.get $s) (local.get $s))
        (f32x4.add (f32x4.add (local.get $p) (local.get $p))
          (f32x4.mul (local.get $ef) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))))
    ;; log 0 = -Inf, log of a negative or NaN is NaN, log Inf = Inf.
    (local.set $y (v128.bitselect (v128.const f32x4 -inf -inf -inf -inf) (local.get $y) (f32x4.eq (local.get $x) (v128.const f32x4 0 0 0 0))))
    (local.set $y (v128.bitselect (local.get $x) (local.get $y) (f32x4.eq (local.get $x) (v128.const f32x4 inf inf inf inf))))
    (v128.bitselect (v128.const f32x4 nan nan nan nan) (local.get $y)
      (v128.or (f32x4.lt (local.get $x) (v128.const f32x4 0 0 0 0)) (f32x4.ne (local.get $x) (local.get $x)))))

  ;; tanh: the odd Taylor series below |x| = 0.55 (where 1 - 2/(e^2x + 1) would cancel), that
  ;; formula above it, with the sign of x put back.
  (func $tanh (param $x v128) (result v128)
    (local $ax v128) (local $x2 v128) (local $p v128) (local $far v128)
    (local.set $ax (f32x4.abs (local.get $x)))
    (local.set $x2 (f32x4.mul (local.get $x) (local.get $x)))
    (local.set $p (v128.const f32x4 -2.39129114e-4 -2.39129114e-4 -2.39129114e-4 -2.39129114e-4))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $x2)) (v128.const f32x4 5.90027440e-4 5.90027440e-4 5.90027440e-4 5.90027440e-4)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $x2)) (v128.const f32x4 -1.45583438e-3 -1.45583438e-3 -1.45583438e-3 -1.45583438e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $x2)) (v128.const f32x4 3.59212803e-3 3.59212803e-3 3.59212803e-3 3.59212803e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $x2)) (v128.const f32x4 -8.86323552e-3 -8.86323552e-3 -8.86323552e-3 -8.86323552e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $x2)) (v128.const f32x4 2.18694885e-2 2.18694885e-2 2.18694885e-2 2.18694885e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $x2)) (v128.const f32x4 -5.39682540e-2 -5.39682540e-2 -5.39682540e-2 -5.39682540e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $x2)) (v128.const f32x4 0.133333333 0.133333333 0.133333333 0.133333333)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $x2)) (v128.const f32x4 -0.333333333 -0.333333333 -0.333333333 -0.333333333)))
    (local.set $p (f32x4.add (f32x4.mul (f32x4.mul (local.get $p) (local.get $x2)) (local.get $x)) (local.get $x)))
    (local.set $far (f32x4.sub (v128.const f32x4 1 1 1 1)
      (f32x4.div (v128.const f32x4 2 2 2 2)
        (f32x4.add (call $exp (f32x4.add (local.get $ax) (local.get $ax))) (v128.const f32x4 1 1 1 1)))))
    (local.set $far (v128.or (local.get $far) (v128.and (local.get $x) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))
    (v128.bitselect (local.get $p) (local.get $far) (f32x4.lt (local.get $ax) (v128.const f32x4 0.55 0.55 0.55 0.55))))

  ;; e = e^-|x| never overflows: σ(x) = 1/(1+e) for x >= 0, e/(1+e) below.
  (func $sigmoid (param $x v128) (result v128)
    (local $e v128) (local $d v128)
    (local.set $e (call $exp (f32x4.neg (f32x4.abs (local.get $x)))))
    (local.set $d (f32x4.add (local.get $e) (v128.const f32x4 1 1 1 1)))
    (v128.bitselect
      (f32x4.div (v128.const f32x4 1 1 1 1) (local.get $d))
      (f32x4.div (local.get $e) (local.get $d))
      (f32x4.ge (local.get $x) (v128.const f32x4 0 0 0 0))))

  ;; log1p u = log(w) · (u / (w - 1)), w = 1 + u: exact to rounding even when u is far below
  ;; float32's epsilon (u itself when w rounds to 1); +Inf stays +Inf.
  (func $log1p (param $u v128) (result v128)
    (local $w v128) (local $l v128)
    (local.set $w (f32x4.add (local.get $u) (v128.const f32x4 1 1 1 1)))
    (local.set $l (f32x4.mul (call $log (local.get $w)) (f32x4.div (local.get $u) (f32x4.sub (local.get $w) (v128.const f32x4 1 1 1 1)))))
    (local.set $l (v128.bitselect (local.get $u) (local.get $l) (f32x4.eq (local.get $w) (v128.const f32x4 1 1 1 1))))
    (v128.bitselect (local.get $u) (local.get $l) (f32x4.eq (local.get $u) (v128.const f32x4 inf inf inf inf))))

  ;; softplus x = max(x, 0) + log1p(e^-|x|).
  (func $softplus (param $x v128) (result v128)
    (f32x4.add (f32x4.max (local.get $x) (v128.const f32x4 0 0 0 0))
      (call $log1p (call $exp (f32x4.neg (f32x4.abs (local.get $x)))))))

  ;; expm1: Taylor's series to x^9 for |x| < 0.5 (where e^x - 1 would cancel), e^x - 1 beyond.
  (func $expm1 (param $x v128) (result v128)
    (local $p v128)
    (local.set $p (v128.const f32x4 2.75573192e-6 2.75573192e-6 2.75573192e-6 2.75573192e-6))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $x)) (v128.const f32x4 2.48015873e-5 2.48015873e-5 2.48015873e-5 2.48015873e-5)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $x)) (v128.const f32x4 1.98412698e-4 1.98412698e-4 1.98412698e-4 1.98412698e-4)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $x)) (v128.const f32x4 1.38888889e-3 1.38888889e-3 1.38888889e-3 1.38888889e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $x)) (v128.const f32x4 8.33333333e-3 8.33333333e-3 8.33333333e-3 8.33333333e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $x)) (v128.const f32x4 4.16666667e-2 4.16666667e-2 4.16666667e-2 4.16666667e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $x)) (v128.const f32x4 0.166666667 0.166666667 0.166666667 0.166666667)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $x)) (v128.const f32x4 0.5 0.5 0.5 0.5)))
    (local.set $p (f32x4.add (f32x4.mul (f32x4.mul (local.get $p) (local.get $x)) (local.get $x)) (local.get $x)))
    (v128.bitselect (local.get $p)
      (f32x4.sub (call $exp (local.get $x)) (v128.const f32x4 1 1 1 1))
      (f32x4.lt (f32x4.abs (local.get $x)) (v128.const f32x4 0.5 0.5 0.5 0.5))))

  ;; ---- unary: out[i] = f(x[i]) for n elements (n > 0); `op` picks f ----------------------
  ;; The cheap functions each have a loop of their own: a dispatch per vector would cost more
  ;; than they do. The polynomials share one loop, where the branch on `op` is the same at each
  ;; step, so it predicts perfectly and costs little beside them.
  (func (export "unary") (param $op i32) (param $x i32) (param $out i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (block $polynomial
      (block $step (block $reciprocal (block $relu (block $square (block $abs (block $neg (block $sqrt
        (br_table $polynomial $polynomial $polynomial $polynomial $polynomial $sqrt $neg $abs $square $relu $reciprocal $step $polynomial $polynomial (local.get $op)))
      (loop $sqrt_lanes
        (local.set $v (v128.load (local.get $x)))
        (v128.store (local.get $out) (f32x4.sqrt (local.get $v)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br_if $sqrt_lanes (i32.lt_u (local.get $out) (local.get $end))))
      (return))
      (loop $neg_lanes
        (local.set $v (v128.load (local.get $x)))
        (v128.store (local.get $out) (f32x4.neg (local.get $v)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br_if $neg_lanes (i32.lt_u (local.get $out) (local.get $end))))
      (return))
      (loop $abs_lanes
        (local.set $v (v128.load (local.get $x)))
        (v128.store (local.get $out) (f32x4.abs (local.get $v)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br_if $abs_lanes (i32.lt_u (local.get $out) (local.get $end))))
      (return))
      (loop $square_lanes
        (local.set $v (v128.load (local.get $x)))
        (v128.store (local.get $out) (f32x4.mul (local.get $v) (local.get $v)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br_if $square_lanes (i32.lt_u (local.get $out) (local.get $end))))
      (return))
      ;; relu keeps NaN and sends -0 to +0, as the JavaScript kernel does.
      (loop $relu_lanes
        (local.set $v (v128.load (local.get $x)))
        (v128.store (local.get $out) (v128.and (local.get $v) (v128.or (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0)) (f32x4.ne (local.get $v) (local.get $v)))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br_if $relu_lanes (i32.lt_u (local.get $out) (local.get $end))))
      (return))
      (loop $reciprocal_lanes
        (local.set $v (v128.load (local.get $x)))
        (v128.store (local.get $out) (f32x4.div (v128.const f32x4 1 1 1 1) (local.get $v)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br_if $reciprocal_lanes (i32.lt_u (local.get $out) (local.get $end))))
      (return))
      ;; step: 1 where x > 0, 0 elsewhere (NaN included)
      (loop $step_lanes
        (local.set $v (v128.load (local.get $x)))
        (v128.store (local.get $out) (v128.and (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0)) (v128.const f32x4 1 1 1 1)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br_if $step_lanes (i32.lt_u (local.get $out) (local.get $end))))
      (return))
    (loop $lanes
      (local.set $v (v128.load (local.get $x)))
      (block $store
        (block $log1p (block $expm1 (block $softplus (block $sigmoid (block $tanh (block $log (block $exp
          (br_table $exp $log $tanh $sigmoid $softplus $exp $exp $exp $exp $exp $exp $exp $expm1 $log1p (local.get $op)))
          (local.set $v (call $exp (local.get $v))) (br $store))
          (local.set $v (call $log (local.get $v))) (br $store))
          (local.set $v (call $tanh (local.get $v))) (br $store))
          (local.set $v (call $sigmoid (local.get $v))) (br $store))
          (local.set $v (call $softplus (local.get $v))) (br $store))
          (local.set $v (call $expm1 (local.get $v))) (br $store))
        (local.set $v (call $log1p (local.get $v))))
      (v128.store (local.get $out) (local.get $v))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br_if $lanes (i32.lt_u (local.get $out) (local.get $end)))))

  ;; ---- softmax over rows ---------------------------------------------------------------
  ;; For each row of `inner` contiguous elements: m = max (0 when the max is not finite, as the
  ;; composed ops do), e = exp(x - m), s = Σ e in float64. kind 0 writes softmax e / s, kind 1
  ;; logSoftmax (x - m) - log s, kind 2 logSumExp log s + m (one value a row).
  (func (export "softmax_rows") (param $x i32) (param $outer i32) (param $inner i32) (param $out i32) (param $kind i32)
    (local $o i32) (local $p i32) (local $end i32) (local $vend i32) (local $q i32)
    (local $acc v128) (local $m f32) (local $mv v128) (local $e v128) (local $sum v128) (local $total f64)
    (local $logs f32) (local $scale v128) (local $tail i32) (local $mask v128)
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $o) (local.get $outer)))
      (local.set $p (i32.add (local.get $x) (i32.shl (i32.mul (local.get $o) (local.get $inner)) (i32.const 2))))
      (local.set $end (i32.add (local.get $p) (i32.shl (local.get $inner) (i32.const 2))))
      (local.set $vend (i32.add (local.get $p) (i32.shl (i32.and (local.get $inner) (i32.const -4)) (i32.const 2))))
      ;; The row's last partial vector is read whole, its lanes past the row's end masked off
      ;; (-Inf for the maximum, 0 in the sum): one polynomial for the tail instead of one an element.
      (local.set $tail (i32.shr_u (i32.sub (local.get $end) (local.get $vend)) (i32.const 2)))
      (local.set $mask (i32x4.lt_s (v128.const i32x4 0 1 2 3) (i32x4.splat (local.get $tail))))
      ;; the maximum (NaN wins, as f32x4.max gives it)
      (local.set $acc (v128.const f32x4 -inf -inf -inf -inf))
      (local.set $q (local.get $p))
      (block $mdone (loop $maxv
        (br_if $mdone (i32.ge_u (local.get $q) (local.get $vend)))
        (local.set $acc (f32x4.max (local.get $acc) (v128.load (local.get $q))))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br $maxv)))
      (if (local.get $tail) (then
        (local.set $acc (f32x4.max (local.get $acc)
          (v128.bitselect (v128.load (local.get $q)) (v128.const f32x4 -inf -inf -inf -inf) (local.get $mask))))))
      (local.set $m (f32.max (f32.max (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
        (f32.max (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
      ;; m - m is 0 only for finite m
      (local.set $m (select (local.get $m) (f32.const 0) (f32.eq (f32.sub (local.get $m) (local.get $m)) (f32.const 0))))
      (local.set $mv (f32x4.splat (local.get $m)))
      ;; Σ exp(x - m); softmax keeps each exp in its output
      (local.set $sum (v128.const f64x2 0 0))
      (local.set $q (local.get $p))
      (block $sdone (loop $sumv
        (br_if $sdone (i32.ge_u (local.get $q) (local.get $vend)))
        (local.set $e (call $exp (f32x4.sub (v128.load (local.get $q)) (local.get $mv))))
        (if (i32.eqz (local.get $kind))
          (then (v128.store (i32.add (local.get $out) (i32.sub (local.get $q) (local.get $x))) (local.get $e))))
        (local.set $sum (f64x2.add (local.get $sum) (f64x2.add (f64x2.promote_low_f32x4 (local.get $e))
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $e) (local.get $e))))))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br $sumv)))
      (if (local.get $tail) (then
        (local.set $e (v128.and (local.get $mask) (call $exp (f32x4.sub (v128.load (local.get $q)) (local.get $mv)))))
        (local.set $sum (f64x2.add (local.get $sum) (f64x2.add (f64x2.promote_low_f32x4 (local.get $e))
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $e) (local.get $e))))))
        ;; Softmax's tail exponentials, lane by lane: a whole vector would write past the row's end.
        (if (i32.eqz (local.get $kind)) (then
          (local.set $q (i32.add (local.get $out) (i32.sub (local.get $q) (local.get $x))))
          (f32.store (local.get $q) (f32x4.extract_lane 0 (local.get $e)))
          (if (i32.gt_u (local.get $tail) (i32.const 1)) (then (f32.store offset=4 (local.get $q) (f32x4.extract_lane 1 (local.get $e)))))
          (if (i32.gt_u (local.get $tail) (i32.const 2)) (then (f32.store offset=8 (local.get $q) (f32x4.extract_lane 2 (local.get $e)))))))))
      (local.set $total (f64.add (f64x2.extract_lane 0 (local.get $sum)) (f64x2.extract_lane 1 (local.get $sum))))
      ;; softmax divides by the sum and needs no logarithm
      (if (local.get $kind) (then
        (local.set $logs (f32x4.extract_lane 0 (call $log (f32x4.splat (f32.demote_f64 (local.get $total))))))))
      (block $written
        (block $lse (block $logsoftmax (block $softmax
          (br_table $softmax $logsoftmax $lse (local.get $kind)))
          ;; softmax: divide the stored exponentials by the sum
          (local.set $scale (f32x4.splat (f32.demote_f64 (local.get $total))))
          (local.set $q (i32.add (local.get $out) (i32.sub (local.get $p) (local.get $x))))
          (local.set $vend (i32.add (local.get $q) (i32.sub (local.get $vend) (local.get $p))))
          (local.set $end (i32.add (local.get $q) (i32.sub (local.get $end) (local.get $p))))
          (block $dv (loop $divv
            (br_if $dv (i32.ge_u (local.get $q) (local.get $vend)))
            (v128.store (local.get $q) (f32x4.div (v128.load (local.get $q)) (local.get $scale)))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (br $divv)))
          (block $dt (loop $divt
            (br_if $dt (i32.ge_u (local.get $q) (local.get $end)))
            (f32.store (local.get $q) (f32.div (f32.load (local.get $q)) (f32x4.extract_lane 0 (local.get $scale))))
            (local.set $q (i32.add (local.get $q) (i32.const 4)))
            (br $divt)))
          (br $written))
          ;; logSoftmax: (x - m) - log s
          (local.set $scale (f32x4.splat (local.get $logs)))
          (local.set $q (local.get $p))
          (block $lv (loop $logv
            (br_if $lv (i32.ge_u (local.get $q) (local.get $vend)))
            (v128.store (i32.add (local.get $out) (i32.sub (local.get $q) (local.get $x)))
              (f32x4.sub (f32x4.sub (v128.load (local.get $q)) (local.get $mv)) (local.get $scale)))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (br $logv)))
          (block $lt (loop $logt
            (br_if $lt (i32.ge_u (local.get $q) (local.get $end)))
            (f32.store (i32.add (local.get $out) (i32.sub (local.get $q) (local.get $x)))
              (f32.sub (f32.sub (f32.load (local.get $q)) (local.get $m)) (local.get $logs)))
            (local.set $q (i32.add (local.get $q) (i32.const 4)))
            (br $logt)))
          (br $written))
        ;; logSumExp: one value a row
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $o) (i32.const 2))) (f32.add (local.get $logs) (local.get $m))))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (br $rows)))))
