/**
 * AXI4-Lite and AXI4 memory-mapped interfaces as typed signatures. `AxiLite(cfg)` and
 * `Axi4(cfg)` describe the manager (master) side; `.flip()` gives the subordinate
 * (slave) side. `axiPort(m, name, sig)` declares the ports with the usual names:
 * `s_<name>_awaddr`, `m_<name>_arvalid`, … (fields, then valid, then ready, channel by
 * channel). Each channel is a valid/ready handshake like a stream; `connect(a, b)`
 * connects a whole interface, channel by channel, after checking kind and widths.
 */
import { designError } from '../core/errors.ts';
import type { Expr, Signal } from '../core/expr.ts';
import { captureLoc, type SourceLoc } from '../core/loc.ts';
import { shapeHooks, type ModuleBuilder, type ShapeHooks } from '../core/module.ts';
import { Bool, UInt } from '../core/types.ts';
import type { StreamFlow } from './stream.ts';

export type AxiKind = 'axilite' | 'axi4';
export interface AxiLiteConfig {
  addrWidth: number;
  /** 32 or 64 for AXI4-Lite; any power-of-two byte count from 8 bits for AXI4. */
  dataWidth: number;
}
export interface Axi4Config extends AxiLiteConfig {
  /** Width of the ID signals (awid, bid, arid, rid); absent when omitted. */
  idWidth?: number;
}
export type AxiChannelName = 'aw' | 'w' | 'b' | 'ar' | 'r';
/** Channels the manager drives (valid and fields); the subordinate drives b and r. */
const forward: Record<AxiChannelName, boolean> = { aw: true, w: true, ar: true, b: false, r: false };

/** One valid/ready channel of an AXI interface: its fields are separate signals (awaddr, awlen, …). */
export class AxiChannel {
  constructor(
    readonly name: AxiChannelName,
    readonly flow: StreamFlow,
    readonly valid: Signal,
    readonly ready: Signal,
    readonly fields: Readonly<Record<string, Signal>>,
  ) {}
  fire(): Expr {
    return this.valid.and(this.ready);
  }
}

export class AxiSignature {
  constructor(readonly kind: AxiKind, readonly config: Readonly<Axi4Config>, readonly role: 'master' | 'slave' = 'master') {}
  flip(): AxiSignature {
    return new AxiSignature(this.kind, this.config, this.role === 'master' ? 'slave' : 'master');
  }
}

/** An AXI interface as seen from one module: `role` says whether this module issues requests through it (master). */
export class AxiInterface {
  readonly [shapeHooks]: ShapeHooks;
  constructor(
    readonly kind: AxiKind,
    readonly name: string,
    readonly config: Readonly<Axi4Config>,
    readonly role: 'master' | 'slave',
    readonly channels: Readonly<Record<AxiChannelName, AxiChannel>>,
  ) {
    const order = channelOrder(kind);
    this[shapeHooks] = {
      leaves: () => order.flatMap((c) => [...Object.values(channels[c].fields), channels[c].valid, channels[c].ready]),
      flipAcross: (fn) => {
        const flipped = {} as Record<AxiChannelName, AxiChannel>;
        for (const c of order) {
          const ch = channels[c];
          const fields = Object.fromEntries(Object.entries(ch.fields).map(([k, s]) => [k, fn(s)]));
          flipped[c] = new AxiChannel(c, ch.flow === 'in' ? 'out' : 'in', fn(ch.valid), fn(ch.ready), fields);
        }
        const other = new AxiInterface(kind, name, config, role === 'master' ? 'slave' : 'master', flipped);
        other.registers = this.registers;
        return other;
      },
      describe: () => ({
        kind,
        name,
        role,
        ports: Object.fromEntries(order.flatMap((c) => [
          ...Object.entries(channels[c].fields).map(([f, s]) => [`${c}${f}`, s.name]),
          [`${c}valid`, channels[c].valid.name],
          [`${c}ready`, channels[c].ready.name],
        ])),
        widths: { addr: config.addrWidth, data: config.dataWidth, ...(config.idWidth ? { id: config.idWidth } : {}) },
        ...(this.registers ? { registers: this.registers } : {}),
      }),
    };
  }
  /** The register map behind this interface, when the design declares one (see declareRegisters). */
  registers?: readonly RegisterInfo[];
  get aw(): AxiChannel { return this.channels.aw; }
  get w(): AxiChannel { return this.channels.w; }
  get b(): AxiChannel { return this.channels.b; }
  get ar(): AxiChannel { return this.channels.ar; }
  get r(): AxiChannel { return this.channels.r; }
}

