;; Float32 convolution and pooling kernels on NHWC images (channels contiguous) at byte offsets
;; of the imported memory. Every kernel reads one image's geometry from a block of i32 fields at
;; $g (see below) and walks the output rows [from, to) of the whole batch (row r is image r / OH,
;; output row r % OH), so a caller splits a batch across threads by rows, or by whole images for
;; the kernels that add into the input's positions. Vector loops run over channels (four at a
;; time, then a scalar tail), so nothing is read or written past a pixel's channels. Kernels that
;; accumulate expect their output zeroed. The last parameter of each export is the calling
;; thread's number (threads.ts); only the depthwise filter gradient uses it.
;;
;; Geometry fields (byte offset: value): 0 inHeight, 4 inWidth, 8 inChannels, 12 filterHeight,
;; 16 filterWidth, 20 outChannels, 24 strideHeight, 28 strideWidth, 32 dilationHeight,
;; 36 dilationWidth, 40 padTop, 44 padLeft, 48 outHeight, 52 outWidth.
(module
  ;; Shared, so that arrays placed in it stay valid as it grows and worker threads can reach it.
  (import "env" "memory" (memory 1 65536 shared))

  ;; ---- runs of n contiguous floats (n ≥ 0) --------------------------------------------------

  ;; dst[i] = src[i]
  (func $copy (param $dst i32) (param $src i32) (param $n i32)
    (local $end i32) (local $vend i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone (loop $vectors
      (br_if $vdone (i32.ge_u (local.get $dst) (local.get $vend)))
      (v128.store (local.get $dst) (v128.load (local.get $src)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (br $vectors)))
    (block $tdone (loop $tail
      (br_if $tdone (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst) (f32.load (local.get $src)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (br $tail))))

  ;; dst[i] = 0
  (func $zero (param $dst i32) (param $n i32)
    (local $end i32) (local $vend i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone (loop $vectors
      (br_if $vdone (i32.ge_u (local.get $dst) (local.get $vend)))
      (v128.store (local.get $dst) (v128.const i32x4 0 0 0 0))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (br $vectors)))
    (block $tdone (loop $tail
      (br_if $tdone (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst) (f32.const 0))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (br $tail))))

  ;; dst[i] += src[i]
  (func $add (param $dst i32) (param $src i32) (param $n i32)
    (local $end i32) (local $vend i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone (loop $vectors
      (br_if $vdone (i32.ge_u (local.get $dst) (local.get $vend)))
      (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (v128.load (local.get $src))))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (br $vectors)))
    (block $tdone (loop $tail
      (br_if $tdone (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst)) (f32.load (local.get $src))))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (br $tail))))

  ;; dst[i] += a[i] · b[i]
  (func $madd (param $dst i32) (param $a i32) (param $b i32) (param $n i32)
    (local $end i32) (local $vend i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone (loop $vectors
      (br_if $vdone (i32.ge_u (local.get $dst) (local.get $vend)))
      (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst))
        (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (br $vectors)))
    (block $tdone (loop $tail
      (br_if $tdone (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst))
        (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b)))))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (br $tail))))

  ;; dst[i] += s · b[i]
  (func $madd_scaled (param $dst i32) (param $s f32) (param $b i32) (param $n i32)
    (local $end i32) (local $vend i32) (local $sv v128)
    (local.set $sv (f32x4.splat (local.get $s)))
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone (loop $vectors
      (br_if $vdone (i32.ge_u (local.get $dst) (local.get $vend)))
      (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (f32x4.mul (local.get $sv) (v128.load (local.get $b)))))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (br $vectors)))
    (block $tdone (loop $tail
      (br_if $tdone (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst)) (f32.mul (local.get $s) (f32.load (local.get $b)))))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (br $tail))))

  ;; Σ a[i] · b[i]
  (func $dot (param $a i32) (param $b i32) (param $n i32) (result f32)
    (local $end i32) (local $vend i32) (local $acc v128) (local $s f32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone (loop $vectors
      (br_if $vdone (i32.ge_u (local.get $a) (local.get $vend)))
      (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (br $vectors)))
    (local.set $s (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
    (block $tdone (loop $tail
      (br_if $tdone (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (br $tail)))
    (local.get $s))

  ;; ---- patch matrices ------------------------------------------------------------------------

  ;; Between an image batch at $x and its patch matrix at $cols, output rows [from, to): with
  ;; $fold 0 the patches are written (im2col, zeros where a tap falls in the padding), with
  ;; $fold 1 they are added back onto the pixels they came from (col2im). With unit dilation the
  ;; taps of one filter row inside the image are one contiguous run on both sides.
  (func $patches (param $g i32) (param $x i32) (param $cols i32) (param $from i32) (param $to i32) (param $fold i32)
    (local $H i32) (local $W i32) (local $C i32) (local $KW i32) (local $KH i32) (local $OH i32) (local $OW i32)
    (local $r i32) (local $n i32) (local $oh i32) (local $ow i32) (local $kh i32) (local $kw i32)
    (local $ih i32) (local $iw i32) (local $iw0 i32) (local $kw0 i32) (local $kw1 i32)
    (local $p i32) (local $row i32) (local $tapBytes i32) (local $filterRowBytes i32)
    (local.set $H (i32.load offset=0 (local.get $g)))
    (local.set $W (i32.load offset=4 (local.get $g)))
    (local.set $C (i32.load offset=8 (local.get $g)))
    (local.set $KH (i32.load offset=12 (local.get $g)))
    (local.set $KW (i32.load offset=16 (local.get $g)))
    (local.set $OH (i32.load offset=48 (local.get $g)))
    (local.set $OW (i32.load offset=52 (local.get $g)))
    (local.set $tapBytes (i32.shl (local.get $C) (i32.const 2)))
    (local.set $filterRowBytes (i32.mul (local.get $KW) (local.get $tapBytes)))
    (local.set $p (i32.add (local.get $cols)
      (i32.mul (i32.mul (local.get $from) (local.get $OW)) (i32.mul (local.get $KH) (local.get $filterRowBytes)))))
    (local.set $r (local.get $from))
    (block $rdone (loop $rows
      (br_if $rdone (i32.ge_u (local.get $r) (local.get $to)))
      (local.set $n (i32.div_u (local.get $r) (local.get $OH)))
      (local.set $oh (i32.rem_u (local.get $r) (local.get $OH)))
      (local.set $ow (i32.const 0))
      (block $odone (loop $pixels
        (br_if $odone (i32.ge_u (local.get $ow) (local.get $OW)))
        (local.set $iw0 (i32.sub (i32.mul (local.get $ow) (i32.load offset=28 (local.get $g))) (i32.load offset=44 (local.get $g))))
        (local.set $kh (i32.const 0))
        (block $khdone (loop $filterRows
          (br_if $khdone (i32.ge_u (local.get $kh) (local.get $KH)))
          (local.set $ih (i32.add (i32.sub (i32.mul (local.get $oh) (i32.load offset=24 (local.get $g))) (i32.load offset=40 (local.get $g)))
            (i32.mul (local.get $kh) (i32.load offset=32 (local.get $g)))))
          (if (i32.ge_u (local.get $ih) (local.get $H))
            (then (if (i32.eqz (local.get $fold)) (then (call $zero (local.get $p) (i32.mul (local.get $KW) (local.get $C))))))
            (else
              ;; The image row the taps read.
              (local.set $row (i32.add (local.get $x) (i32.mul (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $ih)) (local.get $W)) (local.get $tapBytes))))
              (if (i32.eq (i32.load offset=36 (local.get $g)) (i32.const 1))
                (then
                  ;; Taps [kw0, kw1) are inside the image.
                  (local.set $kw0 (select (i32.sub (i32.const 0) (local.get $iw0)) (i32.const 0) (i32.lt_s (local.get $iw0) (i32.const 0))))
                  (local.set $kw1 (i32.sub (local.get $W) (local.get $iw0)))
                  (if (i32.gt_s (local.get $kw0) (local.get $KW)) (then (local.set $kw0 (local.get $KW))))
                  (if (i32.gt_s (local.get $kw1) (local.get $KW)) (then (local.set $kw1 (local.get $KW))))
                  (if (i32.lt_s (local.get $kw1) (local.get $kw0)) (then (local.set $kw1 (local.get $kw0))))
                  (call $move (local.get $fold)
                    (i32.add (local.get $p) (i32.mul (local.get $kw0) (local.get $tapBytes)))
                    (i32.add (local.get $row) (i32.mul (i32.add (local.get $iw0) (local.get $kw0)) (local.get $tapBytes)))
                    (i32.mul (i32.sub (local.get $kw1) (local.get $kw0)) (local.get $C)))
                  ;; Calls cost about what a short run does: none for empty runs.
                  (if (i32.and (i32.eqz (local.get $fold)) (i32.gt_s (local.get $kw0) (i32.const 0)))
                    (then (call $zero (local.get $p) (i32.mul (local.get $kw0) (local.get $C)))))
                  (if (i32.and (i32.eqz (local.get $fold)) (i32.lt_s (local.get $kw1) (local.get $KW)))
                    (then (call $zero (i32.add (local.get $p) (i32.mul (local.get $kw1) (local.get $tapBytes)))
                      (i32.mul (i32.sub (local.get $KW) (local.get $kw1)) (local.get $C))))))
                (else
                  (local.set $kw (i32.const 0))
                  (block $kwdone (loop $taps
                    (br_if $kwdone (i32.ge_u (local.get $kw) (local.get $KW)))
                    (local.set $iw (i32.add (local.get $iw0) (i32.mul (local.get $kw) (i32.load offset=36 (local.get $g)))))
                    (if (i32.lt_u (local.get $iw) (local.get $W))
                      (then (call $move (local.get $fold) (i32.add (local.get $p) (i32.mul (local.get $kw) (local.get $tapBytes)))
                        (i32.add (local.get $row) (i32.mul (local.get $iw) (local.get $tapBytes))) (local.get $C)))
                      (else (if (i32.eqz (local.get $fold))
                        (then (call $zero (i32.add (local.get $p) (i32.mul (local.get $kw) (local.get $tapBytes))) (local.get $C))))))
                    (local.set $kw (i32.add (local.get $kw) (i32.const 1)))
                    (br $taps)))))))
          (local.set $p (i32.add (local.get $p) (local.get $filterRowBytes)))
          (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
          (br $filterRows)))
        (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
        (br $pixels)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows))))

  ;; im2col copies pixel → patch; col2im adds patch → pixel. One channel (grey images) is
  ;; common enough, and its runs short enough, for a loop of its own.
  (func $move (param $fold i32) (param $patch i32) (param $pixel i32) (param $n i32)
    (local $end i32)
    (if (i32.lt_u (local.get $n) (i32.const 4)) (then
      (local.set $end (i32.add (local.get $patch) (i32.shl (local.get $n) (i32.const 2))))
      (block $done (loop $floats
        (br_if $done (i32.ge_u (local.get $patch) (local.get $end)))
        (if (local.get $fold)
          (then (f32.store (local.get $pixel) (f32.add (f32.load (local.get $pixel)) (f32.load (local.get $patch)))))
          (else (f32.store (local.get $patch) (f32.load (local.get $pixel)))))
        (local.set $patch (i32.add (local.get $patch) (i32.const 4)))
        (local.set $pixel (i32.add (local.get $pixel) (i32.const 4)))
        (br $floats)))
      (return)))
    (if (local.get $fold)
      (then (call $add (local.get $pixel) (local.get $patch) (local.get $n)))
      (else (call $copy (local.get $patch) (local.get $pixel) (local.get $n)))))

  (func (export "im2col") (param $g i32) (param $x i32) (param $cols i32) (param $from i32) (param $to i32) (param $thread i32)
    (call $patches (local.get $g) (local.get $x) (local.get $cols) (local.get $from) (local.get $to) (i32.const 0)))

  (func (export "col2im") (param $g i32) (param $cols i32) (param $x i32) (param $from i32) (param $to i32) (param $thread i32)
    (call $patches (local.get $g) (local.get $x) (local.get $cols) (local.get $from) (local.get $to) (i32.const 1)))

  ;; ---- depthwise convolution -----------------------------------------------------------------

  ;; Every (output pixel, filter tap inside the image) pair of rows [from, to), M = outChannels /
  ;; inChannels. With x the input, w the filter and y the output, each pair adds, over channels
  ;; c and multipliers m, one product into one of the three arrays:
  ;;   $kind 0 (forward):  y[o + cM + m] += x[i + c] · w[f + cM + m]   ($a x, $b w, $c y)
  ;;   $kind 1 (input):    x[i + c] += y[o + cM + m] · w[f + cM + m]   ($a dy, $b w, $c dx)
  ;;   $kind 2 (filter):   w[f + cM + m] += x[i + c] · y[o + cM + m]   ($a x, $b dy, $c dw)
  (func $depthwise (param $g i32) (param $a i32) (param $b i32) (param $c i32) (param $from i32) (param $to i32) (param $kind i32)
    (local $H i32) (local $W i32) (local $C i32) (local $KH i32) (local $KW i32) (local $CM i32) (local $M i32)
    (local $OH i32) (local $OW i32) (local $r i32) (local $n i32) (local $oh i32) (local $ow i32) (local $kh i32) (local $kw i32)
    (local $ih i32) (local $iw i32) (local $i i32) (local $o i32) (local $f i32) (local $ch i32)
    (local $dst i32) (local $p i32) (local $q i32) (local $mBytes i32)
    (local.set $H (i32.load offset=0 (local.get $g)))
    (local.set $W (i32.load offset=4 (local.get $g)))
    (local.set $C (i32.load offset=8 (local.get $g)))
    (local.set $KH (i32.load offset=12 (local.get $g)))
    (local.set $KW (i32.load offset=16 (local.get $g)))
    (local.set $CM (i32.load offset=20 (local.get $g)))
    (local.set $OH (i32.load offset=48 (local.get $g)))
    (local.set $OW (i32.load offset=52 (local.get $g)))
    (local.set $M (i32.div_u (local.get $CM) (local.get $C)))
    (local.set $mBytes (i32.shl (local.get $M) (i32.const 2)))
    (local.set $r (local.get $from))
    (block $rdone (loop $rows
      (br_if $rdone (i32.ge_u (local.get $r) (local.get $to)))
      (local.set $n (i32.div_u (local.get $r) (local.get $OH)))
      (local.set $oh (i32.rem_u (local.get $r) (local.get $OH)))
      (local.set $ow (i32.const 0))
      (block $odone (loop $pixels
        (br_if $odone (i32.ge_u (local.get $ow) (local.get $OW)))
        ;; Byte offsets of the output pixel within y.
        (local.set $o (i32.shl (i32.mul (i32.add (i32.mul (local.get $r) (local.get $OW)) (local.get $ow)) (local.get $CM)) (i32.const 2)))
        (local.set $kh (i32.const 0))
        (block $khdone (loop $filterRows
          (br_if $khdone (i32.ge_u (local.get $kh) (local.get $KH)))
          (local.set $ih (i32.add (i32.sub (i32.mul (local.get $oh) (i32.load offset=24 (local.get $g))) (i32.load offset=40 (local.get $g)))
            (i32.mul (local.get $kh) (i32.load offset=32 (local.get $g)))))
          (if (i32.lt_u (local.get $ih) (local.get $H)) (then
            (local.set $kw (i32.const 0))
            (block $kwdone (loop $taps
              (br_if $kwdone (i32.ge_u (local.get $kw) (local.get $KW)))
              (local.set $iw (i32.add (i32.sub (i32.mul (local.get $ow) (i32.load offset=28 (local.get $g))) (i32.load offset=44 (local.get $g)))
                (i32.mul (local.get $kw) (i32.load offset=36 (local.get $g)))))
              (if (i32.lt_u (local.get $iw) (local.get $W)) (then
                (local.set $i (i32.shl (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $ih)) (local.get $W)) (local.get $iw)) (local.get $C)) (i32.const 2)))
                (local.set $f (i32.shl (i32.mul (i32.add (i32.mul (local.get $kh) (local.get $KW)) (local.get $kw)) (local.get $CM)) (i32.const 2)))
                ;; dst, p and q: the accumulated array and the two factors, each at its own offset.
                (if (i32.eqz (local.get $kind))
                  (then (local.set $dst (i32.add (local.get $c) (local.get $o))) (local.set $p (i32.add (local.get $a) (local.get $i))) (local.set $q (i32.add (local.get $b) (local.get $f))))
                  (else (if (i32.eq (local.get $kind) (i32.const 1))
                    (then (local.set $dst (i32.add (local.get $c) (local.get $i))) (local.set $p (i32.add (local.get $a) (local.get $o))) (local.set $q (i32.add (local.get $b) (local.get $f))))
                    (else (local.set $dst (i32.add (local.get $c) (local.get $f))) (local.set $p (i32.add (local.get $a) (local.get $i))) (local.set $q (i32.add (local.get $b) (local.get $o)))))))
                (if (i32.eq (local.get $M) (i32.const 1))
                  (then (call $madd (local.get $dst) (local.get $p) (local.get $q) (local.get $C)))
                  (else
                    (local.set $ch (i32.const 0))
                    (block $cdone (loop $channels
                      (br_if $cdone (i32.ge_u (local.get $ch) (local.get $C)))
                      (if (i32.eq (local.get $kind) (i32.const 1))
                        ;; One input channel gathers its M products.
                        (then (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst)) (call $dot (local.get $p) (local.get $q) (local.get $M))))
                          (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
                          (local.set $p (i32.add (local.get $p) (local.get $mBytes))))
                        ;; One input channel's value scales M filter (or gradient) entries.
                        (else (call $madd_scaled (local.get $dst) (f32.load (local.get $p)) (local.get $q) (local.get $M))
                          (local.set $dst (i32.add (local.get $dst) (local.get $mBytes)))
                          (local.set $p (i32.add (local.get $p) (i32.const 4)))))
                      (local.set $q (i32.add (local.get $q) (local.get $mBytes)))
                      (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
                      (br $channels)))))))
              (local.set $kw (i32.add (local.get $kw) (i32.const 1)))
              (br $taps)))))
          (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
          (br $filterRows)))
        (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
        (br $pixels)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows))))

  (func (export "depthwise_forward") (param $g i32) (param $x i32) (param $w i32) (param $y i32) (param $from i32) (param $to i32) (param $thread i32)
    (call $depthwise (local.get $g) (local.get $x) (local.get $w) (local.get $y) (local.get $from) (local.get $to) (i32.const 0)))

  (func (export "depthwise_input") (param $g i32) (param $dy i32) (param $w i32) (param $dx i32) (param $from i32) (param $to i32) (param $thread i32)
    (call $depthwise (local.get $g) (local.get $dy) (local.get $w) (local.get $dx) (local.get $from) (local.get $to) (i32.const 1)))

  ;; Each thread adds into its own copy of dw, $stride bytes apart; the caller sums the copies.
  (func (export "depthwise_filter") (param $g i32) (param $x i32) (param $dy i32) (param $dw i32) (param $stride i32) (param $from i32) (param $to i32) (param $thread i32)
    (call $depthwise (local.get $g) (local.get $x) (local.get $dy)
      (i32.add (local.get $dw) (i32.mul (local.get $thread) (local.get $stride))) (local.get $from) (local.get $to) (i32.const 2)))

  ;; ---- pooling ----------------------------------------------------------------------------------

  ;; The maximum of each window and its flat input index (i32 at $argmax, laid out as the
  ;; output), the first on ties; a NaN replaces whatever came before, as the reference's rule
  ;; does. A window wholly in the padding gives -Infinity at index -1.
  (func (export "max_pool") (param $g i32) (param $x i32) (param $out i32) (param $argmax i32) (param $from i32) (param $to i32) (param $thread i32)
    (local $H i32) (local $W i32) (local $C i32) (local $KH i32) (local $KW i32) (local $OH i32) (local $OW i32)
    (local $r i32) (local $n i32) (local $ow i32) (local $hs i32) (local $he i32) (local $ws i32) (local $we i32)
    (local $ih i32) (local $iw i32) (local $ch i32) (local $i i32) (local $o i32)
    (local $best v128) (local $index v128) (local $v v128) (local $take v128)
    (local $b f32) (local $t i32) (local $s f32)
    (local.set $H (i32.load offset=0 (local.get $g)))
    (local.set $W (i32.load offset=4 (local.get $g)))
    (local.set $C (i32.load offset=8 (local.get $g)))
    (local.set $KH (i32.load offset=12 (local.get $g)))
    (local.set $KW (i32.load offset=16 (local.get $g)))
    (local.set $OH (i32.load offset=48 (local.get $g)))
    (local.set $OW (i32.load offset=52 (local.get $g)))
    (local.set $r (local.get $from))
    (local.set $o (i32.mul (i32.mul (local.get $from) (local.get $OW)) (local.get $C)))
    (block $rdone (loop $rows
      (br_if $rdone (i32.ge_u (local.get $r) (local.get $to)))
      (local.set $n (i32.div_u (local.get $r) (local.get $OH)))
      (local.set $hs (i32.sub (i32.mul (i32.rem_u (local.get $r) (local.get $OH)) (i32.load offset=24 (local.get $g))) (i32.load offset=40 (local.get $g))))
      (local.set $he (i32.add (local.get $hs) (local.get $KH)))
      (if (i32.lt_s (local.get $hs) (i32.const 0)) (then (local.set $hs (i32.const 0))))
      (if (i32.gt_s (local.get $he) (local.get $H)) (then (local.set $he (local.get $H))))
      (local.set $ow (i32.const 0))
      (block $odone (loop $pixels
        (br_if $odone (i32.ge_u (local.get $ow) (local.get $OW)))
        (local.set $ws (i32.sub (i32.mul (local.get $ow) (i32.load offset=28 (local.get $g))) (i32.load offset=44 (local.get $g))))
        (local.set $we (i32.add (local.get $ws) (local.get $KW)))
        (if (i32.lt_s (local.get $ws) (i32.const 0)) (then (local.set $ws (i32.const 0))))
        (if (i32.gt_s (local.get $we) (local.get $W)) (then (local.set $we (local.get $W))))
        (local.set $ch (i32.const 0))
        ;; Four channels at a time: every tap compared, including the first against itself.
        (block $vdone (loop $vectors
          (br_if $vdone (i32.gt_u (i32.add (local.get $ch) (i32.const 4)) (local.get $C)))
          (local.set $best (f32x4.splat (f32.const -inf)))
          (local.set $index (i32x4.splat (i32.const -1)))
          (if (i32.and (i32.lt_s (local.get $hs) (local.get $he)) (i32.lt_s (local.get $ws) (local.get $we))) (then
            (local.set $i (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $hs)) (local.get $W)) (local.get $ws)) (local.get $C)) (local.get $ch)))
            (local.set $best (v128.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
            (local.set $index (i32x4.add (i32x4.splat (local.get $i)) (v128.const i32x4 0 1 2 3)))
            (local.set $ih (local.get $hs))
            (loop $windowRows
              (local.set $iw (local.get $ws))
              (loop $windowTaps
                (local.set $i (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $ih)) (local.get $W)) (local.get $iw)) (local.get $C)) (local.get $ch)))
                (local.set $v (v128.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
                (local.set $take (v128.or (f32x4.gt (local.get $v) (local.get $best)) (f32x4.ne (local.get $v) (local.get $v))))
                (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $take)))
                (local.set $index (v128.bitselect (i32x4.add (i32x4.splat (local.get $i)) (v128.const i32x4 0 1 2 3)) (local.get $index) (local.get $take)))
                (local.set $iw (i32.add (local.get $iw) (i32.const 1)))
                (br_if $windowTaps (i32.lt_s (local.get $iw) (local.get $we))))
              (local.set $ih (i32.add (local.get $ih) (i32.const 1)))
              (br_if $windowRows (i32.lt_s (local.get $ih) (local.get $he))))))
          (v128.store (i32.add (local.get $out) (i32.shl (i32.add (local.get $o) (local.get $ch)) (i32.const 2))) (local.get $best))
          (v128.store (i32.add (local.get $argmax) (i32.shl (i32.add (local.get $o) (local.get $ch)) (i32.const 2))) (local.get $index))
          (local.set $ch (i32.add (local.get $ch) (i32.const 4)))
          (br $vectors)))
        ;; The remaining channels one at a time, by the same rule.
        (block $tdone (loop $tail
          (br_if $tdone (i32.ge_u (local.get $ch) (local.get $C)))
          (local.set $b (f32.const -inf))
          (local.set $t (i32.const -1))
          (local.set $ih (local.get $hs))
          (block $hdone (loop $windowRows
            (br_if $hdone (i32.ge_s (local.get $ih) (local.get $he)))
            (local.set $iw (local.get $ws))
            (block $wdone (loop $windowTaps
              (br_if $wdone (i32.ge_s (local.get $iw) (local.get $we)))
              (local.set $i (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $ih)) (local.get $W)) (local.get $iw)) (local.get $C)) (local.get $ch)))
              (local.set $s (f32.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
              (if (i32.or (i32.lt_s (local.get $t) (i32.const 0)) (i32.or (f32.gt (local.get $s) (local.get $b)) (f32.ne (local.get $s) (local.get $s))))
                (then (local.set $b (local.get $s)) (local.set $t (local.get $i))))
              (local.set $iw (i32.add (local.get $iw) (i32.const 1)))
              (br $windowTaps)))
            (local.set $ih (i32.add (local.get $ih) (i32.const 1)))
            (br $windowRows)))
          (f32.store (i32.add (local.get $out) (i32.shl (i32.add (local.get $o) (local.get $ch)) (i32.const 2))) (local.get $b))
          (i32.store (i32.add (local.get $argmax) (i32.shl (i32.add (local.get $o) (local.get $ch)) (i32.const 2))) (local.get $t))
          (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
          (br $tail)))
        (local.set $o (i32.add (local.get $o) (local.get $C)))
        (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
        (br $pixels)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows))))

  ;; Average pooling over the window positions inside the image: with $spread 0, a[x] → b[y]:
  ;; y = Σ x / count; with $spread 1, b[dy] → a[dx]: dx += dy / count at every position (the
  ;; gradient, dx zeroed by the caller).
  (func $average (param $g i32) (param $a i32) (param $b i32) (param $from i32) (param $to i32) (param $spread i32)
    (local $H i32) (local $W i32) (local $C i32) (local $KH i32) (local $KW i32) (local $OH i32) (local $OW i32)
    (local $r i32) (local $n i32) (local $ow i32) (local $hs i32) (local $he i32) (local $ws i32) (local $we i32)
    (local $ih i32) (local $iw i32) (local $ch i32) (local $at i32) (local $o i32) (local $count f32) (local $step i32)
    (local $acc v128) (local $s f32)
    (local.set $H (i32.load offset=0 (local.get $g)))
    (local.set $W (i32.load offset=4 (local.get $g)))
    (local.set $C (i32.load offset=8 (local.get $g)))
    (local.set $KH (i32.load offset=12 (local.get $g)))
    (local.set $KW (i32.load offset=16 (local.get $g)))
    (local.set $OH (i32.load offset=48 (local.get $g)))
    (local.set $OW (i32.load offset=52 (local.get $g)))
    (local.set $r (local.get $from))
    (local.set $o (i32.add (local.get $b) (i32.shl (i32.mul (i32.mul (local.get $from) (local.get $OW)) (local.get $C)) (i32.const 2))))
    (block $rdone (loop $rows
      (br_if $rdone (i32.ge_u (local.get $r) (local.get $to)))
      (local.set $n (i32.div_u (local.get $r) (local.get $OH)))
      (local.set $hs (i32.sub (i32.mul (i32.rem_u (local.get $r) (local.get $OH)) (i32.load offset=24 (local.get $g))) (i32.load offset=40 (local.get $g))))
      (local.set $he (i32.add (local.get $hs) (local.get $KH)))
      (if (i32.lt_s (local.get $hs) (i32.const 0)) (then (local.set $hs (i32.const 0))))
      (if (i32.gt_s (local.get $he) (local.get $H)) (then (local.set $he (local.get $H))))
      (if (i32.lt_s (local.get $he) (local.get $hs)) (then (local.set $he (local.get $hs))))
      (local.set $ow (i32.const 0))
      (block $odone (loop $pixels
        (br_if $odone (i32.ge_u (local.get $ow) (local.get $OW)))
        (local.set $ws (i32.sub (i32.mul (local.get $ow) (i32.load offset=28 (local.get $g))) (i32.load offset=44 (local.get $g))))
        (local.set $we (i32.add (local.get $ws) (local.get $KW)))
        (if (i32.lt_s (local.get $ws) (i32.const 0)) (then (local.set $ws (i32.const 0))))
        (if (i32.gt_s (local.get $we) (local.get $W)) (then (local.set $we (local.get $W))))
        (if (i32.lt_s (local.get $we) (local.get $ws)) (then (local.set $we (local.get $ws))))
        (local.set $count (f32.convert_i32_s (i32.mul (i32.sub (local.get $he) (local.get $hs)) (i32.sub (local.get $we) (local.get $ws)))))
        (local.set $ch (i32.const 0))
        ;; Four channels at a time, then one at a time: $step is the width of the current pass.
        (block $cdone (loop $channels
          (br_if $cdone (i32.ge_u (local.get $ch) (local.get $C)))
          (local.set $step (select (i32.const 4) (i32.const 1) (i32.le_u (i32.add (local.get $ch) (i32.const 4)) (local.get $C))))
          (if (local.get $spread)
            (then
              (local.set $acc (f32x4.div (v128.load (i32.add (local.get $o) (i32.shl (local.get $ch) (i32.const 2)))) (f32x4.splat (local.get $count))))
              (local.set $s (f32.div (f32.load (i32.add (local.get $o) (i32.shl (local.get $ch) (i32.const 2)))) (local.get $count))))
            (else
              (local.set $acc (v128.const i32x4 0 0 0 0))
              (local.set $s (f32.const 0))))
          (local.set $ih (local.get $hs))
          (block $hdone (loop $windowRows
            (br_if $hdone (i32.ge_s (local.get $ih) (local.get $he)))
            (local.set $iw (local.get $ws))
            (block $wdone (loop $windowTaps
              (br_if $wdone (i32.ge_s (local.get $iw) (local.get $we)))
              (local.set $at (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $ih)) (local.get $W)) (local.get $iw)) (local.get $C)) (local.get $ch)) (i32.const 2))))
              (if (i32.eq (local.get $step) (i32.const 4))
                (then (if (local.get $spread)
                  (then (v128.store (local.get $at) (f32x4.add (v128.load (local.get $at)) (local.get $acc))))
                  (else (local.set $acc (f32x4.add (local.get $acc) (v128.load (local.get $at)))))))
                (else (if (local.get $spread)
                  (then (f32.store (local.get $at) (f32.add (f32.load (local.get $at)) (local.get $s))))
                  (else (local.set $s (f32.add (local.get $s) (f32.load (local.get $at))))))))
              (local.set $iw (i32.add (local.get $iw) (i32.const 1)))
              (br $windowTaps)))
            (local.set $ih (i32.add (local.get $ih) (i32.const 1)))
            (br $windowRows)))
          (if (i32.eqz (local.get $spread)) (then
            (if (i32.eq (local.get $step) (i32.const 4))
              (then (v128.store (i32.add (local.get $o) (i32.shl (local.get $ch) (i32.const 2))) (f32x4.div (local.get $acc) (f32x4.splat (local.get $count)))))
              (else (f32.store (i32.add (local.get $o) (i32.shl (local.get $ch) (i32.const 2))) (f32.div (local.get $s) (local.get $count)))))))
          (local.set $ch (i32.add (local.get $ch) (local.get $step)))
          (br $channels)))
        (local.set $o (i32.add (local.get $o) (i32.shl (local.get $C) (i32.const 2))))
        (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
        (br $pixels)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows))))

  (func (export "avg_pool") (param $g i32) (param $x i32) (param $y i32) (param $from i32) (param $to i32) (param $thread i32)
    (call $average (local.get $g) (local.get $x) (local.get $y) (local.get $from) (local.get $to) (i32.const 0)))

  (func (export "avg_pool_grad") (param $g i32) (param $dy i32) (param $dx i32) (param $from i32) (param $to i32) (param $thread i32)
    (call $average (local.get $g) (local.get $dx) (local.get $dy) (local.get $from) (local.get $to) (i32.const 1)))

  ;; ---- max pooling's gradient and its adjoint, along the argmax ----------------------------

  ;; out[indices[k]] += values[k] for k < count (out zeroed by the caller).
  (func (export "scatter") (param $values i32) (param $indices i32) (param $count i32) (param $out i32) (param $thread i32)
    (local $end i32) (local $at i32)
    (local.set $end (i32.add (local.get $values) (i32.shl (local.get $count) (i32.const 2))))
    (block $done (loop $elements
      (br_if $done (i32.ge_u (local.get $values) (local.get $end)))
      (local.set $at (i32.add (local.get $out) (i32.shl (i32.load (local.get $indices)) (i32.const 2))))
      (f32.store (local.get $at) (f32.add (f32.load (local.get $at)) (f32.load (local.get $values))))
      (local.set $values (i32.add (local.get $values) (i32.const 4)))
      (local.set $indices (i32.add (local.get $indices) (i32.const 4)))
      (br $elements))))

  ;; out[k] = values[indices[k]] for k < count.
  (func (export "gather") (param $values i32) (param $indices i32) (param $count i32) (param $out i32) (param $thread i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))))
    (block $done (loop $elements
      (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
      (f32.store (local.get $out) (f32.load (i32.add (local.get $values) (i32.shl (i32.load (local.get $indices)) (i32.const 2)))))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $indices (i32.add (local.get $indices) (i32.const 4)))
      (br $elements))))
)
