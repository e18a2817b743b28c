/** Every example design, for the guide, the lint/synthesis tests and the benchmark. */
import type { ModuleDef } from '../core/module.ts';
import { counter } from './counter.ts';
import { byteFifo } from './fifo.ts';
import { offsetStage } from './stream-stage.ts';

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
];
