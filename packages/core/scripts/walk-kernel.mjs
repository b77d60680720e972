#!/usr/bin/env node
// Generates the seeded-walk WebAssembly kernel of @scanplane/core from the templates below:
//   src/targets/walk-kernel.wat            the WebAssembly text, for reading and review
//   src/targets/walk-kernel-binary.ts      the same module, compiled with wabt and embedded as base64
// Run `pnpm --filter @scanplane/core gen:kernel` after editing this file. A unit test regenerates both and fails if
// the committed files differ, so the binary can never drift from its source.
//
// The kernel walks positions of a seeded order and writes IPv4 addresses. It implements exactly the mixed-radix
// Feistel network of src/targets/permutation.ts (MixedRadixFeistel: four rounds, keyed two-multiply mixer, digits
// in radix A × B, cycle walking) and the bucket-table lookup of src/targets/index-locator.ts, with the rounds inlined
// (the baseline compiler does not inline calls) and, in walk4, four positions per iteration in i32x4 lanes.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MIX1 = '0x9e3779b1';
const MIX2 = '0x85ebca77';

/** Scalar: mix(x) >>> 16. */
const mix16 = (x) =>
  `(i32.shr_u (i32.mul (i32.xor (local.tee $h (i32.mul ${x} (i32.const ${MIX1}))) (i32.shr_u (local.get $h) (i32.const 15))) (i32.const ${MIX2})) (i32.const 16))`;
/** Scalar round: digit = (digit + (mix16(other ^ key) * radix >>> 16)) mod radix, branch-free. */
const round = (digit, other, key, radix) => `
      (local.set $t (i32.sub (i32.add (local.get ${digit}) (i32.shr_u (i32.mul ${mix16(`(i32.xor (local.get ${other}) (local.get ${key}))`)} (local.get ${radix})) (i32.const 16))) (local.get ${radix})))
      (local.set ${digit} (i32.add (local.get $t) (i32.and (local.get ${radix}) (i32.shr_s (local.get $t) (i32.const 31)))))`;
/** Scalar encryption of digits (hi, lo) into ${out}. */
const encrypt = (hi, lo, out) =>
  `${round(hi, lo, '$k0', '$a')}${round(lo, hi, '$k1', '$b')}${round(hi, lo, '$k2', '$a')}${round(lo, hi, '$k3', '$b')}
      (local.set ${out} (i32.add (i32.mul (local.get ${hi}) (local.get $b)) (local.get ${lo})))`;
/** Vector versions of the same, four lanes at once. */
const vmix16 = (x) =>
  `(i32x4.shr_u (i32x4.mul (v128.xor (local.tee $vh (i32x4.mul ${x} (local.get $m1))) (i32x4.shr_u (local.get $vh) (i32.const 15))) (local.get $m2)) (i32.const 16))`;
const vround = (digit, other, key, radix) => `
      (local.set $vt (i32x4.sub (i32x4.add (local.get ${digit}) (i32x4.shr_u (i32x4.mul ${vmix16(`(v128.xor (local.get ${other}) (local.get ${key}))`)} (local.get ${radix})) (i32.const 16))) (local.get ${radix})))
      (local.set ${digit} (i32x4.add (local.get $vt) (v128.and (local.get ${radix}) (i32x4.shr_s (local.get $vt) (i32.const 31)))))`;

/** Walks $v back into [0, n) if needed, looks up its range and stores its address at $p + offset. */
const place = (label, offset) => `
      (block $inside${label}
        (loop $walk${label}
          (br_if $inside${label} (i32.le_u (local.get $v) (local.get $max)))
          (local.set $wh (i32.div_u (local.get $v) (local.get $b)))
          (local.set $wl (i32.sub (local.get $v) (i32.mul (local.get $wh) (local.get $b))))
          ${encrypt('$wh', '$wl', '$v')}
          (br $walk${label})))
      (local.set $bucket (i32.shr_u (local.get $v) (local.get $shift)))
      (local.set $lo (i32.load (i32.add (local.get $table) (i32.shl (local.get $bucket) (i32.const 2)))))
      (local.set $hi (select
        (i32.load offset=4 (i32.add (local.get $table) (i32.shl (local.get $bucket) (i32.const 2))))
        (local.get $last)
        (i32.lt_u (i32.add (local.get $bucket) (i32.const 1)) (local.get $buckets))))
      (block $found${label}
        (loop $search${label}
          (br_if $found${label} (i32.ge_u (local.get $lo) (local.get $hi)))
          (local.set $mid (i32.shr_u (i32.add (i32.add (local.get $lo) (local.get $hi)) (i32.const 1)) (i32.const 1)))
          (local.set $c (i32.le_u (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $mid) (i32.const 2)))) (local.get $v)))
          (local.set $lo (select (local.get $mid) (local.get $lo) (local.get $c)))
          (local.set $hi (select (local.get $hi) (i32.sub (local.get $mid) (i32.const 1)) (local.get $c)))
          (br $search${label})))
      (i32.store offset=${offset} (local.get $p)
        (i32.add (i32.load (i32.add (local.get $starts) (i32.shl (local.get $lo) (i32.const 2))))
                 (i32.sub (local.get $v) (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $lo) (i32.const 2)))))))`;

const params = `(param $from i32) (param $count i32) (param $max i32) (param $a i32) (param $b i32)
        (param $k0 i32) (param $k1 i32) (param $k2 i32) (param $k3 i32)
        (param $starts i32) (param $offsets i32) (param $table i32) (param $buckets i32) (param $shift i32)
        (param $last i32) (param $out i32)`;
const scalarLocals = `(local $i i32) (local $high i32) (local $low i32) (local $v i32) (local $h i32) (local $t i32)
    (local $wh i32) (local $wl i32) (local $x i32) (local $y i32) (local $bucket i32) (local $lo i32) (local $hi i32)
    (local $mid i32) (local $c i32) (local $p i32)`;

