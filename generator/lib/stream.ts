/**
 * Streams: a valid/ready handshake carrying a typed payload (any DSL type: UInt, SInt,
 * Vec, Bundle, or a fixed-point format) and, optionally, AXI4-Stream's tlast, tkeep
 * and tuser. Transfer rule (AXI4-Stream): a beat moves on a clock edge where
 * valid && ready; while valid && !ready the source holds valid and everything else.
 *
 * A Stream object is one end as seen from the module holding it. Its `flow` says which
 * way the payload goes there: 'in' (this module reads valid/payload and drives ready:
 * a sink port `s_axis_<name>_*`, or an instance's source port), 'out' (this module
 * drives valid/payload and reads ready: a source port `m_axis_<name>_*`, or an
 * instance's sink port), or 'wire' (both ends inside this module).
 * `StreamSignature` describes a port before it exists; `flip()` turns source into sink.
 */
import { designError } from '../core/errors.ts';
import { Expr, Signal } from '../core/expr.ts';
import { captureLoc, type SourceLoc } from '../core/loc.ts';
import { shapeHooks, type ModuleBuilder, type ShapeHooks } from '../core/module.ts';
import { pack, unpack, type Val } from '../core/pack.ts';
import { Bool, Ground, UInt, bitWidth, type HwType } from '../core/types.ts';
import { Fixed, fixName, fixType, type FixFormat } from './fixed.ts';

/** What a stream carries: a DSL type, or a fixed-point format (carried as its raw bits). */
export type PayloadType = HwType | FixFormat;
/** The payload as hardware: an expression shape of T, or a Fixed for a fixed-point format. */
export type PayloadOf<T> = T extends FixFormat ? Fixed : Val<T>;

export interface StreamOptions {
  /** Carry tlast (packet boundaries). */
  last?: boolean;
  /** Carry tkeep with this many bits (usually one per byte of the payload). */
  keep?: number;
  /** Carry tuser with this many bits. */
  user?: number;
}
export interface StreamSpec<T extends PayloadType = PayloadType> extends StreamOptions {
  readonly payload: T;
}

export type StreamFlow = 'in' | 'out' | 'wire';

const isFixFormat = (t: PayloadType): t is FixFormat => 'intBits' in t && 'fracBits' in t;

/** The tdata type of a payload: a ground type as it is, a fixed format as its raw type, an aggregate packed into a UInt. */
export function dataType(t: PayloadType): Ground {
  if (isFixFormat(t)) return fixType(t);
  return t instanceof Ground ? t : UInt(bitWidth(t));
}

/** A readable name of a payload type, for messages. */
export function typeName(t: PayloadType): string {
  if (isFixFormat(t)) return fixName(t);
  if (t instanceof Ground) return String(t);
  if (t.kind === 'vec') return `Vec(${t.length}, ${typeName(t.element)})`;
  return `Bundle({ ${Object.entries(t.fields as Record<string, HwType>).map(([k, f]) => `${k}: ${typeName(f)}`).join(', ')} })`;
}

/** One leaf of a payload in tdata: its path (`re`, `lanes_2_sample`), bit offset, width, signedness, fraction bits. */
export interface PayloadField {
  name: string;
  offset: number;
  width: number;
  signed: boolean;
  fracBits?: number;
}

/** Where each leaf of a payload sits in tdata (first leaf at the LSBs, as pack() puts it). */
export function payloadLayout(t: PayloadType): PayloadField[] {
  const out: PayloadField[] = [];
  let offset = 0;
  const walk = (x: PayloadType, path: string): void => {
    if (isFixFormat(x)) {
      const g = fixType(x);
      out.push({ name: path || 'data', offset, width: g.width, signed: x.signed, fracBits: x.fracBits });
      offset += g.width;
    } else if (x instanceof Ground) {
      out.push({ name: path || 'data', offset, width: x.width, signed: x.signed });
      offset += x.width;
    } else if (x.kind === 'vec') {
      for (let i = 0; i < x.length; i++) walk(x.element, path ? `${path}_${i}` : String(i));
    } else {
      for (const [k, f] of Object.entries(x.fields as Record<string, HwType>)) walk(f, path ? `${path}_${k}` : k);
    }
  };
  walk(t, '');
  return out;
}

