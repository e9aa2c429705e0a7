;; Bit-sliced Curl-P-81 on WebAssembly SIMD128: 256 lanes, one lane per bit of two v128 words.
;; Same transform as ../bitsliced.ts; index.ts loads this (assembled by scripts/build-wasm.mjs).
;;
;; A trit is two bit-planes (lo, hi): -1 = (1,0), 0 = (1,1), +1 = (0,1), as in bitsliced.ts. The
;; S-box in that form needs a NOT per plane word; storing lo and/or hi complemented instead, in a
;; cycle of three representations, makes every round 5 plain logic ops per word:
;;   N: (~lo, ~hi) -> C: (~lo, hi) -> D: (lo, ~hi) -> N ...
;; Inputs and results are in N (81 rounds = 27 cycles): a zero trit is (0,0), -1 is (0,1), +1 (1,0).
;;
;; State trit k occupies 64 bytes at base + 64k: X plane lanes 0..127, 128..255, then Y plane the
;; same. Lane j is bit j of the 256-bit little-endian plane (u32 word j >> 5, bit j & 31).
;;
;; Memory layout (byte offsets); each state has a 64-byte pad for the spare trit of odd rounds:
;;   TEMPLATE      0  729 trits: the input state; the caller writes it, rounds never do
;;   A         46720  729 trits: round scratch
;;   B         93440  729 trits: round scratch; holds the hash after $transform
;;   BT       140160  256 x 6 x i8: b1t6 trits of each byte value
;;   SCR      141696  32 bytes: zero-trit lane mask, read back as four i64 words
(module
  (memory (export "memory") 3)
  (global $TEMPLATE (export "template") i32 (i32.const 0))
  (global $B (export "result") i32 (i32.const 93440))

  (func $init
    (local $b i32) (local $v i32) (local $j i32) (local $r i32)
    ;; BT: each byte as a signed int8 in 6 balanced trits, least significant first (TIP-5).
    (loop $byte
      (local.set $v
        (select (local.get $b) (i32.sub (local.get $b) (i32.const 256))
          (i32.lt_u (local.get $b) (i32.const 128))))
      (local.set $j (i32.const 0))
      (loop $trit
        (local.set $r (i32.rem_s (local.get $v) (i32.const 3)))
        (if (i32.eq (local.get $r) (i32.const 2)) (then (local.set $r (i32.const -1))))
        (if (i32.eq (local.get $r) (i32.const -2)) (then (local.set $r (i32.const 1))))
        (i32.store8 offset=140160
          (i32.add (i32.mul (local.get $b) (i32.const 6)) (local.get $j)) (local.get $r))
        (local.set $v (i32.div_s (i32.sub (local.get $v) (local.get $r)) (i32.const 3)))
        (br_if $trit (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (i32.const 6))))
      (br_if $byte (i32.lt_u (local.tee $b (i32.add (local.get $b) (i32.const 1))) (i32.const 256)))))
  (start $init)

  ;; A round computes dst[i] = S(src[p(i)], src[p(i + 1)]) for i < n. p(2m + 1) = 364 - m and
  ;; p(2m + 2) = 728 - m, so two pointers walking down replace an index table, and each step's
  ;; second operand (carried in locals) is the next step's first: every trit is loaded once. Outputs
  ;; come in pairs; an odd n writes one spare trit (the 64-byte pad after each state).
  ;; X, Y are the stored planes of a trit's lo, hi; a is the first operand, b the second.
  ;; Round N (~lo, ~hi) -> C (~lo, hi): d = (Xb ^ Ya) & ~(Xa & ~Yb); X' = d; Y' = (Xa ^ Yb) | d.
  (func $roundN (param $src i32) (param $dst i32) (param $n i32)
    (local $pl i32) (local $ph i32) (local $end i32) (local $d v128)
    (local $ax0 v128) (local $ax1 v128) (local $ay0 v128) (local $ay1 v128)
    (local $bx0 v128) (local $bx1 v128) (local $by0 v128) (local $by1 v128)
    (local.set $ax0 (v128.load offset=0 (local.get $src)))
    (local.set $ax1 (v128.load offset=16 (local.get $src)))
    (local.set $ay0 (v128.load offset=32 (local.get $src)))
    (local.set $ay1 (v128.load offset=48 (local.get $src)))
    (local.set $pl (i32.add (local.get $src) (i32.const 23296))) ;; 64 * 364
    (local.set $ph (i32.add (local.get $src) (i32.const 46592))) ;; 64 * 728
    (local.set $end (i32.add (local.get $dst)
      (i32.shl (i32.shr_u (i32.add (local.get $n) (i32.const 1)) (i32.const 1)) (i32.const 7))))
    (loop $l
      (local.set $bx0 (v128.load offset=0 (local.get $pl)))
      (local.set $bx1 (v128.load offset=16 (local.get $pl)))
      (local.set $by0 (v128.load offset=32 (local.get $pl)))
      (local.set $by1 (v128.load offset=48 (local.get $pl)))
      (local.set $d (v128.andnot (v128.xor (local.get $bx0) (local.get $ay0)) (v128.andnot (local.get $ax0) (local.get $by0))))
      (v128.store offset=0 (local.get $dst) (local.get $d))
      (v128.store offset=32 (local.get $dst) (v128.or (v128.xor (local.get $ax0) (local.get $by0)) (local.get $d)))
      (local.set $d (v128.andnot (v128.xor (local.get $bx1) (local.get $ay1)) (v128.andnot (local.get $ax1) (local.get $by1))))
      (v128.store offset=16 (local.get $dst) (local.get $d))
      (v128.store offset=48 (local.get $dst) (v128.or (v128.xor (local.get $ax1) (local.get $by1)) (local.get $d)))
      (local.set $ax0 (v128.load offset=0 (local.get $ph)))
      (local.set $ax1 (v128.load offset=16 (local.get $ph)))
      (local.set $ay0 (v128.load offset=32 (local.get $ph)))
      (local.set $ay1 (v128.load offset=48 (local.get $ph)))
      (local.set $d (v128.andnot (v128.xor (local.get $ax0) (local.get $by0)) (v128.andnot (local.get $bx0) (local.get $ay0))))
      (v128.store offset=64 (local.get $dst) (local.get $d))
      (v128.store offset=96 (local.get $dst) (v128.or (v128.xor (local.get $bx0) (local.get $ay0)) (local.get $d)))
      (local.set $d (v128.andnot (v128.xor (local.get $ax1) (local.get $by1)) (v128.andnot (local.get $bx1) (local.get $ay1))))
      (v128.store offset=80 (local.get $dst) (local.get $d))
      (v128.store offset=112 (local.get $dst) (v128.or (v128.xor (local.get $bx1) (local.get $ay1)) (local.get $d)))
      (local.set $pl (i32.sub (local.get $pl) (i32.const 64)))
      (local.set $ph (i32.sub (local.get $ph) (i32.const 64)))
      (br_if $l (i32.ne (local.tee $dst (i32.add (local.get $dst) (i32.const 128))) (local.get $end)))))

  ;; Round C (~lo, hi) -> D (lo, ~hi): d = (Xa & Yb) | (Xb ^ Ya); X' = d; Y' = (Xa ^ Yb) & d.
  (func $roundC (param $src i32) (param $dst i32) (param $n i32)
    (local $pl i32) (local $ph i32) (local $end i32) (local $d v128)
    (local $ax0 v128) (local $ax1 v128) (local $ay0 v128) (local $ay1 v128)
    (local $bx0 v128) (local $bx1 v128) (local $by0 v128) (local $by1 v128)
    (local.set $ax0 (v128.load offset=0 (local.get $src)))
    (local.set $ax1 (v128.load offset=16 (local.get $src)))
    (local.set $ay0 (v128.load offset=32 (local.get $src)))
    (local.set $ay1 (v128.load offset=48 (local.get $src)))
    (local.set $pl (i32.add (local.get $src) (i32.const 23296))) ;; 64 * 364
    (local.set $ph (i32.add (local.get $src) (i32.const 46592))) ;; 64 * 728
    (local.set $end (i32.add (local.get $dst)
      (i32.shl (i32.shr_u (i32.add (local.get $n) (i32.const 1)) (i32.const 1)) (i32.const 7))))
    (loop $l
      (local.set $bx0 (v128.load offset=0 (local.get $pl)))
      (local.set $bx1 (v128.load offset=16 (local.get $pl)))
      (local.set $by0 (v128.load offset=32 (local.get $pl)))
      (local.set $by1 (v128.load offset=48 (local.get $pl)))
      (local.set $d (v128.or (v128.and (local.get $ax0) (local.get $by0)) (v128.xor (local.get $bx0) (local.get $ay0))))
      (v128.store offset=0 (local.get $dst) (local.get $d))
      (v128.store offset=32 (local.get $dst) (v128.and (v128.xor (local.get $ax0) (local.get $by0)) (local.get $d)))
      (local.set $d (v128.or (v128.and (local.get $ax1) (local.get $by1)) (v128.xor (local.get $bx1) (local.get $ay1))))
      (v128.store offset=16 (local.get $dst) (local.get $d))
      (v128.store offset=48 (local.get $dst) (v128.and (v128.xor (local.get $ax1) (local.get $by1)) (local.get $d)))
      (local.set $ax0 (v128.load offset=0 (local.get $ph)))
      (local.set $ax1 (v128.load offset=16 (local.get $ph)))
      (local.set $ay0 (v128.load offset=32 (local.get $ph)))
      (local.set $ay1 (v128.load offset=48 (local.get $ph)))
      (local.set $d (v128.or (v128.and (local.get $bx0) (local.get $ay0)) (v128.xor (local.get $ax0) (local.get $by0))))
      (v128.store offset=64 (local.get $dst) (local.get $d))
      (v128.store offset=96 (local.get $dst) (v128.and (v128.xor (local.get $bx0) (local.get $ay0)) (local.get $d)))
      (local.set $d (v128.or (v128.and (local.get $bx1) (local.get $ay1)) (v128.xor (local.get $ax1) (local.get $by1))))
      (v128.store offset=80 (local.get $dst) (local.get $d))
      (v128.store offset=112 (local.get $dst) (v128.and (v128.xor (local.get $bx1) (local.get $ay1)) (local.get $d)))
      (local.set $pl (i32.sub (local.get $pl) (i32.const 64)))
      (local.set $ph (i32.sub (local.get $ph) (i32.const 64)))
      (br_if $l (i32.ne (local.tee $dst (i32.add (local.get $dst) (i32.const 128))) (local.get $end)))))

  ;; Round D (lo, ~hi) -> N (~lo, ~hi): d = (Xa | Yb) & ~(Xb ^ Ya); X' = d; Y' = (Xa ^ Yb) & ~d.
  (func $roundD (param $src i32) (param $dst i32) (param $n i32)
    (local $pl i32) (local $ph i32) (local $end i32) (local $d v128)
    (local $ax0 v128) (local $ax1 v128) (local $ay0 v128) (local $ay1 v128)
    (local $bx0 v128) (local $bx1 v128) (local $by0 v128) (local $by1 v128)
    (local.set $ax0 (v128.load offset=0 (local.get $src)))
    (local.set $ax1 (v128.load offset=16 (local.get $src)))
    (local.set $ay0 (v128.load offset=32 (local.get $src)))
    (local.set $ay1 (v128.load offset=48 (local.get $src)))
    (local.set $pl (i32.add (local.get $src) (i32.const 23296))) ;; 64 * 364
    (local.set $ph (i32.add (local.get $src) (i32.const 46592))) ;; 64 * 728
    (local.set $end (i32.add (local.get $dst)
      (i32.shl (i32.shr_u (i32.add (local.get $n) (i32.const 1)) (i32.const 1)) (i32.const 7))))
    (loop $l
      (local.set $bx0 (v128.load offset=0 (local.get $pl)))
      (local.set $bx1 (v128.load offset=16 (local.get $pl)))
      (local.set $by0 (v128.load offset=32 (local.get $pl)))
      (local.set $by1 (v128.load offset=48 (local.get $pl)))
      (local.set $d (v128.andnot (v128.or (local.get $ax0) (local.get $by0)) (v128.xor (local.get $bx0) (local.get $ay0))))
      (v128.store offset=0 (local.get $dst) (local.get $d))
      (v128.store offset=32 (local.get $dst) (v128.andnot (v128.xor (local.get $ax0) (local.get $by0)) (local.get $d)))
      (local.set $d (v128.andnot (v128.or (local.get $ax1) (local.get $by1)) (v128.xor (local.get $bx1) (local.get $ay1))))
      (v128.store offset=16 (local.get $dst) (local.get $d))
      (v128.store offset=48 (local.get $dst) (v128.andnot (v128.xor (local.get $ax1) (local.get $by1)) (local.get $d)))
      (local.set $ax0 (v128.load offset=0 (local.get $ph)))
      (local.set $ax1 (v128.load offset=16 (local.get $ph)))
      (local.set $ay0 (v128.load offset=32 (local.get $ph)))
      (local.set $ay1 (v128.load offset=48 (local.get $ph)))
      (local.set $d (v128.andnot (v128.or (local.get $bx0) (local.get $ay0)) (v128.xor (local.get $ax0) (local.get $by0))))
      (v128.store offset=64 (local.get $dst) (local.get $d))
      (v128.store offset=96 (local.get $dst) (v128.andnot (v128.xor (local.get $bx0) (local.get $ay0)) (local.get $d)))
      (local.set $d (v128.andnot (v128.or (local.get $bx1) (local.get $ay1)) (v128.xor (local.get $ax1) (local.get $by1))))
      (v128.store offset=80 (local.get $dst) (local.get $d))
      (v128.store offset=112 (local.get $dst) (v128.andnot (v128.xor (local.get $bx1) (local.get $ay1)) (local.get $d)))
      (local.set $pl (i32.sub (local.get $pl) (i32.const 64)))
      (local.set $ph (i32.sub (local.get $ph) (i32.const 64)))
      (br_if $l (i32.ne (local.tee $dst (i32.add (local.get $dst) (i32.const 128))) (local.get $end)))))

  ;; 81 rounds from TEMPLATE into B (TEMPLATE stays intact, so a batch needs no state copy). The
  ;; last round computes only the first $last trits: the hash is 243 of them.
  (func $transform (param $last i32)
    (local $c i32) (local $src i32) (local $dst i32)
    (local.set $dst (i32.const 93440))
    (loop $l
      (call $roundN (local.get $src) (local.get $dst) (i32.const 729))
      (local.set $src (local.get $dst))
      (local.set $dst (i32.sub (i32.const 140160) (local.get $dst))) ;; A <-> B
      (call $roundC (local.get $src) (local.get $dst) (i32.const 729))
      (local.set $src (local.get $dst))
      (local.set $dst (i32.sub (i32.const 140160) (local.get $dst)))
      (call $roundD (local.get $src) (local.get $dst)
        (select (local.get $last) (i32.const 729) (i32.eq (local.get $c) (i32.const 26))))
      (local.set $src (local.get $dst))
      (local.set $dst (i32.sub (i32.const 140160) (local.get $dst)))
      (br_if $l (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 1))) (i32.const 27)))))
  ;; Hashes the 256 inputs in TEMPLATE; the 243 hash trits land in B ("result").
  (func (export "hash")
    (call $transform (i32.const 243)))

  ;; Mines `batches` batches of 256 nonces: batch b, lane j is nonce base + 256b + j (base is a
  ;; multiple of 256, so lane j's nonce byte 0 is j: TEMPLATE trits 192..197 hold that pattern, set
  ;; by the caller with the digest). Lanes below $first in batch 0 and from $end on in the last batch
  ;; are outside the range. Returns 256b + j of the first nonce whose hash ends in $target zero
  ;; trits, or -1. Writes nonce bytes 1..7 (trits 198..239) of each batch into TEMPLATE.
  (func (export "mine")
    (param $target i32) (param $base i64) (param $first i32) (param $end i32) (param $batches i32)
    (result i32)
    (local $b i32) (local $x i64) (local $ptr i32) (local $bt i32) (local $t i32) (local $k i32)
    (local $lo v128) (local $hi v128) (local $z0 v128) (local $z1 v128)
    (local $w i64) (local $wi i32) (local $s i32) (local $min i32) (local $lane i32)
    (loop $batch
      ;; Bytes 1..7 of the nonce: the same in every lane, so each trit is a splatted mask.
      (local.set $x (i64.add (i64.shr_u (local.get $base) (i64.const 8)) (i64.extend_i32_u (local.get $b))))
      (local.set $ptr (i32.const 12672)) ;; 64 * 198
      (loop $byte
        (local.set $bt (i32.mul (i32.and (i32.wrap_i64 (local.get $x)) (i32.const 255)) (i32.const 6)))
        (local.set $k (i32.const 0))
        (loop $trit
          (local.set $t (i32.load8_s offset=140160 (i32.add (local.get $bt) (local.get $k))))
          ;; Representation N: X = (t == +1), Y = (t == -1).
          (local.set $lo (i32x4.splat (i32.sub (i32.const 0) (i32.eq (local.get $t) (i32.const 1)))))
          (local.set $hi (i32x4.splat (i32.sub (i32.const 0) (i32.eq (local.get $t) (i32.const -1)))))
          (v128.store offset=0 (local.get $ptr) (local.get $lo))
          (v128.store offset=16 (local.get $ptr) (local.get $lo))
          (v128.store offset=32 (local.get $ptr) (local.get $hi))
          (v128.store offset=48 (local.get $ptr) (local.get $hi))
          (local.set $ptr (i32.add (local.get $ptr) (i32.const 64)))
          (br_if $trit (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (i32.const 6))))
        (local.set $x (i64.shr_u (local.get $x) (i64.const 8)))
        (br_if $byte (i32.lt_u (local.get $ptr) (i32.const 15360)))) ;; 64 * 240
      (call $transform (i32.const 243))
      ;; A lane's hash ends in $target zeros when both planes are clear on trits 242 down to 243 - $target.
      (local.set $z0 (v128.const i32x4 -1 -1 -1 -1))
      (local.set $z1 (v128.const i32x4 -1 -1 -1 -1))
      (local.set $ptr (i32.const 108928)) ;; B + 64 * 242
      (local.set $k (local.get $target))
      (block $done
        (loop $zeros
          (br_if $done (i32.eqz (local.get $k)))
          (local.set $z0 (v128.andnot (local.get $z0)
            (v128.or (v128.load offset=0 (local.get $ptr)) (v128.load offset=32 (local.get $ptr)))))
          (local.set $z1 (v128.andnot (local.get $z1)
            (v128.or (v128.load offset=16 (local.get $ptr)) (v128.load offset=48 (local.get $ptr)))))
          (local.set $ptr (i32.sub (local.get $ptr) (i32.const 64)))
          (local.set $k (i32.sub (local.get $k) (i32.const 1)))
          (br $zeros)))
      (if (v128.any_true (v128.or (local.get $z0) (local.get $z1)))
        (then
          (v128.store offset=141696 (i32.const 0) (local.get $z0))
          (v128.store offset=141712 (i32.const 0) (local.get $z1))
          (local.set $min (select (local.get $first) (i32.const 0) (i32.eqz (local.get $b))))
          (local.set $wi (i32.const 0))
          (loop $word
            (local.set $w (i64.load offset=141696 (i32.shl (local.get $wi) (i32.const 3))))
            ;; Drop lanes below $min (only in batch 0).
            (local.set $s (i32.sub (local.get $min) (i32.shl (local.get $wi) (i32.const 6))))
            (if (i32.ge_s (local.get $s) (i32.const 64))
              (then (local.set $w (i64.const 0)))
              (else (if (i32.gt_s (local.get $s) (i32.const 0))
                (then (local.set $w (i64.and (local.get $w)
                  (i64.shl (i64.const -1) (i64.extend_i32_u (local.get $s)))))))))
            (if (i64.ne (local.get $w) (i64.const 0))
              (then
                (local.set $lane (i32.add (i32.shl (local.get $wi) (i32.const 6))
                  (i32.wrap_i64 (i64.ctz (local.get $w)))))
                ;; The lowest hit past the range end means no hit in range.
                (if (i32.and
                      (i32.eq (local.get $b) (i32.sub (local.get $batches) (i32.const 1)))
                      (i32.ge_u (local.get $lane) (local.get $end)))
                  (then (return (i32.const -1))))
                (return (i32.add (i32.shl (local.get $b) (i32.const 8)) (local.get $lane)))))
            (br_if $word (i32.lt_u (local.tee $wi (i32.add (local.get $wi) (i32.const 1))) (i32.const 4))))))
      (br_if $batch (i32.lt_u (local.tee $b (i32.add (local.get $b) (i32.const 1))) (local.get $batches))))
    (i32.const -1)))
