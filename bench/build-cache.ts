/**
 * What the Verilator build cache (sim/build) saves, and how fast the vector
 * runner (sim/vectors) moves cycles.
 *
 *   node --import tsx bench/build-cache.ts [--rounds 3] [--cycles 200000] [--json out/bench/build-cache.json]
 *
 * Builds the vector-runner model of test/sim-vectors/fixtures/vec_dut.v (ports up to 256 bits):
 *  - cold: empty cache, Verilator runtime objects compiled too (a private $SPARSEGRAD_CACHE);
 *  - miss: empty entry cache, runtime objects reused (the common case for a new design);
 *  - hit, in process: a second request in the same process;
 *  - hit, fresh process: a new Node process asks for the same build (time measured inside
 *    it from just before the call, so Node's start-up and module loading are excluded).
 * Then runs `--cycles` random cycles through the model, end to end (encode, write, run,
 * read, decode), and reports cycles/s. Builds compete with whatever else runs on the
 * machine, so the load average is recorded next to the figures.
 *
 * Measured (`--rounds 2 --cycles 200000`, 2-core AMD EPYC, Node 20, Verilator 5.006, g++ 12,
 * load average 16 from other jobs): cold build 30.3 s, miss 6.6 s (runtime objects reused),
 * hit 0.46 ms in process and 7.7 ms in a fresh process; 88.7 kcycles/s end to end.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { execa } from 'execa';
import { buildVerilatedInfo, type VerilatedBuild } from '../sim/build/index.ts';
import { prepareVectors, type Vector } from '../sim/vectors/index.ts';
import { generateVectorMain } from '../sim/vectors/testbench.ts';
import { machine, median } from './util.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DUT = join(ROOT, 'test/sim-vectors/fixtures/vec_dut.v');

const program = new Command('build-cache')
  .option('--rounds <n>', 'rounds of each measurement (median reported)', (v) => Number(v), 3)
  .option('--cycles <n>', 'cycles for the vector-runner throughput', (v) => Number(v), 200_000)
  .option('--json <file>', 'write the figures as JSON');
program.parse();
const opts = program.opts<{ rounds: number; cycles: number; json?: string }>();

const log = (s: string) => process.stderr.write(`${s}\n`);

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'sparsegrad-bench-build-'));
  try {
    // The build request the vector runner makes for vec_dut, reproduced so each contender asks for exactly it.
    const runner = await prepareVectors({ files: [DUT], top: 'vec_dut', clock: 'clk', reset: { name: 'rst_n', activeLow: true } });
    const cpp = join(work, 'vectors_vec_dut.cpp');
    writeFileSync(cpp, generateVectorMain(runner.plan));
    const request = (cacheDir: string): VerilatedBuild => ({ top: 'vec_dut', files: [DUT], cppFiles: [cpp], flags: ['-Wno-fatal'], cacheDir });
    const load0 = loadavg()[0]!;

    const cold: number[] = [];
    const miss: number[] = [];
    const hitIn: number[] = [];
    const hitFresh: number[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      const privateCache = join(work, `cold-${r}`);
      const t0 = performance.now();
      await execa('node', ['--import', 'tsx', '-e', buildOnce(request(join(privateCache, 'verilator')))], { cwd: ROOT, env: { SPARSEGRAD_CACHE: privateCache } });
      cold.push((performance.now() - t0) / 1000);

      const dir = join(work, `miss-${r}`);
      const m = await buildVerilatedInfo(request(dir));
      if (m.hit) throw new Error('expected a miss');
      miss.push(m.seconds);
      const h = await buildVerilatedInfo(request(dir));
      if (!h.hit) throw new Error('expected a hit');
      hitIn.push(h.seconds);
      const fresh = await execa('node', ['--import', 'tsx', '-e', buildOnce(request(dir))], { cwd: ROOT });
      hitFresh.push(Number(fresh.stdout));
      log(`round ${r + 1}: cold ${cold[r]!.toFixed(1)} s, miss ${miss[r]!.toFixed(1)} s, hit ${(hitIn[r]! * 1000).toFixed(2)} ms in process, ${(hitFresh[r]! * 1000).toFixed(1)} ms in a fresh process`);
    }

    const inputs: Vector[] = [];
    let x = 0x12345678n;
    for (let c = 0; c < opts.cycles; c++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
      inputs.push({ en: x & 1n, a: (x >> 8n) & 0xffn, s: (x >> 16n) & 0xffffn, q48: x & ((1n << 48n) - 1n), w130: x << 66n, w256: (x << 192n) | x });
    }
    const runs: number[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      const t0 = performance.now();
      await runner.run(inputs);
      runs.push((performance.now() - t0) / 1000);
    }
    const cyclesPerSec = opts.cycles / median(runs);
    log(`vectors: ${opts.cycles} cycles end to end in ${median(runs).toFixed(2)} s: ${(cyclesPerSec / 1e3).toFixed(1)} kcycles/s`);

    const out = {
      machine: machine(),
      loadAverage: { before: load0, after: loadavg()[0]! },
      rounds: opts.rounds,
      coldBuildSeconds: Number(median(cold).toFixed(2)),
      missBuildSeconds: Number(median(miss).toFixed(2)),
      hitInProcessMs: Number((median(hitIn) * 1000).toFixed(2)),
      hitFreshProcessMs: Number((median(hitFresh) * 1000).toFixed(2)),
      vectorCycles: opts.cycles,
      vectorCyclesPerSec: Math.round(cyclesPerSec),
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    if (opts.json) {
      mkdirSync(dirname(opts.json), { recursive: true });
      writeFileSync(opts.json, `${JSON.stringify(out, Object.keys(out).sort(), 2)}\n`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A child-process script: one build, printing the seconds the call took. */
function buildOnce(req: VerilatedBuild): string {
  return `import('./sim/build/index.ts').then(async (m) => { const t = performance.now(); await m.buildVerilatedInfo(${JSON.stringify(req)}); process.stdout.write(String((performance.now() - t) / 1000)); })`;
}

await main();
