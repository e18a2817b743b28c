import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { readGradientDump } from '../../streams/gradient-dump.ts';
import { readSafetensors } from '../../streams/safetensors.ts';
import { compareToDense, modelVerdict, summariseSetting, type RunResult } from '../../golden/verdict.ts';
import { loadWordCorpus, wordTokens, UNKNOWN_WORD } from '../../golden/corpus.ts';

const bin = fileURLToPath(new URL('../../bin/sparsegrad', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sg-full-'));
const tiny = ['--hidden', '6', '--batch', '4', '--seq', '8', '--valid-chars', '512', '--lr', '1', '--momentum', '0', '--clip', '5', '--quiet'];

function run(setting: string, seed: number, bits: number, converged = true, sparsity = 0.85): RunResult {
  return {
    model: 'm', setting, seed, theta: setting === 'dense' ? 0 : 1e-5, targetSparsity: null, meanTheta: 1e-5, validBits: bits, converged,
    stopReason: converged ? 'plateau' : 'budget', steps: 100, bestStep: 80,
    sparsity: { all: setting === 'dense' ? 0 : sparsity, i: sparsity, f: sparsity, g: sparsity, o: sparsity },
    redundantMacFraction: 0.5, wallSeconds: 10, trajectory: [[50, sparsity, sparsity, sparsity, sparsity, sparsity]], validCurve: [[50, bits]],
  };
}
const dense = [run('dense', 1, 1.50), run('dense', 2, 1.51), run('dense', 3, 1.49)];

describe('golden: the multi-seed verdict', () => {
  it('holds only when the interval is within +2% and everything converged', () => {
    const close = [run('t', 1, 1.505), run('t', 2, 1.515), run('t', 3, 1.495)];
    assert.equal(compareToDense(close, dense).verdict, 'holds');
    assert.equal(modelVerdict('m', [summariseSetting(dense, null), summariseSetting(close, dense)]).verdict, 'holds');
    // The same numbers with one dense run at its budget: never "holds".
    const unconverged = [run('dense', 1, 1.50), run('dense', 2, 1.51, false), run('dense', 3, 1.49)];
    const v = compareToDense(close, unconverged);
    assert.equal(v.verdict, 'cannot tell');
    assert.match(v.why, /stopped at the budget/);
    // One seed: no interval, no claim.
    assert.equal(compareToDense([close[0]!], [dense[0]!]).verdict, 'cannot tell');
  });

  it('does not hold when the loss exceeds the margin with confidence, cannot tell when the interval straddles it', () => {
    const worse = [run('t', 1, 1.60), run('t', 2, 1.61), run('t', 3, 1.59)];
    assert.equal(compareToDense(worse, dense).verdict, 'does not hold');
    const noisy = [run('t', 1, 1.45), run('t', 2, 1.60), run('t', 3, 1.55)];
    assert.equal(compareToDense(noisy, dense).verdict, 'cannot tell');
    // Below 80% sparsity a setting that holds does not carry the claim.
    const sparseTooLittle = [run('t', 1, 1.5, true, 0.7), run('t', 2, 1.5, true, 0.7), run('t', 3, 1.5, true, 0.7)];
    assert.notEqual(modelVerdict('m', [summariseSetting(sparseTooLittle, dense)]).verdict, 'holds');
  });

  it('averages trajectories over the seeds that reached each step', () => {
    const a = run('t', 1, 1.5), b = run('t', 2, 1.5);
    a.trajectory = [[10, 0.5, 0, 0, 0, 0], [20, 0.7, 0, 0, 0, 0]];
    b.trajectory = [[10, 0.7, 0, 0, 0, 0]];
    const s = summariseSetting([a, b], null);
    assert.deepEqual(s.trajectory.map((t) => [t.step, t.n, Number(t.all.mean.toFixed(6))]), [[10, 2, 0.6], [20, 1, 0.7]]);
  });
});

describe('golden: plateau schedule and early stopping', () => {
  it('stops on a plateau (converged) or at the budget (not converged), and reports the best validation', async () => {
    // lr 1e-4 barely moves the loss: no validation improves by 10%, so the schedule cuts and stops early.
    const flat = await execa(bin, ['train', ...tiny, '--lr', '0.0001', '--schedule', 'plateau', '--eval-every', '2', '--patience', '1', '--max-decays', '1', '--min-delta', '0.1', '--steps', '100', '--out', join(dir, 'flat')], { reject: false });
    assert.equal(flat.exitCode, 0, flat.stderr);
    const r = JSON.parse(readFileSync(join(dir, 'flat', 'report.json'), 'utf8'));
    assert.equal(r.stop.reason, 'plateau');
    assert.equal(r.stop.converged, true);
    assert.equal(r.stop.lrDecays, 1);
    assert.equal(r.final.step, 6, 'best at 2, bad at 4 (cut), bad at 6 (stop)');
    assert.equal(r.trainLoss.length, 6);
    assert.equal(r.final.validLoss, Math.min(...r.validation.map((v: number[]) => v[1])));
    assert.equal(r.sparsityTrajectory.length, r.validation.length);
    // Any learning progress at all within 4 steps: the budget ends the run first.
    const short = await execa(bin, ['train', ...tiny, '--schedule', 'plateau', '--eval-every', '2', '--steps', '4', '--out', join(dir, 'short')], { reject: false });
    assert.equal(short.exitCode, 0, short.stderr);
    assert.match(short.stdout, /NOT converged/);
    const s = JSON.parse(readFileSync(join(dir, 'short', 'report.json'), 'utf8'));
    assert.deepEqual([s.stop.reason, s.stop.converged], ['budget', false]);
  });

  it('refuses a plateau schedule without validation, in one line', async () => {
    const r = await execa(bin, ['train', ...tiny, '--schedule', 'plateau', '--out', join(dir, 'x')], { reject: false });
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /^sparsegrad: error: --schedule plateau needs validation during training: give --eval-every n > 0$/);
  });
});

describe('golden: the word-level model', () => {
  it('tokenizes words, punctuation and line breaks, and maps rare words to <unk>', () => {
    assert.deepEqual(wordTokens("O'er the hill, Romeo!\nNo."), ["o'er", 'the', 'hill', ',', 'romeo', '!', '\n', 'no', '.']);
    const c = loadWordCorpus('data/tinyshakespeare/input.txt', 100);
    assert.equal(c.vocab.length, 101);
    assert.equal(c.vocab.at(-1), UNKNOWN_WORD);
    assert.ok(c.train.some((x) => x === 100) && c.train.every((x) => x >= 0 && x <= 100));
  });

  it('trains with an embedding input and dumps it under PyTorch names, D = E ≠ V', async () => {
    const out = join(dir, 'word');
    const r = await execa(bin, ['train', ...tiny, '--model', 'word', '--words', '40', '--embedding', '5', '--steps', '2', '--target-sparsity', '0.8', '--out', out, '--dump-streams', join(out, 'd')], { reject: false });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /bits\/word \(perplexity/);
    const ck = readSafetensors(join(out, 'model.safetensors'));
    assert.deepEqual(ck.tensors.get('embedding.weight')!.shape, [41, 5]);
    assert.deepEqual(ck.tensors.get('lstm.weight_ih_l0')!.shape, [24, 5]);
    const d = readGradientDump(join(out, 'd', 'step-1.safetensors'));
    assert.equal(d.meta.E, 5);
    assert.deepEqual(d.params.get('embedding.weight')!.shape, [41, 5]);
    assert.deepEqual(d.grads.get('embedding.weight')!.shape, [41, 5]);
    assert.ok(d.grads.get('embedding.weight')!.data.some((x) => x !== 0), 'the embedding learns');
    assert.equal(d.layers[0]!.act.length, 8 * 4 * (5 + 6));
    const rep = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    // Layer 0 of the word model sends dx to the embedding: backward-data covers D + H, not just H.
    const a = rep.accounting.layers[0].gates.i;
    assert.equal(a.backwardData.dense, a.dzTotal * (5 + 6));
  });

  it('its dumps run through the engine: co-simulated bit-exactly with K = E + H tiled over the preset', async function () {
    this.timeout(300_000);
    // tiny preset: R = 4H = 24 ≤ rMax 64, K = E + H = 14 + 6 = 20 > kMax 16, so the columns are tiled.
    const out = join(dir, 'word-engine');
    const t = await execa(bin, ['train', ...tiny, '--model', 'word', '--words', '40', '--embedding', '14', '--steps', '2', '--target-sparsity', '0.8', '--out', out, '--dump-streams', join(out, 'd')], { reject: false });
    assert.equal(t.exitCode, 0, t.stderr);
    const c = await execa(bin, ['cosim', '--preset', 'tiny', '--streams', join(out, 'd', 'step-2.safetensors'), '--no-vcd', '--out', join(out, 'cosim')], { reject: false });
    assert.equal(c.exitCode, 0, c.stdout + c.stderr);
    const rep = JSON.parse(readFileSync(join(out, 'cosim', 'cosim-report.json'), 'utf8'));
    assert.equal(rep.pass, true);
    assert.equal(rep.mismatches, 0);
    assert.ok(rep.sparsity > 0.79 && rep.cycles < rep.denseCycles, `sparsity ${rep.sparsity}, ${rep.cycles} cycles against ${rep.denseCycles} dense`);
  });
});

describe('golden: sparsegrad reproduce --full --quick', () => {
  const out = join(dir, 'sweep');
  const args = ['reproduce', '--full', '--quick', '--seeds', '2', '--models', 'char-l1', '--jobs', '1', '--out', out];
  let first: { runs: unknown[] };

  it('trains every setting × seed, writes the table with intervals, and never claims "holds" from unconverged runs', async () => {
    const r = await execa(bin, args, { reject: false });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /\| setting \| θ \| seeds \| converged \| valid bpc \| Δ vs dense \[95% CI\] \|/);
    first = JSON.parse(readFileSync(join(out, 'reproduce-full.json'), 'utf8'));
    const j = first as unknown as { runs: RunResult[]; settings: Array<{ setting: string; vsDense: { verdict: string } | null }>; verdicts: Array<{ verdict: string }> };
    assert.equal(j.runs.length, 12, 'dense, 3 θ, 2 targets × 2 seeds');
    assert.deepEqual(j.settings.map((s) => s.setting), ['dense', 'theta-0.0001', 'theta-0.0002', 'theta-0.001', 'target-0.8', 'target-0.9']);
    for (const s of j.settings) {
      const runs = j.runs.filter((x) => x.setting === s.setting);
      if (s.vsDense?.verdict === 'holds') assert.ok(runs.every((x) => x.converged) && j.runs.filter((x) => x.setting === 'dense').every((x) => x.converged));
    }
    for (const x of j.runs) assert.ok(existsSync(join(out, 'char-l1', x.setting, `seed-${x.seed}`, 'run.json')));
  });

  it('resumes: a rerun keeps finished runs, retrains only those missing or with another config, same results', async () => {
    // A run killed before it finished leaves no run.json; a changed preset changes the hash.
    rmSync(join(out, 'char-l1', 'dense', 'seed-2', 'run.json'));
    const rec = join(out, 'char-l1', 'theta-0.0002', 'seed-1', 'run.json');
    writeFileSync(rec, JSON.stringify({ ...JSON.parse(readFileSync(rec, 'utf8')), configHash: 'stale' }));
    const r = await execa(bin, args, { reject: false });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /12 runs planned, 10 already finished \(kept\), 2 to train/);
    const again = JSON.parse(readFileSync(join(out, 'reproduce-full.json'), 'utf8'));
    const noWall = (j: { runs: Array<Record<string, unknown>> }) => j.runs.map((x) => ({ ...x, wallSeconds: 0 }));
    assert.deepEqual(noWall(again), noWall(first as never));
  });

  it('rejects single-run overrides and unknown models in one line', async () => {
    for (const [extra, re] of [
      [['--hidden', '4'], /--hidden does not apply to --full/],
      [['--models', 'nope'], /--models: unknown model nope; the quick full preset has char-l1, word/],
    ] as Array<[string[], RegExp]>) {
      const r = await execa(bin, ['reproduce', '--full', '--quick', '--out', join(dir, 'bad'), ...extra], { reject: false });
      assert.notEqual(r.exitCode, 0);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  });
});

