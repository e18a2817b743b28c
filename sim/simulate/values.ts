/**
 * Payload values as JavaScript: a `Stream<T>` beat is driven with a value shaped like
 * T (a number or bigint for UInt and SInt, negative numbers included; a boolean or 0/1
 * for Bool; an object for a Bundle; an array for a Vec; the raw integer value·2^f for a
 * fixed-point format) and monitored beats come back the same shape. The bit position of
 * every leaf is the manifest's payload layout (`interfaces[].payload.fields`); the type
 * gives the shape around the leaves.
 */
import { Ground, type HwType, type PayloadField, type PayloadType } from '../../generator/index.ts';

export type SimValue = number | bigint | boolean | readonly SimValue[] | { readonly [field: string]: SimValue };

/** The most bits a decoded leaf may have and still come back as a number (wider leaves are bigints). */
export const NUMBER_BITS = 53;

const isFix = (t: PayloadType): t is Extract<PayloadType, { intBits: number }> => 'intBits' in t && 'fracBits' in t;

/** A value that is not what a leaf, a Vec or a Bundle takes: the message says which part and why. */
export class ValueError extends Error {}

interface Leaf {
  field: PayloadField;
  /** 'bool' leaves take booleans; fixed-point leaves say so in their messages. */
  kind: 'bool' | 'int' | 'fix';
  type: string;
}

/** The leaves of a payload type in pack order, matched with the manifest's fields. */
export function leavesOf(t: PayloadType, fields: readonly PayloadField[]): Leaf[] {
  const out: Leaf[] = [];
  const walk = (x: PayloadType): void => {
    if (isFix(x)) out.push({ field: fields[out.length]!, kind: 'fix', type: `${x.signed ? 'SFix' : 'UFix'}(${x.intBits}, ${x.fracBits})` });
    else if (x instanceof Ground) out.push({ field: fields[out.length]!, kind: x.kind === 'bool' ? 'bool' : 'int', type: String(x) });
    else if (x.kind === 'vec') for (let i = 0; i < x.length; i++) walk(x.element as HwType);
    else for (const f of Object.values(x.fields as Record<string, HwType>)) walk(f);
  };
  walk(t);
  if (out.length !== fields.length || out.some((l) => l.field === undefined)) {
    throw new Error(`payload layout of the manifest (${fields.length} fields) does not match the payload type (${out.length} leaves)`);
  }
  return out;
}

function range(f: PayloadField): [bigint, bigint] {
  const w = BigInt(f.width);
  return f.signed ? [-(1n << (w - 1n)), (1n << (w - 1n)) - 1n] : [0n, (1n << w) - 1n];
}

function leafBits(leaf: Leaf, v: unknown, path: string): bigint {
  const at = path || 'the value';
  let n: bigint;
  if (leaf.kind === 'bool' && typeof v === 'boolean') n = v ? 1n : 0n;
  else if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
  else if (typeof v === 'number' && leaf.kind === 'fix') {
    throw new ValueError(`${at} is ${v}, but ${leaf.type} values are given raw (an integer, value·2^${leaf.field.fracBits ?? 0}): write Math.round(x * 2 ** ${leaf.field.fracBits ?? 0})`);
  } else throw new ValueError(`${at} is ${describe(v)}, but ${leaf.type} takes ${leaf.kind === 'bool' ? 'a boolean (or 0, 1)' : 'an integer (number or bigint)'}`);
  const [lo, hi] = range(leaf.field);
  if (n < lo || n > hi) throw new ValueError(`${at} = ${n} is outside ${leaf.type} (${lo}..${hi})`);
  return BigInt.asUintN(leaf.field.width, n) << BigInt(leaf.field.offset);
}