/** Two payload types are the same when their names, widths, signedness and structure agree. */
export function sameType(a: PayloadType, b: PayloadType): boolean {
  return typeName(a) === typeName(b);
}

export class Stream<T extends PayloadType = PayloadType> {
  readonly [shapeHooks]: ShapeHooks;
  constructor(
    /** The stream's name (its port prefix, or the wire prefix inside a module). */
    readonly name: string,
    readonly spec: StreamSpec<T>,
    readonly flow: StreamFlow,
    readonly valid: Signal,
    readonly ready: Signal,
    /** tdata: the payload's bits (aggregates packed, first leaf at the LSBs). */
    readonly data: Signal,
    readonly last?: Signal,
    readonly keep?: Signal,
    readonly user?: Signal,
  ) {
    checkCompliance(name, spec, valid, ready, data, last, keep, user);
    const signals = (): Signal[] => [valid, ready, data, ...(last ? [last] : []), ...(keep ? [keep] : []), ...(user ? [user] : [])];
    this[shapeHooks] = {
      leaves: signals,
      flipAcross: (fn) => new Stream(name, spec, flow === 'in' ? 'out' : flow === 'out' ? 'in' : 'wire',
        fn(valid), fn(ready), fn(data), last && fn(last), keep && fn(keep), user && fn(user)),
      describe: () => ({
        kind: 'axis',
        name,
        role: flow === 'in' ? 'slave' : 'master',
        ports: Object.fromEntries(Object.entries({ tvalid: valid, tready: ready, tdata: data, tlast: last, tkeep: keep, tuser: user })
          .filter(([, s]) => s !== undefined).map(([k, s]) => [k, s!.name])),
        widths: { tdata: data.width, ...(keep ? { tkeep: keep.width } : {}), ...(user ? { tuser: user.width } : {}) },
        payload: { type: typeName(spec.payload), fields: payloadLayout(spec.payload) },
      }),
    };
  }

  /** The payload, typed: a Signal/Expr for ground types, a shape of them for Vec/Bundle, a Fixed for fixed point. */
  get payload(): PayloadOf<T> {
    const t = this.spec.payload;
    if (isFixFormat(t)) return Fixed.from(this.data, t) as PayloadOf<T>;
    if (t instanceof Ground) return this.data as unknown as PayloadOf<T>;
    return unpack(t, this.data) as PayloadOf<T>;
  }

  /** Drive the payload with a value of its type (an Expr, a shape of them, or a Fixed). */
  setPayload(value: PayloadOf<T> | Expr | number | bigint | boolean): void {
    if (value instanceof Fixed) this.data.set(value.raw);
    else if (value instanceof Expr || typeof value !== 'object') this.data.set(value as Expr);
    else this.data.set(pack(value));
  }

  /** True on a cycle where a beat transfers. */
  fire(): Expr {
    return this.valid.and(this.ready);
  }

  toString(): string {
    return `stream ${this.name}`;
  }
}

/** A stream built by hand must match its spec (Amaranth's signature compliance): widths, and the optional signals it promises. */
function checkCompliance(name: string, spec: StreamSpec, valid: Signal, ready: Signal, data: Signal, last?: Signal, keep?: Signal, user?: Signal): void {
  const problems: string[] = [];
  if (valid.width !== 1 || ready.width !== 1) problems.push('valid and ready are 1 bit');
  const t = dataType(spec.payload);
  if (data.width !== t.width || data.type.signed !== t.signed) problems.push(`its data is ${data.type} but ${typeName(spec.payload)} needs ${t}`);
  if (Boolean(spec.last) !== Boolean(last) || (last && last.width !== 1)) problems.push(spec.last ? 'it promises a 1-bit tlast' : 'it has a tlast its spec does not promise');
  if ((spec.keep ?? 0) !== (keep?.width ?? 0)) problems.push(`tkeep is ${keep?.width ?? 'absent'} bits but the spec says ${spec.keep ?? 'none'}`);
  if ((spec.user ?? 0) !== (user?.width ?? 0)) problems.push(`tuser is ${user?.width ?? 'absent'} bits but the spec says ${spec.user ?? 'none'}`);
  if (problems.length) designError('interface', captureLoc(), `stream ${name} does not match its spec: ${problems.join('; ')}`);
}

