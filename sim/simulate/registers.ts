/** AXI4-Lite commands as the test writes them (register names or byte addresses) into the harness's script. */
import type { EmittedDesign } from '../../generator/index.ts';
import type { LiteCommand } from '../harness/job.ts';
import { misuse } from './failures.ts';
import { interfacesOfDesign } from './streams.ts';
import { describe } from './values.ts';

/** An address is a byte address or the name of a register of the design's register map (`declareRegisters`). */
export type RegisterAddress = number | string;
export type RegisterCommand =
  /** A write that must be answered OKAY (else the run fails with AXIL-OKAY). */
  | { write: RegisterAddress; data: number }
  /** A read that must be answered OKAY; the value lands in `run.reads`. */
  | { read: RegisterAddress }
  /** A write whose response is logged in `run.pokes`, not checked (for SLVERR tests); BREADY held low `bDelay` cycles. */
  | { poke: RegisterAddress; data: number; bDelay?: number }
  /** Poll until `(read & mask) === value` (mask defaults to all ones). */
  | { wait: RegisterAddress; value: number; mask?: number }
  /** One read that must satisfy `(read & mask) === value` (else AXIL-EXPECT). */
  | { expect: RegisterAddress; value: number; mask?: number }
  | { idle: number };

export interface RegisterInfo {
  name: string;
  offset: number;
}

export function registerMap(design: EmittedDesign, lite: string | undefined): RegisterInfo[] {
  if (!lite) return [];
  const entry = interfacesOfDesign(design).find((i) => i.kind === 'axilite' && i.name === lite);
  return ((entry?.registers as RegisterInfo[] | undefined) ?? []).map((r) => ({ name: r.name, offset: r.offset }));
}

export function liteScript(where: string, cmds: readonly RegisterCommand[], regs: readonly RegisterInfo[], hasLite: boolean, design: string, gaps: (() => number) | undefined): LiteCommand[] {
  if (cmds.length && !hasLite) throw misuse(where, `registers are given, but ${design} has no AXI4-Lite subordinate (axiPort(m, name, AxiLite(…).flip()))`);
  const addr = (a: unknown, i: number): number => {
    if (typeof a === 'string') {
      const r = regs.find((x) => x.name === a);
      if (!r) throw misuse(where, `registers[${i}]: ${design} has no register ${a}${regs.length ? ` (its registers: ${regs.map((x) => x.name).join(', ')})` : ' (it declares no register map: use byte addresses, or declareRegisters())'}`);
      return r.offset;
    }
    if (typeof a !== 'number' || !Number.isInteger(a) || a < 0 || a >= 2 ** 32) throw misuse(where, `registers[${i}]: the address is ${describe(a)}; give a byte address or a register name`);
    return a;
  };
  const word = (v: unknown, what: string, i: number): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= 2 ** 32) throw misuse(where, `registers[${i}].${what} is ${describe(v)}; give a 32-bit unsigned number`);
    return v;
  };
  const out: LiteCommand[] = [];
  cmds.forEach((c, i) => {
    const gap = gaps ? Math.floor(gaps() * 4) : 0;
    if (gap) out.push({ op: 'idle', cycles: gap });
    if ('write' in c) out.push({ op: 'write', addr: addr(c.write, i), data: word(c.data, 'data', i) });
    else if ('read' in c) out.push({ op: 'read', addr: addr(c.read, i) });
    else if ('poke' in c) out.push({ op: 'poke', addr: addr(c.poke, i), data: word(c.data, 'data', i), bDelay: c.bDelay ?? (gaps ? Math.floor(gaps() * 4) : 0) });
    else if ('wait' in c) out.push({ op: 'wait', addr: addr(c.wait, i), mask: word(c.mask ?? 0xffffffff, 'mask', i), value: word(c.value, 'value', i) });
    else if ('expect' in c) out.push({ op: 'expect', addr: addr(c.expect, i), mask: word(c.mask ?? 0xffffffff, 'mask', i), value: word(c.value, 'value', i) });
    else if ('idle' in c) out.push({ op: 'idle', cycles: word(c.idle, 'idle', i) });
    else throw misuse(where, `registers[${i}] is ${describe(c)}: a command is { write, data }, { read }, { poke, data }, { wait, value }, { expect, value } or { idle }`);
  });
  return out;
}

