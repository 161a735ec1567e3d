/**
 * Whether this runtime has WebAssembly relaxed SIMD (fused multiply-add): Node 20 only with
 * --experimental-wasm-relaxed-simd, Node 24 and recent Electron by default. Probed by validating
 * a module of one function, `f32x4.relaxed_madd` of three zero vectors.
 */
const ZERO_VECTOR = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const BODY = [0x00, ...ZERO_VECTOR, ...ZERO_VECTOR, ...ZERO_VECTOR, 0xfd, 0x85, 0x02, 0x0b];
const PROBE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // one type: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x0a, BODY.length + 2, 0x01, BODY.length, ...BODY,
]);

export function relaxedSimdSupported(): boolean {
  try {
    return typeof WebAssembly === "object" && WebAssembly.validate(PROBE);
  } catch {
    return false;
  }
}