/** A stream port before it exists: payload, optional signals and role (a source drives the payload). */
export class StreamSignature<T extends PayloadType = PayloadType> {
  constructor(readonly spec: StreamSpec<T>, readonly role: 'source' | 'sink' = 'source') {}
  /** The other end: a source becomes a sink and back. */
  flip(): StreamSignature<T> {
    return new StreamSignature(this.spec, this.role === 'source' ? 'sink' : 'source');
  }
}

/** The signature of a stream source carrying `payload`; `.flip()` gives the sink. */
export function streamOf<T extends PayloadType>(payload: T, options: StreamOptions = {}): StreamSignature<T> {
  checkOptions(options, captureLoc());
  return new StreamSignature({ payload, ...options });
}

function checkOptions(o: StreamOptions, loc: SourceLoc): void {
  for (const k of ['keep', 'user'] as const) {
    const w = o[k];
    if (w !== undefined && (!Number.isInteger(w) || w < 1)) designError('interface', loc, `stream option ${k} is a width in bits (a positive integer), got ${String(w)}`);
  }
}

/**
 * A stream port with AXI4-Stream names: a sink is `s_axis_<name>_tvalid/_tready/_tdata/_tlast/_tkeep/_tuser`,
 * a source `m_axis_<name>_…`.
 */
export function streamPort<T extends PayloadType>(m: ModuleBuilder, name: string, sig: StreamSignature<T>): Stream<T> {
  const { spec } = sig;
  const sink = sig.role === 'sink';
  const p = `${sink ? 's' : 'm'}_axis_${name}`;
  const fwd = <U extends HwType>(n: string, t: U) => (sink ? m.input(`${p}_${n}`, t) : m.output(`${p}_${n}`, t)) as Signal;
  const valid = fwd('tvalid', Bool());
  const ready = (sink ? m.output(`${p}_tready`, Bool()) : m.input(`${p}_tready`, Bool())) as Signal;
  const data = fwd('tdata', dataType(spec.payload));
  const last = spec.last ? fwd('tlast', Bool()) : undefined;
  const keep = spec.keep ? fwd('tkeep', UInt(spec.keep)) : undefined;
  const user = spec.user ? fwd('tuser', UInt(spec.user)) : undefined;
  return new Stream(name, spec, sink ? 'in' : 'out', valid, ready, data, last, keep, user);
}

/** A sink port `s_axis_<name>_*` carrying `payload`: read `payload`, drive `ready`. */
export function streamIn<T extends PayloadType>(m: ModuleBuilder, name: string, payload: T, options: StreamOptions = {}): Stream<T> {
  checkOptions(options, captureLoc());
  return streamPort(m, name, new StreamSignature({ payload, ...options }, 'sink'));
}

/** A source port `m_axis_<name>_*` carrying `payload`: drive `valid` and the payload, read `ready`. */
export function streamOut<T extends PayloadType>(m: ModuleBuilder, name: string, payload: T, options: StreamOptions = {}): Stream<T> {
  checkOptions(options, captureLoc());
  return streamPort(m, name, new StreamSignature({ payload, ...options }, 'source'));
}

