/**
 * cosim on the committed engine RTL (tiny preset): bit-exact against the model
 * under backpressure and memory latency, the report and tensor files, byte-
 * identical reruns; and injected faults (a flipped threshold comparison, a
 * dropped accumulator term) that cosim and regress must catch with the
 * mismatch report (stream, step, sample, index, expected, got) and a VCD.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { decodeSafetensors } from '../../streams/safetensors.ts';
import { runCosim } from '../../sim/cosim.ts';
import { runRegress } from '../../sim/regress.ts';
import { DEFAULT_RTL, REPO_ROOT } from '../../sim/rtl-locate.ts';
import { testSeed } from './seed.ts';

const PRESET = 'tiny';

/** A copy of rtl/tiny with `edit` applied to one file of the sparse engine; fails loudly if the fault site is gone. */
async function faultyRtl(file: string, edit: (text: string) => string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sg-fault-rtl-'));
  await cp(join(DEFAULT_RTL, PRESET), join(dir, PRESET), { recursive: true });
  const path = join(dir, PRESET, 'sparse_bwd_engine', file);
  const before = await readFile(path, 'utf8');
  const after = edit(before);
  assert.notEqual(after, before, `fault site not found in ${file}: the generated RTL changed, update the fault`);
  await writeFile(path, after);
  return dir;
}

/** g' = |g| < θ ? 0 : g becomes its opposite: both compares (g ≥ max(θ, 1), g ≤ −max(θ, 1)) flipped. */
const flipThreshold = (v: string) => v.replace(/ >= theta_nz\)/g, ' < theta_nz)').replace(/ <= \$signed\(neg_theta_nz\)/g, ' > $signed(neg_theta_nz)');

/** The first sign-extended product added to an accumulator is replaced by zero of the same width. */
function dropProductTerm(v: string): string {
  return v.replace(/\+ \{\{(\d+)\{(\w*prod\w*)\[(\d+)\]\}\}, \2\}/, (_m, ext: string, _name: string, msb: string) => `+ ${Number(ext) + Number(msb) + 1}'d0`);
}