describe('golden: a sweep killed in the middle of a run', () => {
  it('continues that run from its last validation and gives the results of an uninterrupted sweep', async () => {
    const args = (out: string) => ['reproduce', '--full', '--quick', '--seeds', '1', '--models', 'char-l1', '--jobs', '1', '--quiet', '--out', out];
    const clean = await execa(bin, args(join(dir, 'clean')), { reject: false });
    assert.equal(clean.exitCode, 0, clean.stderr);
    // SIGKILL right after the first run saves its state at step 10: no cleanup, no run.json.
    const killed = await execa(bin, args(join(dir, 'killed')), { reject: false, env: { SPARSEGRAD_FAULT_DIE_AFTER_STATE: '10' } });
    assert.equal(killed.signal, 'SIGKILL');
    const state = join(dir, 'killed', 'char-l1', 'dense', '.seed-1.state.safetensors');
    assert.ok(existsSync(state), 'the mid-run state survives the kill');
    assert.equal(readSafetensors(state).metadata.format, 'sparsegrad-train-state-1');
    const resumed = await execa(bin, args(join(dir, 'killed')), { reject: false });
    assert.equal(resumed.exitCode, 0, resumed.stderr);
    // The run went on from step 10 rather than retraining from step 1 (which would give the same numbers).
    const rep = JSON.parse(readFileSync(join(dir, 'killed', 'char-l1', 'dense', 'seed-1', 'report.json'), 'utf8'));
    // Removed once the run finished, unless its budget stopped it (a larger budget would continue from it).
    assert.equal(existsSync(state), rep.stop.reason === 'budget');
    assert.equal(rep.throughput.resumedAtStep, 10);
    assert.equal(JSON.parse(readFileSync(join(dir, 'clean', 'char-l1', 'dense', 'seed-1', 'report.json'), 'utf8')).throughput.resumedAtStep, null);
    const runs = (d: string) => JSON.parse(readFileSync(join(dir, d, 'reproduce-full.json'), 'utf8')).runs.map((x: Record<string, unknown>) => ({ ...x, wallSeconds: 0 }));
    assert.deepEqual(runs('killed'), runs('clean'));
    const model = (d: string) => readFileSync(join(dir, d, 'char-l1', 'dense', 'seed-1', 'model.safetensors'));
    assert.deepEqual(model('killed'), model('clean'), 'bit-identical weights');
  });
});