export const WAT = `;; Generated by packages/core/scripts/walk-kernel.mjs: edit that file, then run pnpm gen:kernel.
;; walk(from, count, max, a, b, k0..k3, starts, offsets, table, buckets, shift, last, out): for positions
;; from .. from+count-1 of the seeded order, write the IPv4 address (u32) to out[i]. max = n - 1; a, b the radixes;
;; starts/offsets the ranges (u32 arrays, byte addresses), table the bucket table, last the index of the last range.
;; walk4 is the same with four positions per iteration (count a multiple of 4, b >= 4).
(module
  (memory (export "memory") 1)
  (func (export "walk") ${params}
    ${scalarLocals}
    (local.set $high (i32.div_u (local.get $from) (local.get $b)))
    (local.set $low (i32.sub (local.get $from) (i32.mul (local.get $high) (local.get $b))))
    (local.set $p (local.get $out))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $x (local.get $high))
        (local.set $y (local.get $low))
        ${encrypt('$x', '$y', '$v')}
        ${place('', 0)}
        (local.set $low (i32.add (local.get $low) (i32.const 1)))
        (if (i32.eq (local.get $low) (local.get $b))
          (then (local.set $low (i32.const 0)) (local.set $high (i32.add (local.get $high) (i32.const 1)))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))
  (func (export "walk4") ${params}
    ${scalarLocals}
    (local $vhi v128) (local $vlo v128) (local $vv v128) (local $vh v128) (local $vt v128) (local $va v128)
    (local $vb v128) (local $vk0 v128) (local $vk1 v128) (local $vk2 v128) (local $vk3 v128) (local $m1 v128)
    (local $m2 v128) (local $vx v128) (local $vy v128) (local $mask v128) (local $four v128)
    (local.set $va (i32x4.splat (local.get $a)))
    (local.set $vb (i32x4.splat (local.get $b)))
    (local.set $vk0 (i32x4.splat (local.get $k0)))
    (local.set $vk1 (i32x4.splat (local.get $k1)))
    (local.set $vk2 (i32x4.splat (local.get $k2)))
    (local.set $vk3 (i32x4.splat (local.get $k3)))
    (local.set $m1 (i32x4.splat (i32.const ${MIX1})))
    (local.set $m2 (i32x4.splat (i32.const ${MIX2})))
    (local.set $four (i32x4.splat (i32.const 4)))
    ;; Lane j holds position from + j as digits (high, low); b >= 4, so one carry per step is enough.
    (local.set $high (i32.div_u (local.get $from) (local.get $b)))
    (local.set $low (i32.sub (local.get $from) (i32.mul (local.get $high) (local.get $b))))
    (local.set $vhi (i32x4.splat (local.get $high)))
    (local.set $vlo (i32x4.add (i32x4.splat (local.get $low)) (v128.const i32x4 0 1 2 3)))
    (local.set $mask (i32x4.ge_u (local.get $vlo) (local.get $vb)))
    (local.set $vlo (i32x4.sub (local.get $vlo) (v128.and (local.get $mask) (local.get $vb))))
    (local.set $vhi (i32x4.sub (local.get $vhi) (local.get $mask)))
    (local.set $p (local.get $out))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $vx (local.get $vhi))
        (local.set $vy (local.get $vlo))
        ${vround('$vx', '$vy', '$vk0', '$va')}${vround('$vy', '$vx', '$vk1', '$vb')}${vround('$vx', '$vy', '$vk2', '$va')}${vround('$vy', '$vx', '$vk3', '$vb')}
        (local.set $vv (i32x4.add (i32x4.mul (local.get $vx) (local.get $vb)) (local.get $vy)))
        (local.set $v (i32x4.extract_lane 0 (local.get $vv)))
        ${place('0', 0)}
        (local.set $v (i32x4.extract_lane 1 (local.get $vv)))
        ${place('1', 4)}
        (local.set $v (i32x4.extract_lane 2 (local.get $vv)))
        ${place('2', 8)}
        (local.set $v (i32x4.extract_lane 3 (local.get $vv)))
        ${place('3', 12)}
        (local.set $vlo (i32x4.add (local.get $vlo) (local.get $four)))
        (local.set $mask (i32x4.ge_u (local.get $vlo) (local.get $vb)))
        (local.set $vlo (i32x4.sub (local.get $vlo) (v128.and (local.get $mask) (local.get $vb))))
        (local.set $vhi (i32x4.sub (local.get $vhi) (local.get $mask)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next)))))
`;

/** Compiles the text with wabt and returns the binary. */
export async function compileKernel() {
  const { default: initWabt } = await import('wabt');
  const wabt = await initWabt();
  const module = wabt.parseWat('walk-kernel.wat', WAT, { simd: true });
  module.validate();
  const { buffer } = module.toBinary({});
  module.destroy();
  return Buffer.from(buffer);
}

/** The TypeScript module embedding the binary. */
export function binaryModule(binary) {
  const base64 = binary.toString('base64');
  const lines = base64.match(/.{1,100}/g).map((line) => `  '${line}'`);
  return `// Generated by packages/core/scripts/walk-kernel.mjs from walk-kernel.wat: do not edit.

/** The seeded-walk WebAssembly kernel (${binary.length} bytes), base64. @internal */
export const WALK_KERNEL_BASE64 =
${lines.join(' +\n')};
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const binary = await compileKernel();
  writeFileSync(new URL('../src/targets/walk-kernel.wat', import.meta.url), WAT);
  writeFileSync(new URL('../src/targets/walk-kernel-binary.ts', import.meta.url), binaryModule(binary));
  console.log(`walk kernel: ${binary.length} bytes`);
}