/** One register of a register map: byte offset, width, access, and an optional description. */
export interface RegisterInfo {
  name: string;
  offset: number;
  width: number;
  access: 'rw' | 'ro' | 'wo';
  description?: string;
}

/** Declare the register map a subordinate interface serves; the manifest records it with the interface. */
export function declareRegisters(bus: AxiInterface, registers: readonly RegisterInfo[]): void {
  const loc = captureLoc();
  const seen = new Map<number, string>();
  for (const r of registers) {
    const bytes = bus.config.dataWidth / 8;
    if (!Number.isInteger(r.offset) || r.offset < 0 || r.offset % bytes !== 0 || r.offset >= 2 ** bus.config.addrWidth) {
      designError('interface', loc, `register ${r.name} at offset ${r.offset}: offsets are multiples of ${bytes} below 2^${bus.config.addrWidth}`);
    }
    if (seen.has(r.offset)) designError('interface', loc, `registers ${seen.get(r.offset)} and ${r.name} share offset ${r.offset}`);
    seen.set(r.offset, r.name);
  }
  bus.registers = registers.map((r) => ({ ...r }));
}

/** AXI4-Lite manager signature (`.flip()` for the subordinate side). */
export function AxiLite(config: AxiLiteConfig): AxiSignature {
  const loc = captureLoc();
  checkWidth('addrWidth', config.addrWidth, loc);
  if (config.dataWidth !== 32 && config.dataWidth !== 64) designError('interface', loc, `AXI4-Lite data is 32 or 64 bits wide, got ${config.dataWidth}`);
  return new AxiSignature('axilite', { addrWidth: config.addrWidth, dataWidth: config.dataWidth });
}

/** AXI4 manager signature with bursts (len, size, burst, last) and, with idWidth, IDs. */
export function Axi4(config: Axi4Config): AxiSignature {
  const loc = captureLoc();
  checkWidth('addrWidth', config.addrWidth, loc);
  if (!Number.isInteger(config.dataWidth) || config.dataWidth < 8 || (config.dataWidth & (config.dataWidth - 1)) !== 0 || config.dataWidth > 1024) {
    designError('interface', loc, `AXI4 data is a power of two from 8 to 1024 bits wide, got ${config.dataWidth}`);
  }
  if (config.idWidth !== undefined) checkWidth('idWidth', config.idWidth, loc);
  return new AxiSignature('axi4', { ...config });
}

function checkWidth(what: string, w: number, loc: SourceLoc): void {
  if (!Number.isInteger(w) || w < 1 || w > 64) designError('interface', loc, `${what} must be an integer from 1 to 64, got ${String(w)}`);
}

const channelOrder = (kind: AxiKind): AxiChannelName[] => (kind === 'axilite' ? ['aw', 'w', 'b', 'ar', 'r'] : ['ar', 'r', 'aw', 'w', 'b']);

/** Field names and widths of a channel, in port order. */
function channelFields(kind: AxiKind, c: AxiChannelName, cfg: Axi4Config): [string, number][] {
  const id: [string, number][] = kind === 'axi4' && cfg.idWidth ? [['id', cfg.idWidth]] : [];
  const strb = cfg.dataWidth / 8;
  if (kind === 'axilite') {
    return {
      aw: [['addr', cfg.addrWidth]], w: [['data', cfg.dataWidth], ['strb', strb]], b: [['resp', 2]],
      ar: [['addr', cfg.addrWidth]], r: [['data', cfg.dataWidth], ['resp', 2]],
    }[c] as [string, number][];
  }
  const addr: [string, number][] = [...id, ['addr', cfg.addrWidth], ['len', 8], ['size', 3], ['burst', 2]];
  return {
    ar: addr, aw: addr, r: [...id, ['data', cfg.dataWidth], ['resp', 2], ['last', 1]],
    w: [['data', cfg.dataWidth], ['strb', strb], ['last', 1]], b: [...id, ['resp', 2]],
  }[c] as [string, number][];
}