describe('golden: a saved state of another config is not resumed', () => {
  it('trains from step 1 when the state belongs to a different config', async () => {
    const state = join(dir, 'foreign.state.safetensors');
    const a = await execa(bin, ['train', ...tiny, '--schedule', 'plateau', '--eval-every', '2', '--steps', '6', '--out', join(dir, 'fa'), '--state', state], { reject: false, env: { SPARSEGRAD_FAULT_DIE_AFTER_STATE: '4' } });
    assert.equal(a.signal, 'SIGKILL');
    // Same run but another seed: the saved weights are not this run's; using them would be silently wrong.
    const b = await execa(bin, ['train', ...tiny, '--schedule', 'plateau', '--eval-every', '2', '--steps', '6', '--seed', '9', '--out', join(dir, 'fb'), '--state', state], { reject: false });
    assert.equal(b.exitCode, 0, b.stderr);
    assert.equal(JSON.parse(readFileSync(join(dir, 'fb', 'report.json'), 'utf8')).throughput.resumedAtStep, null);
    // The foreign state was replaced by this run's (kept: the 6-step budget stopped it, not a plateau).
    assert.equal(JSON.parse(readFileSync(join(dir, 'fb', 'report.json'), 'utf8')).stop.reason, 'budget');
    assert.match(readSafetensors(state).metadata.config!, /"seed": 9/);
  });
});

