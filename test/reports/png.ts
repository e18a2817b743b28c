/**
 * Just enough of a PNG reader to tell a blank screenshot from a drawn one:
 * 8-bit RGB or RGBA, not interlaced (what Chromium's --screenshot writes).
 */
import { inflateSync } from 'node:zlib';

export interface Pixels {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

export function decodePng(buf: Buffer): Pixels {
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let off = 8, width = 0, height = 0, channels = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off), type = buf.toString('latin1', off + 4, off + 8), body = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0); height = body.readUInt32BE(4);
      const depth = body[8], color = body[9], interlace = body[12];
      if (depth !== 8 || (color !== 2 && color !== 6) || interlace !== 0) throw new Error(`unsupported PNG (depth ${depth}, color ${color}, interlace ${interlace})`);
      channels = color === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(body);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels, data = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!, src = y * (stride + 1) + 1, dst = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? data[dst + x - channels]! : 0, b = y > 0 ? data[dst - stride + x]! : 0, c = x >= channels && y > 0 ? data[dst - stride + x - channels]! : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      data[dst + x] = (raw[src + x]! + pred) & 0xff;
    }
  }
  return { width, height, channels, data };
}

/** Share of pixels that differ from the top-left pixel (the page background), and the number of distinct colours seen. */
export function inkStats(p: Pixels): { ink: number; colours: number } {
  const bg = [p.data[0], p.data[1], p.data[2]];
  let ink = 0;
  const colours = new Set<number>();
  for (let i = 0; i < p.width * p.height; i++) {
    const o = i * p.channels, r = p.data[o]!, g = p.data[o + 1]!, b = p.data[o + 2]!;
    if (r !== bg[0] || g !== bg[1] || b !== bg[2]) ink++;
    if (colours.size < 10_000) colours.add((r << 16) | (g << 8) | b);
  }
  return { ink: ink / (p.width * p.height), colours: colours.size };
}