describe('sim cosim: the engine RTL against the model (tiny preset)', function () {
  const seed = testSeed('cosim');
  let out: string;
  before(async () => {
    out = await mkdtemp(join(tmpdir(), 'sg-cosim-'));
  });
  after(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('is bit-exact with random backpressure and memory latency, and reports the figures', async () => {
    const dir = join(out, 'random');
    const { report } = await runCosim({ preset: PRESET, synthetic: 'random', mode: 'both', backpressure: 'random', memLatency: 17, stall: 0.1, seed, out: dir });
    assert.equal(report.pass, true, `${report.firstMismatch}`);
    assert.equal(report.mismatches, 0);
    for (const k of ['pass', 'mismatches', 'sparsity', 'nnz', 'total', 'cycles', 'denseCycles', 'idealCycles', 'speedup', 'efficiency'] as const) assert.ok(k in report, k);
    assert.ok(report.sparsity > 0.5 && report.sparsity < 0.95, `sparsity ${report.sparsity}`);
    assert.ok(report.denseCycles! > report.cycles, 'skipping saves cycles');
    assert.equal(report.runs.length, 4);
    const io = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'cosim-io.safetensors'))), 'cosim-io');
    const shape = (n: string) => io.tensors.get(n)?.shape;
    const { R, K, S } = { R: shape('q_g')![1]!, K: shape('q_W')![1]!, S: shape('q_g')![0]! };
    assert.deepEqual(shape('q_W'), [R, K]);
    assert.deepEqual(shape('q_a'), [S, K]);
    assert.deepEqual(shape('y'), [S, K]);
    assert.deepEqual(shape('G'), [R, K]);
    for (const n of ['theta_q', 'acc_bits', 'exp_g', 'scale_g', 'y_dense', 'G_dense']) assert.ok(io.tensors.has(n), n);
  });

  it('passes the edge cases, and writes byte-identical files for the same seed', async () => {
    const cases = [['zeros', 'none'], ['last', 'none'], ['first', 'random'], ['saturate', 'bursty'], ['thetamax', 'random'], ['rk1', 'none'], ['tiled', 'bursty']] as const;
    for (const [kind, backpressure] of cases) {
      const { report } = await runCosim({ preset: PRESET, synthetic: kind, mode: 'both', backpressure, memLatency: 5, seed, out: join(out, kind), dense: kind === 'tiled' });
      assert.equal(report.pass, true, `${kind}: ${report.firstMismatch}`);
    }
    await runCosim({ preset: PRESET, synthetic: 'tiled', mode: 'both', backpressure: 'bursty', memLatency: 5, seed, out: join(out, 'tiled-again') });
    for (const f of ['cosim-report.json', 'cosim-io.safetensors']) {
      assert.deepEqual(await readFile(join(out, 'tiled', f)), await readFile(join(out, 'tiled-again', f)), f);
    }
  });

  it('catches a flipped threshold comparison: mismatch report, VCD, non-zero exit (CLI)', async () => {
    const rtl = await faultyRtl('sbe_threshold.v', flipThreshold);
    try {
      const dir = join(out, 'fault-threshold');
      const r = await execa(join(REPO_ROOT, 'bin', 'sparsegrad'), ['cosim', '--preset', PRESET, '--rtl', rtl, '--mode', 'data', '--no-dense', '--seed', String(seed), '--out', dir], { reject: false });
      assert.equal(r.exitCode, 1, r.stderr);
      assert.match(r.stdout, /cosim FAIL/);
      assert.match(r.stdout, /y \(m_axis_res\) t=\d+ b=\d+ k=\d+: expected -?\d+, got -?\d+/);
      const report = JSON.parse(await readFile(join(dir, 'cosim-report.json'), 'utf8'));
      assert.equal(report.pass, false);
      assert.ok(report.mismatches > 0);
      assert.equal(report.vcd, 'cosim-mismatch.vcd');
      const vcd = await readFile(join(dir, 'cosim-mismatch.vcd'), 'utf8');
      assert.match(vcd, /\$enddefinitions/);
      assert.match(vcd, /s_axis_grad_tdata/);
      // The regress matrix run on the same faulty RTL fails too, and says so in JUnit.
      const reg = join(out, 'regress-fault');
      const results = await runRegress({
        matrix: { presets: [PRESET], sources: ['random'], backpressure: ['none'], memLatency: [3], seeds: [seed] },
        rtl,
        jobs: 1,
        out: reg,
        stall: 0,
      });
      assert.equal(results.length, 1);
      assert.equal(results[0]!.pass, false);
      assert.match(results[0]!.failure ?? '', /expected -?\d+, got -?\d+/);
      const junit = await readFile(join(reg, 'junit.xml'), 'utf8');
      assert.match(junit, /failures="1"/);
      assert.ok((await readdir(reg)).some((f) => f.startsWith(`${PRESET}.random`)), 'the failing point keeps its folder');
    } finally {
      await rm(rtl, { recursive: true, force: true });
    }
  });

  it('catches a dropped accumulator term in weight mode', async () => {
    const rtl = await faultyRtl('sbe_lanes.v', dropProductTerm);
    try {
      const { report } = await runCosim({ preset: PRESET, rtl, synthetic: 'random', mode: 'weight', backpressure: 'none', memLatency: 4, seed, out: join(out, 'fault-acc'), dense: false, vcd: false });
      assert.equal(report.pass, false);
      assert.match(report.firstMismatch ?? '', /G \(memory\) row j=\d+ k=\d+: expected -?\d+, got -?\d+/);
      assert.equal(existsSync(join(out, 'fault-acc', 'cosim-mismatch.vcd')), false);
    } finally {
      await rm(rtl, { recursive: true, force: true });
    }
  });
});
