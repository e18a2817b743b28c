/**
 * Stream pipeline stages, built inline in the calling module. Each reads a stream
 * (valid, payload, last, keep, user), drives its ready, and returns a stream of
 * registers whose ready the caller drives (by connect() or by hand).
 */
import { Signal } from '../core/expr.ts';
import type { ModuleBuilder } from '../core/module.ts';
import { Bool } from '../core/types.ts';
import { Stream, type PayloadType } from './stream.ts';

type Forward = 'data' | 'last' | 'keep' | 'user';
const forwardKeys: Forward[] = ['data', 'last', 'keep', 'user'];

/** Registers named `<name>_<key>` for every forward signal the input carries. */
function forwardRegs(m: ModuleBuilder, name: string, input: Stream): Partial<Record<Forward, Signal>> {
  const out: Partial<Record<Forward, Signal>> = {};
  for (const k of forwardKeys) {
    const s = input[k];
    if (s) out[k] = m.reg(`${name}_${k}`, s.type) as Signal;
  }
  return out;
}

function loadFrom(regs: Partial<Record<Forward, Signal>>, from: Partial<Record<Forward, Signal | undefined>>): void {
  for (const k of forwardKeys) if (regs[k] && from[k]) regs[k]!.set(from[k]!);
}

function streamOfRegs<T extends PayloadType>(name: string, input: Stream<T>, valid: Signal, ready: Signal, regs: Partial<Record<Forward, Signal>>): Stream<T> {
  return new Stream(name, input.spec, 'wire', valid, ready, regs.data!, regs.last, regs.keep, regs.user);
}

/**
 * Forward register slice (pipe): registers valid and payload (cuts the forward timing
 * path); ready passes through combinationally. Full throughput.
 */
export function registerSlice<T extends PayloadType>(m: ModuleBuilder, name: string, input: Stream<T>): Stream<T> {
  const valid = m.reg(`${name}_valid`, Bool(), { reset: 0 }) as Signal;
  const regs = forwardRegs(m, name, input);
  const ready = m.wire(`${name}_ready`, Bool()) as Signal;
  const canLoad = m.named(`${name}_can_load`, valid.not().or(ready));
  input.ready.set(canLoad);
  m.when(canLoad, () => {
    valid.set(input.valid);
  });
  m.when(input.fire(), () => loadFrom(regs, input));
  return streamOfRegs(name, input, valid, ready, regs);
}

/**
 * Skid buffer: registers both directions (valid/payload forward, ready backward),
 * so a long chain of stages has no combinational path through it. Full throughput,
 * two entries of storage.
 */
export function skidBuffer<T extends PayloadType>(m: ModuleBuilder, name: string, input: Stream<T>): Stream<T> {
  const valid = m.reg(`${name}_valid`, Bool(), { reset: 0 }) as Signal;
  const regs = forwardRegs(m, name, input);
  const skidValid = m.reg(`${name}_skid_valid`, Bool(), { reset: 0 }) as Signal;
  const skid = forwardRegs(m, `${name}_skid`, input);
  const ready = m.wire(`${name}_ready`, Bool()) as Signal;

  input.ready.set(skidValid.not());
  const outCanLoad = m.named(`${name}_can_load`, valid.not().or(ready));
  m.when(outCanLoad, () => {
    m.when(skidValid, () => {
      valid.set(true);
      loadFrom(regs, skid);
      skidValid.set(false);
    }).otherwise(() => {
      valid.set(input.valid);
      m.when(input.valid, () => loadFrom(regs, input));
    });
  }).elsewhen(input.fire(), () => {
    // Output is stalled: park the beat we already accepted.
    skidValid.set(true);
    loadFrom(skid, input);
  });
  return streamOfRegs(name, input, valid, ready, regs);
}

/** `pipe` and `skid`: the stream-operator names of registerSlice and skidBuffer. */
export const pipe = registerSlice;
export const skid = skidBuffer;
