/**
 * Generator benchmark: elaborate, check and emit an N-lane thresholded MAC datapath
 * (generator/examples/lane-datapath.ts, lanes inline, 16-bit g/w, 48-bit saturating
 * accumulators in per-lane block RAM). Not a test: figures depend on the machine.
 *   node --import tsx bench/generator-elaborate.ts [--lanes 64] [--per-beat 8] [--rounds 7]
 */
import { Command } from 'commander';
import { checkDesign, emitVerilog } from '../generator/index.ts';
import { laneDatapath } from '../generator/examples/lane-datapath.ts';

const program = new Command('generator-elaborate')
  .option('--lanes <n>', 'MAC lanes', (v) => Number(v), 64)
  .option('--per-beat <n>', 'gradient values per input beat', (v) => Number(v), 8)
  .option('--rounds <n>', 'timed rounds (median reported)', (v) => Number(v), 7)
  .parse();
const o = program.opts<{ lanes: number; perBeat: number; rounds: number }>();

const cfg = { lanes: o.lanes, perBeat: o.perBeat, gBits: 16, wBits: 16, accBits: 48, depth: 64 };
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

const elaborate: number[] = [];
const check: number[] = [];
const emit: number[] = [];
const total: number[] = [];
let stats = { signals: 0, lines: 0, bytes: 0 };
// One untimed warm-up round so module loading and JIT are not in the figure.
for (let r = 0; r <= o.rounds; r++) {
  const t0 = process.hrtime.bigint();
  const top = laneDatapath(cfg);
  const t1 = process.hrtime.bigint();
  const checks = checkDesign(top);
  const t2 = process.hrtime.bigint();
  const design = emitVerilog(top); // runs the checks again, as `generate` does
  const t3 = process.hrtime.bigint();
  if (checks.errors.length) throw new Error(`benchmark design has errors: ${checks.errors[0]!.message}`);
  if (r === 0) continue;
  elaborate.push(Number(t1 - t0) / 1e6);
  check.push(Number(t2 - t1) / 1e6);
  emit.push(Number(t3 - t2) / 1e6);
  total.push(ms(t0));
  const text = [...design.files.values()].join('');
  stats = { signals: top.impl!.signals.length, lines: text.split('\n').length, bytes: text.length };
}
console.log(`lane datapath: ${cfg.lanes} lanes, ${cfg.perBeat} values/beat, ${stats.signals} signals, ${stats.lines} Verilog lines (${(stats.bytes / 1024).toFixed(0)} KiB)`);
console.log(`median of ${o.rounds} rounds: elaborate ${median(elaborate).toFixed(1)} ms, check ${median(check).toFixed(1)} ms, check+emit ${median(emit).toFixed(1)} ms, total ${median(total).toFixed(1)} ms`);
