/**
 * Stream pipeline stages, built inline in the calling module. Each takes a stream
 * whose valid/data/last the stage reads and whose ready it drives, and returns a
 * stream whose valid/data/last are registers and whose ready the caller must drive.
 */
import type { ModuleBuilder } from '../core/module.ts';
import { Bool } from '../core/types.ts';
import { fire, type Stream } from './stream.ts';

/**
 * Forward register slice: registers valid and payload (cuts the forward timing path);
 * ready passes through combinationally. Full throughput.
 */
export function registerSlice(m: ModuleBuilder, name: string, input: Stream): Stream {
  const valid = m.reg(`${name}_valid`, Bool(), { reset: 0 });
  const data = m.reg(`${name}_data`, input.data.type);
  const last = input.last ? m.reg(`${name}_last`, Bool()) : undefined;
  const ready = m.wire(`${name}_ready`, Bool());
  const canLoad = m.named(`${name}_can_load`, valid.not().or(ready));
  input.ready.set(canLoad);
  m.when(canLoad, () => {
    valid.set(input.valid);
  });
  m.when(fire(input), () => {
    data.set(input.data);
    if (last && input.last) last.set(input.last);
  });
  return { valid, ready, data, ...(last ? { last } : {}) };
}

/**
 * Skid buffer: registers both directions (valid/payload forward, ready backward),
 * so a long chain of stages has no combinational path through it. Full throughput,
 * two entries of storage.
 */
export function skidBuffer(m: ModuleBuilder, name: string, input: Stream): Stream {
  const valid = m.reg(`${name}_valid`, Bool(), { reset: 0 });
  const data = m.reg(`${name}_data`, input.data.type);
  const last = input.last ? m.reg(`${name}_last`, Bool()) : undefined;
  const skidValid = m.reg(`${name}_skid_valid`, Bool(), { reset: 0 });
  const skidData = m.reg(`${name}_skid_data`, input.data.type);
  const skidLast = input.last ? m.reg(`${name}_skid_last`, Bool()) : undefined;
  const ready = m.wire(`${name}_ready`, Bool());

  input.ready.set(skidValid.not());
  const outCanLoad = m.named(`${name}_can_load`, valid.not().or(ready));
  m.when(outCanLoad, () => {
    m.when(skidValid, () => {
      valid.set(true);
      data.set(skidData);
      if (last && skidLast) last.set(skidLast);
      skidValid.set(false);
    }).otherwise(() => {
      valid.set(input.valid);
      m.when(input.valid, () => {
        data.set(input.data);
        if (last && input.last) last.set(input.last);
      });
    });
  }).elsewhen(fire(input), () => {
    // Output is stalled: park the beat we already accepted.
    skidValid.set(true);
    skidData.set(input.data);
    if (skidLast && input.last) skidLast.set(input.last);
  });
  return { valid, ready, data, ...(last ? { last } : {}) };
}
