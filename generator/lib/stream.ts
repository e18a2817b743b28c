/**
 * Stream: valid/ready handshake with a payload and an optional last flag.
 * Transfer rule (AXI4-Stream): a beat moves on a clock edge where valid && ready;
 * while valid && !ready the source holds valid, data and last unchanged.
 * At module ports streams take AXI4-Stream names: s_axis_<name>_tvalid/_tready/_tdata/_tlast
 * for a sink (slave) port, m_axis_<name>_… for a source (master) port.
 */
import { designError } from '../core/errors.ts';
import { Expr, Signal } from '../core/expr.ts';
import { captureLoc } from '../core/loc.ts';
import type { ModuleBuilder } from '../core/module.ts';
import { Bool, Ground, UInt, bitWidth, type HwType } from '../core/types.ts';
import { unpack, type Val } from '../core/pack.ts';

/** The signals of a stream as seen inside one module. */
export interface Stream {
  readonly valid: Signal;
  readonly ready: Signal;
  readonly data: Signal;
  readonly last?: Signal;
}

export interface StreamOptions {
  /** Carry tlast (packet boundaries). */
  last?: boolean;
}

/** tdata of a payload type: a ground type as it is, an aggregate packed into a UInt. */
const dataType = (t: HwType): Ground => (t instanceof Ground ? t : UInt(bitWidth(t)));

/** The payload of a stream carrying type T, unpacked from its data (see core/pack.ts). */
export function payload<T extends HwType>(type: T, s: Stream): Val<T> {
  return unpack(type, s.data);
}

/** A stream sink port: tvalid/tdata/tlast in, tready out (drive `ready`). Aggregates are packed into tdata. */
export function streamIn(m: ModuleBuilder, name: string, type: HwType, options: StreamOptions = {}): Stream {
  const data = dataType(type);
  const p = `s_axis_${name}`;
  return {
    valid: m.input(`${p}_tvalid`, Bool()),
    ready: m.output(`${p}_tready`, Bool()),
    data: m.input(`${p}_tdata`, data),
    ...(options.last ? { last: m.input(`${p}_tlast`, Bool()) } : {}),
  };
}

/** A stream source port: tvalid/tdata/tlast out (drive them; `data.set(pack(x))` for aggregates), tready in. */
export function streamOut(m: ModuleBuilder, name: string, type: HwType, options: StreamOptions = {}): Stream {
  const data = dataType(type);
  const p = `m_axis_${name}`;
  return {
    valid: m.output(`${p}_tvalid`, Bool()),
    ready: m.input(`${p}_tready`, Bool()),
    data: m.output(`${p}_tdata`, data),
    ...(options.last ? { last: m.output(`${p}_tlast`, Bool()) } : {}),
  };
}

/** A stream between two places inside a module: four plain wires. */
export function streamWire(m: ModuleBuilder, name: string, type: HwType, options: StreamOptions = {}): Stream {
  const data = dataType(type);
  return {
    valid: m.wire(`${name}_valid`, Bool()),
    ready: m.wire(`${name}_ready`, Bool()),
    data: m.wire(`${name}_data`, data),
    ...(options.last ? { last: m.wire(`${name}_last`, Bool()) } : {}),
  };
}

/** True on a cycle where a beat transfers. */
export function fire(s: Stream): Expr {
  return s.valid.and(s.ready);
}

/**
 * Connect a source stream to a sink stream (valid, data, last forward; ready back).
 * Both are as seen from the current module: `from` is something we read valid/data
 * from (a sink port or an instance's source port), `to` something we drive.
 */
export function connect(from: Stream, to: Stream): void {
  to.valid.set(from.valid);
  to.data.set(from.data);
  if (to.last) {
    if (!from.last) designError('structure', captureLoc(), `stream ${to.data.name} carries last but ${from.data.name} does not`);
    to.last.set(from.last);
  }
  from.ready.set(to.ready);
}