describe('golden: the identity of a run', () => {
  it('ignores outputs and keys at their default, and changes with any setting that changes results', async () => {
    const { configIdentity, parseTrainConfig } = await import('../../golden/config.ts');
    const { configHash } = await import('../../golden/sweep.ts');
    const a = parseTrainConfig({ hidden: 16, out: 'x', quiet: true });
    assert.equal(configIdentity(a), configIdentity(parseTrainConfig({ hidden: 16, out: 'elsewhere' })));
    // A key at its default is left out, so a key added later with a neutral default leaves old runs valid.
    assert.equal(configIdentity(a), configIdentity(parseTrainConfig({ hidden: 16, momentum: 0.9 })));
    assert.doesNotMatch(configIdentity(a), /momentum/);
    for (const change of [{ momentum: 0.5 }, { seed: 2 }, { threshold: 1e-5 }, { schedule: 'plateau', evalEvery: 5 }, { model: 'word' }]) {
      assert.notEqual(configIdentity(parseTrainConfig({ hidden: 16, ...change })), configIdentity(a), JSON.stringify(change));
    }
    assert.notEqual(configHash(a, 'corpus-one'), configHash(a, 'corpus-two'), 'the corpus bytes count');
    assert.equal(configHash(a, 'c'), configHash(parseTrainConfig({ hidden: 16, corpus: '/abs/other/path' }), 'c'), 'its path does not');
  });
});

