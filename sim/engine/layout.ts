/**
 * External-memory layout of one engine run: W (int16 LE, row-major) and G
 * (int64 LE, sign-extended accumulators, row-major), each row padded to a
 * bus-aligned stride as the engine contract requires.
 */
import type { EngineConfig } from '../../engine/config.ts';

export interface MemoryLayout {
  wBase: number;
  wStride: number;
  gBase: number;
  gStride: number;
  /** Bytes of the W and G regions (R rows each). */
  wBytes: number;
  gBytes: number;
}

export interface LayoutOptions {
  /** Byte address of W; default 0x1000 (nonzero, so a base register stuck at 0 is caught). */
  wBase?: number;
  /** Extra bus beats of padding per row beyond the minimum, to exercise strides ≠ row length. */
  padBeats?: number;
}

const PAGE = 4096;

export function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

export function planLayout(cfg: EngineConfig, R: number, K: number, opts: LayoutOptions = {}): MemoryLayout {
  const bus = cfg.axiDataBits / 8;
  const pad = (opts.padBeats ?? 0) * bus;
  const wBase = opts.wBase ?? PAGE;
  if (wBase % bus !== 0) throw new RangeError(`wBase 0x${wBase.toString(16)} is not a multiple of the bus width (${bus} bytes)`);
  const wStride = alignUp(K * 2, bus) + pad;
  const wBytes = R * wStride;
  // G starts on its own page so W and G bursts never share a 4 KiB page.
  const gBase = alignUp(wBase + wBytes, PAGE);
  const gStride = alignUp(K * 8, bus) + pad;
  const gBytes = R * gStride;
  if (gBase + gBytes > 2 ** cfg.axiAddrBits) throw new RangeError(`W and G (${gBase + gBytes} bytes) exceed the ${cfg.axiAddrBits}-bit address space`);
  return { wBase, wStride, gBase, gStride, wBytes, gBytes };
}

/** W [R, K] as the padded int16 image at wBase. */
export function encodeW(W: Int32Array, R: number, K: number, l: MemoryLayout): Uint8Array {
  const img = new Uint8Array(l.wBytes);
  const dv = new DataView(img.buffer);
  for (let j = 0; j < R; j++) for (let k = 0; k < K; k++) dv.setInt16(j * l.wStride + 2 * k, W[j * K + k]!, true);
  return img;
}

/** G [R, K] as the padded int64 image at gBase. */
export function encodeG(G: BigInt64Array | undefined, R: number, K: number, l: MemoryLayout): Uint8Array {
  const img = new Uint8Array(l.gBytes);
  if (!G) return img;
  const dv = new DataView(img.buffer);
  for (let j = 0; j < R; j++) for (let k = 0; k < K; k++) dv.setBigInt64(j * l.gStride + 8 * k, G[j * K + k]!, true);
  return img;
}

export function decodeG(img: Uint8Array, R: number, K: number, l: MemoryLayout): BigInt64Array {
  const G = new BigInt64Array(R * K);
  const dv = new DataView(img.buffer, img.byteOffset, img.byteLength);
  for (let j = 0; j < R; j++) for (let k = 0; k < K; k++) G[j * K + k] = dv.getBigInt64(j * l.gStride + 8 * k, true);
  return G;
}
