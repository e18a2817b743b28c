/**
 * The stream beat format of the simulation-job contract: each beat is
 * ⌈width/8⌉ bytes of tdata, little-endian, then one flag byte (bit0 = tlast).
 */

export interface Beat {
  data: bigint;
  last: boolean;
}

export function beatBytes(width: number): number {
  return Math.ceil(width / 8) + 1;
}

export function encodeBeats(beats: readonly Beat[], width: number): Uint8Array {
  const dataBytes = Math.ceil(width / 8);
  const out = new Uint8Array(beats.length * (dataBytes + 1));
  const limit = 1n << BigInt(width);
  beats.forEach((beat, i) => {
    if (beat.data < 0n || beat.data >= limit) {
      throw new RangeError(`beat ${i}: tdata 0x${beat.data.toString(16)} does not fit ${width} bits`);
    }
    let v = beat.data;
    const at = i * (dataBytes + 1);
    for (let b = 0; b < dataBytes; b++) {
      out[at + b] = Number(v & 0xffn);
      v >>= 8n;
    }
    out[at + dataBytes] = beat.last ? 1 : 0;
  });
  return out;
}

export function decodeBeats(bytes: Uint8Array, width: number): Beat[] {
  const stride = beatBytes(width);
  if (bytes.length % stride !== 0) {
    throw new RangeError(`${bytes.length} bytes is not a whole number of ${stride}-byte beats (${width}-bit tdata)`);
  }
  const beats: Beat[] = [];
  for (let at = 0; at < bytes.length; at += stride) {
    let v = 0n;
    for (let b = stride - 2; b >= 0; b--) v = (v << 8n) | BigInt(bytes[at + b]);
    beats.push({ data: v, last: (bytes[at + stride - 1] & 1) === 1 });
  }
  return beats;
}