/** Declare the ports of an AXI interface: `s_<name>_*` for a slave, `m_<name>_*` for a master. */
export function axiPort(m: ModuleBuilder, name: string, sig: AxiSignature): AxiInterface {
  const prefix = `${sig.role === 'master' ? 'm' : 's'}_${name}`;
  const channels = {} as Record<AxiChannelName, AxiChannel>;
  for (const c of channelOrder(sig.kind)) {
    // A master drives the forward channels; a slave drives b and r.
    const drives = forward[c] === (sig.role === 'master');
    const out = (n: string, w: number): Signal => m.output(`${prefix}_${c}${n}`, w === 1 ? Bool() : UInt(w)) as Signal;
    const inp = (n: string, w: number): Signal => m.input(`${prefix}_${c}${n}`, w === 1 ? Bool() : UInt(w)) as Signal;
    const fields: Record<string, Signal> = {};
    for (const [f, w] of channelFields(sig.kind, c, sig.config)) fields[f] = drives ? out(f, w) : inp(f, w);
    const valid = drives ? out('valid', 1) : inp('valid', 1);
    const ready = drives ? inp('ready', 1) : out('ready', 1);
    channels[c] = new AxiChannel(c, drives ? 'out' : 'in', valid, ready, fields);
  }
  return new AxiInterface(sig.kind, name, sig.config, sig.role, channels);
}

const kindName: Record<AxiKind, string> = { axilite: 'AXI4-Lite', axi4: 'AXI4' };

/**
 * Connect AXI interface `manager` (whose requests this module receives: its own slave
 * port, or an instance's master port) to `subordinate` (whose requests this module
 * sends: its master port, or an instance's slave port).
 */
export function connectAxi(manager: AxiInterface, subordinate: AxiInterface, loc: SourceLoc = captureLoc()): void {
  if (manager.kind !== subordinate.kind) designError('interface', loc, `connect(${manager.name}, ${subordinate.name}): ${manager.name} is ${kindName[manager.kind]} but ${subordinate.name} is ${kindName[subordinate.kind]}`);
  const from = manager.aw.flow;
  const to = subordinate.aw.flow;
  if (from === 'out' && to === 'in') {
    designError('interface', loc, `connect(manager, subordinate) takes the interface whose requests come in first, but ${manager.name} sends requests and ${subordinate.name} receives them: the arguments look swapped; write connect(${subordinate.name}, ${manager.name})`);
  }
  if (from !== 'in' || to !== 'out') {
    designError('interface', loc, `connect(${manager.name}, ${subordinate.name}): both ${from === 'in' ? 'send' : 'receive'} requests here, so neither can drive the other`);
  }
  const a = manager.config;
  const b = subordinate.config;
  for (const k of ['addrWidth', 'dataWidth', 'idWidth'] as const) {
    if (a[k] !== b[k]) {
      const show = (v: number | undefined): string => (v === undefined ? 'none' : `${v} bits`);
      designError('interface', loc, `connect(${manager.name}, ${subordinate.name}): ${k} is ${show(a[k])} on ${manager.name} but ${show(b[k])} on ${subordinate.name}`);
    }
  }
  for (const c of channelOrder(manager.kind)) {
    const [src, dst] = forward[c] ? [manager.channels[c], subordinate.channels[c]] : [subordinate.channels[c], manager.channels[c]];
    dst.valid.set(src.valid);
    for (const [f, s] of Object.entries(src.fields)) dst.fields[f]!.set(s);
    src.ready.set(dst.ready);
  }
}
