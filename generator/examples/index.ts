/** Every example design, for the guide, the lint/synthesis tests and the benchmark. */
import type { ModuleDef } from '../core/module.ts';
import { counter } from './counter.ts';
import { byteFifo } from './fifo.ts';
import { offsetStage } from './stream-stage.ts';
import { satMac } from './sat-mac.ts';
import { laneDatapath } from './lane-datapath.ts';
import { arbiter } from './arbiter.ts';
import { channelScaler } from './bundle-stream.ts';
import { SFix } from '../lib/fixed.ts';
import { fir4 } from './fir.ts';
import { axilRegfile } from './axil-regfile.ts';

export interface ExampleDesign {
  readonly name: string;
  readonly build: () => ModuleDef;
}

export const exampleDesigns: readonly ExampleDesign[] = [
  { name: 'counter', build: () => counter(8) },
  { name: 'counter-1bit', build: () => counter(1) },
  { name: 'fifo', build: () => byteFifo(16) },
  { name: 'fifo-odd-depth', build: () => byteFifo(5) },
  { name: 'stream-stage', build: () => offsetStage(12) },
  { name: 'sat-mac', build: () => satMac(macExample) },
  { name: 'arbiter', build: () => arbiter(5) },
  { name: 'arbiter-pow2', build: () => arbiter(4, 3) },
  { name: 'bundle-stream', build: () => channelScaler([1, 3, 5, 7, 2, 4]) },
  { name: 'fir4', build: () => fir4(firExample) },
  { name: 'axil-regfile', build: () => axilRegfile(4) },
  { name: 'axil-regfile-3', build: () => axilRegfile(3, 6) },
  { name: 'lane-datapath', build: () => laneDatapath({ lanes: 3, perBeat: 2, gBits: 8, wBits: 8, accBits: 20, depth: 8 }) },
];

/** Q3.5 x Q3.5 into a Q8.10 accumulator, read out as Q4.4 rounded half-to-even. */
export const macExample = { a: SFix(3, 5), b: SFix(3, 5), acc: SFix(8, 10), out: SFix(4, 4), rounding: 'half-even' } as const;

/** Coefficients of the FIR example: a gain of 3.5, so full-scale input saturates. */
export const firExample = [0.75, 1, 1, 0.75] as const;
