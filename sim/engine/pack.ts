/**
 * Packing of signed lane values into stream beats (value i of a beat at bits
 * [i·bits +: bits], two's complement) in the simulation job's beat format:
 * ⌈width/8⌉ little-endian tdata bytes then a flag byte (bit0 = tlast).
 * Works on bytes directly: a layer's streams are hundreds of thousands of beats.
 */

/** ORs the low `bits` of `value` (two's complement) into `buf` at bit offset `bitOff`. */
function writeField(buf: Uint8Array, bitOff: number, value: number, bits: number): void {
  // Reduce to an unsigned number below 2^bits without 32-bit bitwise overflow.
  let v = ((value % 2 ** bits) + 2 ** bits) % 2 ** bits;
  let pos = bitOff;
  let left = bits;
  while (left > 0) {
    const take = Math.min(8 - (pos & 7), left);
    buf[pos >> 3]! |= (v % 2 ** take) << (pos & 7);
    v = Math.floor(v / 2 ** take);
    pos += take;
    left -= take;
  }
}

/** Sign-extended field of `bits` (≤ 64) at bit offset `bitOff`. */
export function readSignedField(buf: Uint8Array, bitOff: number, bits: number): bigint {
  let v = 0n;
  for (let b = bits - 1; b >= 0; ) {
    const pos = bitOff + b;
    // Take whole bytes when aligned, else one bit: fields of the presets are byte-aligned.
    if ((pos & 7) === 7 && b >= 7) {
      v = (v << 8n) | BigInt(buf[pos >> 3]!);
      b -= 8;
    } else {
      v = (v << 1n) | BigInt((buf[pos >> 3]! >> (pos & 7)) & 1);
      b -= 1;
    }
  }
  return BigInt.asIntN(bits, v);
}

export function beatStride(width: number): number {
  return Math.ceil(width / 8) + 1;
}

/**
 * Beats for `rows` vectors: vector r is `src[(first + r)·rowStride + colOffset + c]` for
 * c < len, cut into ⌈len/lanes⌉ beats of `lanes` values, zero padded, tlast on each
 * vector's last beat.
 */
export function packVectors(
  src: Int32Array,
  first: number,
  rows: number,
  rowStride: number,
  colOffset: number,
  len: number,
  lanes: number,
  bits: number,
): Uint8Array {
  const perVector = Math.ceil(len / lanes);
  const stride = beatStride(lanes * bits);
  const out = new Uint8Array(rows * perVector * stride);
  for (let r = 0; r < rows; r++) {
    const base = (first + r) * rowStride + colOffset;
    for (let beat = 0; beat < perVector; beat++) {
      const at = (r * perVector + beat) * stride;
      const tdata = out.subarray(at, at + stride - 1);
      for (let i = 0; i < lanes; i++) {
        const c = beat * lanes + i;
        if (c >= len) break;
        writeField(tdata, i * bits, src[base + c]!, bits);
      }
      out[at + stride - 1] = beat === perVector - 1 ? 1 : 0;
    }
  }
  return out;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