describe('golden: reproduce --full --summarise', () => {
  it('summarises the finished runs of an unfinished sweep under other names, with no verdict', async () => {
    const out = join(dir, 'partial');
    const args = ['reproduce', '--full', '--quick', '--seeds', '2', '--models', 'char-l1', '--jobs', '1', '--quiet', '--out', out];
    // Seed 1 of every setting only: the first half of the plan.
    assert.equal((await execa(bin, [...args.filter((a) => a !== '2' && a !== '--seeds'), '--seeds', '1'])).exitCode, 0);
    rmSync(join(out, 'reproduce-full.json'));
    const r = await execa(bin, [...args, '--summarise'], { reject: false });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.ok(!existsSync(join(out, 'reproduce-full.json')), 'the partial summary does not pose as the finished sweep');
    const j = JSON.parse(readFileSync(join(out, 'reproduce-full-partial.json'), 'utf8'));
    assert.deepEqual([j.complete, j.runs.length, j.runsPlanned], [false, 6, 12]);
    assert.match(j.verdicts[0].verdict, /cannot tell/);
    assert.match(r.stdout, /\*\*Partial: 6 of 12 runs finished\.\*\*/);
    assert.ok(!existsSync(join(out, 'char-l1', 'dense', 'seed-2')), 'nothing was trained');
  });
});

describe('golden: raising the budget of a plateau run', () => {
  it('continues a run stopped by its budget from its kept state, as if it had had the larger budget', async () => {
    const state = join(dir, 'budget.state.safetensors');
    const run = (steps: string, out: string, withState: boolean) =>
      execa(bin, ['train', ...tiny, '--schedule', 'plateau', '--eval-every', '2', '--steps', steps, '--out', join(dir, out), ...(withState ? ['--state', state] : [])], { reject: false });
    assert.equal((await run('6', 'b6', true)).exitCode, 0);
    assert.equal(JSON.parse(readFileSync(join(dir, 'b6', 'report.json'), 'utf8')).stop.reason, 'budget');
    assert.ok(existsSync(state), 'a run stopped by its budget keeps its state');
    assert.equal((await run('14', 'b14', true)).exitCode, 0);
    assert.equal((await run('14', 'straight', false)).exitCode, 0);
    const rep = (d: string) => JSON.parse(readFileSync(join(dir, d, 'report.json'), 'utf8'));
    assert.equal(rep('b14').throughput.resumedAtStep, 4, 'the last state saved before the budget of 6');
    const strip = (r: Record<string, unknown>) => ({ ...r, throughput: null, config: { ...(r.config as object), out: null }, checkpoint: null });
    assert.deepEqual(strip(rep('b14')), strip(rep('straight')));
    assert.deepEqual(readFileSync(join(dir, 'b14', 'model.safetensors')), readFileSync(join(dir, 'straight', 'model.safetensors')));
  });
});
