/**
 * Stream beats between JavaScript values and the harness's beat files: the payload at
 * the bit positions of the manifest's payload layout, tkeep and tuser above it (as the
 * wrapper packs them), tlast in the flag byte.
 */
import type { EmittedDesign, ManifestInterface, PayloadField } from '../../generator/index.ts';
import { decodeBeats, encodeBeats } from '../harness/beats.ts';
import { misuse } from './failures.ts';
import { NUMBER_BITS, ValueError, decodeValue, describe, encodeValue, isPlainObject, leavesOf, show, type SimValue } from './values.ts';
import type { StreamInfo } from './wrapper.ts';

/** A beat to drive: a bare value, or `{ data, last?, keep?, user? }` (a Bundle payload always needs the second form). */
export type BeatIn = SimValue | { data: SimValue; last?: boolean; keep?: number | bigint; user?: number | bigint };

/** A beat the monitor saw: the payload decoded, the sideband signals the stream has, and the cycle it was taken (0 = first after reset). */
export interface MonitoredBeat {
  data: SimValue;
  last?: boolean;
  keep?: number | bigint;
  user?: number | bigint;
  cycle: number;
}

/** Beats of packets: each inner list is one packet, tlast on its last beat. */
export function packets(list: readonly (readonly SimValue[])[]): { data: SimValue; last: boolean }[] {
  return list.flatMap((p) => p.map((data, i) => ({ data, last: i === p.length - 1 })));
}

export interface StreamCodec extends StreamInfo {
  leaves: ReturnType<typeof leavesOf>;
  width: number;
}

export function interfacesOfDesign(design: EmittedDesign): ManifestInterface[] {
  const top = design.manifest.modules.find((m) => m.name === design.manifest.top)!;
  const inner = top.instances.find((i) => i.name === 'u_dut')!.module;
  return design.manifest.modules.find((m) => m.name === inner)?.interfaces ?? [];
}

export function codecs(design: EmittedDesign, streams: readonly StreamInfo[]): Map<string, StreamCodec> {
  const ifcs = interfacesOfDesign(design);
  const out = new Map<string, StreamCodec>();
  for (const s of streams) {
    const entry = ifcs.find((i) => i.kind === 'axis' && i.name === s.name) as (ManifestInterface & { payload: { fields: PayloadField[] } }) | undefined;
    if (!entry) throw new Error(`the manifest has no axis interface ${s.name}`);
    out.set(s.name, { ...s, leaves: leavesOf(s.payload, entry.payload.fields), width: s.dataWidth + s.keep + s.user });
  }
  return out;
}

export function encodeInput(where: string, design: string, c: StreamCodec, beats: readonly BeatIn[]): Uint8Array {
  if (!Array.isArray(beats)) throw misuse(where, `inputs.${c.name} must be an array of beats, got ${describe(beats)}`);
  const list = beats.map((b, i) => {
    const at = `inputs.${c.name}[${i}]`;
    const isBeat = isPlainObject(b) && 'data' in b && Object.keys(b).every((k) => ['data', 'last', 'keep', 'user'].includes(k));
    if (isPlainObject(b) && !isBeat) {
      throw misuse(where, `${at} is ${describe(b)}: a beat is a bare value or { data, last?, keep?, user? }${c.payload && 'kind' in c.payload && c.payload.kind === 'bundle' ? '; wrap a Bundle value as { data: … }' : ''}`);
    }
    const beat = (isBeat ? b : { data: b }) as { data: SimValue; last?: boolean; keep?: number | bigint; user?: number | bigint };
    try {
      let word = encodeValue(c.payload, c.leaves, beat.data, `${at}.data`);
      for (const [k, width, offset] of [['keep', c.keep, c.dataWidth], ['user', c.user, c.dataWidth + c.keep]] as const) {
        const v = beat[k];
        if (v === undefined) continue;
        if (width === 0) throw new ValueError(`${at}.${k} is given, but stream ${c.name} of ${design} has no t${k}`);
        const n = typeof v === 'bigint' ? v : Number.isSafeInteger(v) ? BigInt(v) : -1n;
        if (n < 0n || n >= 1n << BigInt(width)) throw new ValueError(`${at}.${k} = ${show(v)} does not fit its ${width} bits`);
        word |= n << BigInt(offset);
      }
      if (beat.last !== undefined && typeof beat.last !== 'boolean') throw new ValueError(`${at}.last is ${describe(beat.last)}, not a boolean`);
      if (beat.last && !c.last) throw new ValueError(`${at}.last is true, but stream ${c.name} of ${design} has no tlast`);
      return { data: word, last: beat.last ?? false };
    } catch (e) {
      if (e instanceof ValueError) throw misuse(where, e.message);
      throw e;
    }
  });
  return encodeBeats(list, c.width);
}

export function decodeOutput(c: StreamCodec, bytes: Uint8Array, cycles: readonly number[]): MonitoredBeat[] {
  return decodeBeats(bytes, c.width).map((b, i) => {
    const field = (offset: number, width: number): number | bigint => {
      const v = (b.data >> BigInt(offset)) & ((1n << BigInt(width)) - 1n);
      return width <= NUMBER_BITS ? Number(v) : v;
    };
    return {
      data: decodeValue(c.payload, c.leaves, b.data),
      ...(c.last ? { last: b.last } : {}),
      ...(c.keep ? { keep: field(c.dataWidth, c.keep) } : {}),
      ...(c.user ? { user: field(c.dataWidth + c.keep, c.user) } : {}),
      cycle: cycles[i]!,
    };
  });
}