/** A stream between two places inside a module: plain wires `<name>_valid`, `_ready`, `_data`, `_last`, `_keep`, `_user`. */
export function streamWire<T extends PayloadType>(m: ModuleBuilder, name: string, payload: T | StreamSpec<T>, options: StreamOptions = {}): Stream<T> {
  const spec: StreamSpec<T> = isSpec(payload) ? payload : { payload, ...options };
  checkOptions(spec, captureLoc());
  return new Stream(name, spec, 'wire',
    m.wire(`${name}_valid`, Bool()),
    m.wire(`${name}_ready`, Bool()),
    m.wire(`${name}_data`, dataType(spec.payload)),
    spec.last ? m.wire(`${name}_last`, Bool()) : undefined,
    spec.keep ? m.wire(`${name}_keep`, UInt(spec.keep)) : undefined,
    spec.user ? m.wire(`${name}_user`, UInt(spec.user)) : undefined);
}

const isSpec = <T extends PayloadType>(x: T | StreamSpec<T>): x is StreamSpec<T> =>
  typeof x === 'object' && x !== null && 'payload' in x && !(x instanceof Ground);

/** The payload of a stream as type T (kept for designs written before streams were typed). */
export function payload<T extends HwType>(type: T, s: Stream): Val<T> {
  return unpack(type, s.data);
}

/** True on a cycle where a beat transfers. */
export function fire(s: Stream): Expr {
  return s.fire();
}

const readable = (s: Stream): boolean => s.flow !== 'out';
const drivable = (s: Stream): boolean => s.flow !== 'in';
const flowText: Record<StreamFlow, string> = {
  in: 'a stream this module receives',
  out: 'a stream this module sends',
  wire: 'a stream inside this module',
};

/**
 * Connect stream `from` (read: valid, payload, last, keep, user) to stream `to` (driven),
 * ready going back. Both ends must carry the same payload type and the same optional
 * signals: a tlast, tkeep or tuser present on one end only is an error, never dropped.
 */
export function connectStreams(from: Stream, to: Stream, loc: SourceLoc = captureLoc()): void {
  if (!readable(from) && !drivable(to)) {
    designError('interface', loc, `connect(from, to) reads from and drives to, but ${from.name} is ${flowText[from.flow]} and ${to.name} ${flowText[to.flow]}: the arguments look swapped; write connect(${to.name}, ${from.name})`);
  }
  if (!readable(from)) designError('interface', loc, `connect(from, to) reads from, but ${from.name} is ${flowText[from.flow]} (its valid and payload are driven here); pass it as the second argument`);
  if (!drivable(to)) designError('interface', loc, `connect(from, to) drives to, but ${to.name} is ${flowText[to.flow]} (its valid and payload come from outside); pass it as the first argument`);
  if (!sameType(from.spec.payload, to.spec.payload)) {
    designError('interface', loc, `connect(${from.name}, ${to.name}): ${from.name} carries ${typeName(from.spec.payload)} but ${to.name} carries ${typeName(to.spec.payload)}; convert with map() or widthConvert()`);
  }
  const optional: { key: 'last' | 'keep' | 'user'; t: string }[] = [{ key: 'last', t: 'tlast' }, { key: 'keep', t: 'tkeep' }, { key: 'user', t: 'tuser' }];
  for (const { key, t } of optional) {
    const a = from[key];
    const b = to[key];
    if (a && !b) designError('interface', loc, `connect(${from.name}, ${to.name}): ${from.name} carries ${t} but ${to.name} does not, so it would be lost; give ${to.name} { ${key}: ${key === 'last' ? 'true' : a.width} } or drop it explicitly with m.unused()`);
    if (!a && b) designError('interface', loc, `connect(${from.name}, ${to.name}): ${to.name} carries ${t} but ${from.name} does not; drive it yourself or give ${from.name} { ${key}: ${key === 'last' ? 'true' : b.width} }`);
    if (a && b && a.width !== b.width) designError('interface', loc, `connect(${from.name}, ${to.name}): ${t} is ${a.width} bits on ${from.name} but ${b.width} on ${to.name}`);
  }
  to.valid.set(from.valid);
  to.data.set(from.data);
  if (from.last && to.last) to.last.set(from.last);
  if (from.keep && to.keep) to.keep.set(from.keep);
  if (from.user && to.user) to.user.set(from.user);
  from.ready.set(to.ready);
}