/** The tdata bits of value `v` of type `t` (leaves placed at the manifest's offsets). */
export function encodeValue(t: PayloadType, leaves: readonly Leaf[], v: unknown, path: string): bigint {
  let i = 0;
  let word = 0n;
  const walk = (x: PayloadType, value: unknown, p: string): void => {
    if (isFix(x) || x instanceof Ground) {
      word |= leafBits(leaves[i++]!, value, p);
    } else if (x.kind === 'vec') {
      if (!Array.isArray(value)) throw new ValueError(`${p || 'the value'} is ${describe(value)}, but a Vec(${x.length}, …) takes an array of ${x.length}`);
      if (value.length !== x.length) throw new ValueError(`${p || 'the value'} has ${value.length} elements, but the Vec has ${x.length}`);
      value.forEach((e, k) => walk(x.element as HwType, e, `${p}[${k}]`));
    } else {
      const fields = x.fields as Record<string, HwType>;
      if (!isPlainObject(value)) throw new ValueError(`${p || 'the value'} is ${describe(value)}, but a Bundle takes an object { ${Object.keys(fields).join(', ')} }`);
      const extra = Object.keys(value).filter((k) => !(k in fields));
      if (extra.length) throw new ValueError(`${p || 'the value'} has field ${extra[0]}, which the Bundle lacks (fields: ${Object.keys(fields).join(', ')})`);
      for (const [k, f] of Object.entries(fields)) {
        if (!(k in value)) throw new ValueError(`${p || 'the value'} lacks field ${k} of the Bundle`);
        walk(f, (value as Record<string, unknown>)[k], p ? `${p}.${k}` : k);
      }
    }
  };
  walk(t, v, path);
  return word;
}

function leafValue(leaf: Leaf, word: bigint): number | bigint | boolean {
  const f = leaf.field;
  const raw = (word >> BigInt(f.offset)) & ((1n << BigInt(f.width)) - 1n);
  if (leaf.kind === 'bool') return raw === 1n;
  const n = f.signed ? BigInt.asIntN(f.width, raw) : raw;
  return f.width <= NUMBER_BITS ? Number(n) : n;
}

/** Value of type `t` held in tdata bits `word`: numbers up to 53 bits, bigints above, booleans for Bool. */
export function decodeValue(t: PayloadType, leaves: readonly Leaf[], word: bigint): SimValue {
  let i = 0;
  const walk = (x: PayloadType): SimValue => {
    if (isFix(x) || x instanceof Ground) return leafValue(leaves[i++]!, word);
    if (x.kind === 'vec') return Array.from({ length: x.length }, () => walk(x.element as HwType));
    const out: Record<string, SimValue> = {};
    for (const [k, f] of Object.entries(x.fields as Record<string, HwType>)) out[k] = walk(f);
    return out;
  };
  return walk(t);
}

/** An object literal (or one made with Object.create(null)): the shape of a Bundle value or a beat. */
export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && [Object.prototype, null].includes(Object.getPrototypeOf(v));

export function describe(v: unknown): string {
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (isPlainObject(v)) return `an object { ${Object.keys(v).join(', ')} }`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'object' && v !== null) return `an object of class ${v.constructor?.name ?? 'unknown'}`;
  return String(v);
}

/** A value as it would be written in TypeScript, for messages. */
export function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (isPlainObject(v)) return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${show(x)}`).join(', ')} }`;
  return String(v);
}

/** Equal as hardware values: numbers and bigints by value, arrays and objects by their parts. */
export function sameValue(a: unknown, b: unknown): boolean {
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    return Number.isInteger(Number(a)) && Number.isInteger(Number(b)) && BigInt(a) === BigInt(b);
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && sameValue(a[k], b[k]));
  }
  return a === b;
}

/** Where two values differ, leaf by leaf: `[path, expected, got]`, first difference first. */
export function differences(want: unknown, got: unknown, path = ''): [string, unknown, unknown][] {
  if (Array.isArray(want) && Array.isArray(got) && want.length === got.length) {
    return want.flatMap((w, i) => differences(w, got[i], `${path}[${i}]`));
  }
  if (isPlainObject(want) && isPlainObject(got) && Object.keys(want).every((k) => k in got)) {
    return Object.keys(want).flatMap((k) => differences(want[k], got[k], path ? `${path}.${k}` : k));
  }
  return sameValue(want, got) ? [] : [[path, want, got]];
}
