/**
 * `reproduce --full`: every model × setting × seed of golden/full-preset.ts,
 * each trained to convergence (or to its budget), then the multi-seed table
 * and verdict of golden/verdict.ts.
 *
 * Resumable: run r lives in OUT/<model>/<setting>/seed-<s>/ (train's
 * report.json and checkpoint, published together), and its `run.json`
 * (config hash, wall time) is written atomically after them: a run counts as
 * finished only when run.json exists and its hash equals the hash of the config
 * it would train now, so a killed sweep reruns only unfinished runs and a
 * changed preset retrains what it changed. The hash covers every training
 * setting and the corpus bytes, not the paths (OUT may move, Slurm tasks see
 * absolute paths).
 */
import { createHash } from 'node:crypto';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import cliProgress from 'cli-progress';
import { writeFileAtomicSync } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { isInfrastructureError, runOnSlurm, type SlurmCampaign } from '../cluster/campaign.ts';
import { runIdentity, parseTrainConfig, type TrainConfig } from './config.ts';
import { train, type TrainReport } from './trainer.ts';
import { GATES } from './accounting.ts';
import { stableJson } from '../util/json.ts';
import { readSafetensors } from '../streams/safetensors.ts';
import { DEFAULT_FULL_SEEDS, FULL_MODELS, FULL_QUICK_MODELS, type FullModel } from './full-preset.ts';
import { modelVerdict, summariseSetting, signedPct, type ModelVerdict, type RunResult, type SettingSummary, NO_LOSS_MARGIN, CONFIDENCE } from './verdict.ts';

export interface FullOptions {
  corpus: string;
  quick: boolean;
  seeds?: number;
  models?: string[];
  jobs: number;
  out: string;
  quiet: boolean;
  /** Train nothing: summarise the runs finished so far (a sweep still running, or stopped). */
  summarise?: boolean;
}

export interface PlannedRun {
  model: FullModel;
  setting: string;
  seed: number;
  config: TrainConfig;
  hash: string;
}

export const settingName = (c: Pick<TrainConfig, 'threshold' | 'targetSparsity'>): string =>
  c.targetSparsity !== null ? `target-${c.targetSparsity}` : c.threshold === 0 ? 'dense' : `theta-${c.threshold}`;

/**
 * sha256 of the run's identity (golden/config.ts: the settings that change results, not the corpus path, and
 * for `plateau` runs not the budget) and of the corpus bytes.
 */
export function configHash(cfg: TrainConfig, corpusDigest: string): string {
  return createHash('sha256').update(`${runIdentity(cfg, ['corpus'])}corpus sha256 ${corpusDigest}\n`).digest('hex');
}

function corpusDigest(path: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    throw new UserError(`corpus ${path} not found; pass a text file with --corpus (default data/tinyshakespeare/input.txt)`);
  }
}

export function fullModels(o: Pick<FullOptions, 'quick' | 'models'>): FullModel[] {
  const all = o.quick ? FULL_QUICK_MODELS : FULL_MODELS;
  if (!o.models) return all;
  const unknown = o.models.filter((m) => !all.some((x) => x.id === m));
  if (unknown.length) throw new UserError(`--models: unknown model ${unknown.join(', ')}; the ${o.quick ? 'quick ' : ''}full preset has ${all.map((m) => m.id).join(', ')}`);
  return all.filter((m) => o.models!.includes(m.id));
}

/**
 * Every run, ordered so that finished prefixes are useful: model by model
 * (cheapest first), and within a model seed by seed, so one seed of every
 * setting is done before the second starts.
 */
export function planRuns(o: FullOptions): PlannedRun[] {
  const seeds = o.seeds ?? DEFAULT_FULL_SEEDS;
  const digest = corpusDigest(o.corpus);
  const out: PlannedRun[] = [];
  for (const model of fullModels(o)) {
    for (let seed = 1; seed <= seeds; seed++) {
      const settings: Array<Partial<TrainConfig>> = [
        { threshold: 0 },
        ...model.thetas.map((threshold) => ({ threshold })),
        ...model.targets.map((targetSparsity) => ({ targetSparsity })),
      ];
      for (const s of settings) {
        const setting = settingName({ threshold: s.threshold ?? 0, targetSparsity: s.targetSparsity ?? null });
        const config = parseTrainConfig({ ...model.base, ...s, corpus: o.corpus, seed, quiet: true, out: join(o.out, model.id, setting, `seed-${seed}`) });
        out.push({ model, setting, seed, config, hash: configHash(config, digest) });
      }
    }
  }
  return out;
}

interface RunRecord {
  configHash: string;
  wallSeconds: number;
}

const recordFile = (r: PlannedRun) => join(r.config.out, 'run.json');
/** The mid-run state of an unfinished run, beside its folder (train publishes the folder whole at the end). */
export const stateFileOf = (cfg: TrainConfig) => join(dirname(cfg.out), `.${basename(cfg.out)}.state.safetensors`);

/** The run's report when it finished with this very config, else null. */
export function finishedReport(r: PlannedRun): { report: TrainReport; wallSeconds: number } | null {
  const rec = recordFile(r), rep = join(r.config.out, 'report.json');
  if (!existsSync(rec) || !existsSync(rep)) return null;
  try {
    const record = JSON.parse(readFileSync(rec, 'utf8')) as RunRecord;
    if (record.configHash !== r.hash) return null;
    const report = JSON.parse(readFileSync(rep, 'utf8')) as TrainReport;
    // A run stopped by a smaller budget than today's is unfinished: it continues from its kept state.
    if (report.stop.reason === 'budget' && report.final.step < r.config.steps) return null;
    return { report, wallSeconds: record.wallSeconds };
  } catch {
    return null;
  }
}

function markFinished(r: PlannedRun, wallSeconds: number): void {
  writeFileAtomicSync(recordFile(r), stableJson({ configHash: r.hash, wallSeconds } satisfies RunRecord));
}

export function runResult(r: PlannedRun, report: TrainReport, wallSeconds: number): RunResult {
  const zeros = [0, 0, 0, 0], totals = [0, 0, 0, 0];
  let thetaSum = 0;
  for (const l of report.accounting.layers) {
    GATES.forEach((g, k) => {
      zeros[k] += l.gates[g].sparsityAfter * l.gates[g].dzTotal;
      totals[k] += l.gates[g].dzTotal;
    });
    thetaSum += l.meanTheta;
  }
  const sparsity: Record<string, number> = { all: report.accounting.lstm.sparsityAfter };
  GATES.forEach((g, k) => { sparsity[g] = totals[k] ? zeros[k]! / totals[k]! : 0; });
  return {
    model: r.model.id, setting: r.setting, seed: r.seed,
    theta: report.thresholdMode.theta, targetSparsity: report.thresholdMode.targetSparsity,
    meanTheta: thetaSum / report.accounting.layers.length,
    validBits: report.final.validBpc, converged: report.stop.converged, stopReason: report.stop.reason,
    steps: report.final.step, bestStep: report.final.bestStep,
    sparsity, redundantMacFraction: report.accounting.lstm.redundantFraction, wallSeconds,
    trajectory: report.sparsityTrajectory, validCurve: report.validation.map((v) => [v[0], v[2]] as [number, number]),
  };
}

const HEARTBEAT_MS = Number(process.env.SPARSEGRAD_HEARTBEAT_MS ?? 600_000);

/** "at step N of M, validation X bits (best Y)" from a run's saved state, or "starting" before its first validation. */
function savedProgress(cfg: TrainConfig): string {
  try {
    const f = readSafetensors(stateFileOf(cfg));
    const sc = JSON.parse(f.metadata.scalars ?? '{}') as { step: number; validation: Array<[number, number, number]>; plateau: { lr: number } };
    const v = sc.validation.at(-1);
    const best = Math.min(...sc.validation.map((x) => x[2]));
    return `at step ${sc.step}/${cfg.steps}, validation ${v ? v[2].toFixed(4) : '—'} (best ${best.toFixed(4)}), lr ${sc.plateau.lr}`;
  } catch {
    return 'starting (no validation yet)';
  }
}

const MAIN = fileURLToPath(new URL('../cli/main.ts', import.meta.url));

/** One run in its own process (`train --config`), so --jobs uses several cores without sharing a heap. */
async function trainChild(cfg: TrainConfig): Promise<TrainReport> {
  const file = join(cfg.out, 'config.json');
  writeFileAtomicSync(file, stableJson(cfg));
  const r = await execa(process.execPath, [...process.execArgv, MAIN, 'train', '--config', file, '--quiet', '--state', stateFileOf(cfg)], { reject: false });
  if (r.exitCode !== 0) throw new UserError(`run ${cfg.out} failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  return JSON.parse(readFileSync(join(cfg.out, 'report.json'), 'utf8')) as TrainReport;
}

/** The Slurm point runner of a --full run: trains and returns the report with its wall time. */
export async function trainTimedPoint(_options: unknown, point: unknown): Promise<{ report: TrainReport; wallSeconds: number }> {
  const report = await train(point as TrainConfig, { stateFile: stateFileOf(point as TrainConfig) });
  return { report, wallSeconds: report.throughput.wallSeconds };
}

export interface FullResult {
  runs: RunResult[];
  settings: SettingSummary[];
  verdicts: ModelVerdict[];
  markdown: string;
  wallSeconds: number;
  trained: number;
  skipped: number;
  complete: boolean;
  file: string;
}

export async function reproduceFull(o: FullOptions, slurm?: SlurmCampaign): Promise<FullResult> {
  const t0 = performance.now();
  // Cluster tasks start elsewhere: every path they write or read must be absolute.
  const opts = slurm ? { ...o, out: resolve(o.out), corpus: resolve(o.corpus) } : o;
  const plan = planRuns(opts);
  const results = new Map<PlannedRun, RunResult>();
  for (const r of plan) {
    const f = finishedReport(r);
    if (f) results.set(r, runResult(r, f.report, f.wallSeconds));
  }
  const missing = plan.filter((r) => !results.has(r));
  const todo = o.summarise ? [] : missing;
  const skipped = plan.length - todo.length;
  const log = (line: string) => { if (!o.quiet) process.stderr.write(`reproduce --full: ${line}\n`); };
  log(o.summarise
    ? `${plan.length} runs planned, ${skipped} finished; summarising those (--summarise trains nothing)`
    : `${plan.length} runs planned, ${skipped} already finished (kept), ${todo.length} to train${slurm ? ' on Slurm' : ` on ${o.jobs} job(s)`}; results in ${o.out}`);
  const bar = o.quiet || slurm || !process.stderr.isTTY ? null : new cliProgress.SingleBar({ format: 'reproduce --full {bar} {value}/{total} runs | {what}', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
  bar?.start(plan.length, skipped, { what: '' });
  let done = skipped;
  const finish = (r: PlannedRun, report: TrainReport, wall: number) => {
    markFinished(r, wall);
    const res = runResult(r, report, wall);
    results.set(r, res);
    done++;
    bar?.update(done, { what: `${r.model.id} ${r.setting} seed ${r.seed}` });
    // One line per run, so a sweep followed in a log file shows its progress.
    if (!bar) log(`[${done}/${plan.length}] ${r.model.id} ${r.setting} seed ${r.seed}: ${res.validBits.toFixed(4)} bits/token, dz sparsity ${(100 * res.sparsity.all!).toFixed(1)}%, ${report.throughput.resumedAtStep ? `resumed from its state at step ${report.throughput.resumedAtStep}, ` : ''}${res.converged ? `converged (stopped at step ${res.steps}, best ${res.bestStep})` : `NOT converged (budget of ${res.steps} steps reached)`}, ${wall.toFixed(0)} s`);
  };

  if (slurm && todo.length) {
    const raw = await runOnSlurm({
      kind: 'reproduce-full',
      runner: { module: 'golden/sweep.ts', export: 'trainTimedPoint' },
      options: null,
      points: todo.map((r) => r.config),
      onProgress: (n, total, what) => log(`${n}/${total} runs on the cluster (${what})`),
      log,
    }, slurm);
    const lost: string[] = [];
    raw.forEach((x, i) => {
      if (isInfrastructureError(x)) lost.push(`${todo[i]!.model.id} ${todo[i]!.setting} seed ${todo[i]!.seed} (${x.infrastructureError})`);
      else finish(todo[i]!, (x as { report: TrainReport }).report, (x as { wallSeconds: number }).wallSeconds);
    });
    if (lost.length) throw new UserError(`${lost.length} run(s) never finished on the cluster: ${lost.join('; ')}; the finished ones are kept: resume with --resume ${slurm.work}`);
  } else {
    let next = 0;
    const inFlight = new Set<PlannedRun>();
    // A run takes up to hours: a line every few minutes says where the runs in flight are (from their saved states).
    const heartbeat = bar || o.quiet ? null : setInterval(() => {
      const where = [...inFlight].map((r) => `${r.model.id} ${r.setting} seed ${r.seed} ${savedProgress(r.config)}`);
      if (where.length) log(`in flight: ${where.join('; ')}`);
    }, HEARTBEAT_MS);
    heartbeat?.unref();
    const worker = async () => {
      while (next < todo.length) {
        const r = todo[next++]!;
        inFlight.add(r);
        const report = o.jobs <= 1 ? await train(r.config, { stateFile: stateFileOf(r.config) }) : await trainChild(r.config);
        inFlight.delete(r);
        // The trainer's wall time: it includes the time before a kill when the run was resumed.
        finish(r, report, report.throughput.wallSeconds);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, Math.min(o.jobs, todo.length)) }, worker));
    } finally {
      if (heartbeat) clearInterval(heartbeat);
    }
  }
  bar?.stop();

  const runs = plan.filter((r) => results.has(r)).map((r) => results.get(r)!);
  const complete = runs.length === plan.length;
  const settings: SettingSummary[] = [];
  const verdicts: ModelVerdict[] = [];
  for (const model of fullModels(opts)) {
    const of = runs.filter((r) => r.model === model.id);
    if (of.length === 0) continue;
    const names = [...new Set(of.map((r) => r.setting))];
    const dense = of.filter((r) => r.setting === 'dense');
    // Without a finished dense run (a partial summary) there is nothing to compare against yet.
    const ss = names.map((n) => summariseSetting(of.filter((r) => r.setting === n), n === 'dense' || dense.length === 0 ? null : dense));
    settings.push(...ss);
    const v = modelVerdict(model.id, ss);
    const planned = plan.filter((r) => r.model.id === model.id).length;
    // A partial sweep is a progress note, not a result: its numbers are shown, its verdict is withheld.
    // Tiny models at tiny budgets say nothing about the paper's claim, whatever their numbers.
    if (of.length < planned) verdicts.push({ model: model.id, verdict: 'cannot tell', text: `Partial: ${of.length} of ${planned} runs of ${model.id} finished; no verdict until they all have (the statistics so far said: ${v.verdict}).` });
    else verdicts.push(o.quick ? { model: model.id, verdict: 'cannot tell', text: `No claim from --quick runs (tiny models, for tests); the statistics alone said: ${v.verdict}.` } : v);
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const markdown = fullMarkdown(opts, plan, settings, verdicts);
  const json = { kind: 'sparsegrad-reproduce-full', complete, runsPlanned: plan.length, options: { ...o, corpus: o.corpus }, criterion: { margin: NO_LOSS_MARGIN, confidence: CONFIDENCE, claimSparsity: 0.8 }, models: fullModels(opts).map((m) => ({ id: m.id, title: m.title, config: { ...m.base, thetas: m.thetas, targets: m.targets } })), runs, settings, verdicts };
  // A partial summary gets names of its own, so it is never mistaken for (or overwrites) the finished sweep's files.
  const stem = complete ? 'reproduce-full' : 'reproduce-full-partial';
  writeFileAtomicSync(join(o.out, `${stem}.md`), markdown);
  // Where and how these results were made: for docs/results/ (kept apart, as it differs from machine to machine).
  writeFileAtomicSync(join(o.out, complete ? 'provenance.json' : 'provenance-partial.json'), stableJson(await provenance(wallSeconds)));
  // Wall times vary; the rest of this file is deterministic for the same runs.
  writeFileAtomicSync(join(o.out, `${stem}.json`), stableJson(json));
  return { runs, settings, verdicts, markdown, wallSeconds, trained: todo.length, skipped, complete, file: join(o.out, `${stem}.json`) };
}

/** The command, the commit (git, or SPARSEGRAD_COMMIT when run from an exported tree) and the machine. */
async function provenance(wallSeconds: number): Promise<Record<string, unknown>> {
  const git = await execa('git', ['rev-parse', 'HEAD'], { cwd: fileURLToPath(new URL('..', import.meta.url)), reject: false });
  return {
    command: ['sparsegrad', ...process.argv.slice(2)].join(' '),
    commit: git.exitCode === 0 ? git.stdout.trim() : process.env.SPARSEGRAD_COMMIT ?? 'unknown',
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${platform()} ${release()}`, loadAverage: loadavg() },
    finishedAt: new Date().toISOString(),
    wallSecondsThisInvocation: wallSeconds,
  };
}

const f4 = (x: number) => x.toFixed(4);
const pm = (m: { mean: number; sd: number }, f: (x: number) => string) => `${f(m.mean)} ± ${f(m.sd)}`;
const pct1 = (x: number) => `${(100 * x).toFixed(1)}%`;

export function fullMarkdown(o: FullOptions, plan: PlannedRun[], settings: SettingSummary[], verdicts: ModelVerdict[]): string {
  const finished = settings.reduce((a, s) => a + s.seeds.length, 0);
  const L: string[] = ['# sparsegrad reproduce --full', ''];
  if (finished < plan.length) L.push(`**Partial: ${finished} of ${plan.length} runs finished.** A progress note, not a result: no verdict is given until every run has finished.`, '');
  L.push(`Corpus ${o.corpus}; ${o.seeds ?? DEFAULT_FULL_SEEDS} seed(s) per setting; mean ± sd over seeds. Δ vs dense: difference of mean validation bits per token relative to dense, with the Welch ${Math.round(100 * CONFIDENCE)}% confidence interval. Verdict per setting: "holds" when the interval's upper end is within +${Math.round(100 * NO_LOSS_MARGIN)}%, "does not hold" when its lower end is above it, else "cannot tell"; never "holds" unless every run of the setting and of dense converged (stopped on a plateau, not by the budget).`, '');
  for (const model of [...new Set(plan.map((r) => r.model))].filter((m) => settings.some((s) => s.model === m.id))) {
    const c = plan.find((r) => r.model === model)!.config;
    const unit = c.model === 'word' ? 'bits/word' : 'bpc';
    L.push(`## ${model.id}: ${model.title}`, '');
    L.push(`${c.layers}×LSTM(${c.hidden})${c.model === 'word' ? `, V = ${c.words} + 1, embedding ${c.embedding}` : ''}, B=${c.batch}, T=${c.seq}, SGD lr ${c.lr} momentum ${c.momentum} clip ${c.clip}; validation every ${c.evalEvery} steps on ${c.validChars ? `${c.validChars} tokens` : 'the whole validation split'}; lr × ${c.lrFactor} after ${c.patience} validations without a ${100 * c.minDelta}% improvement, stop after ${c.maxDecays} cuts; budget ${c.steps} steps.`, '');
    L.push(`| setting | θ | seeds | converged | valid ${unit} | Δ vs dense [95% CI] | dz sparsity all | i | f | g | o | LSTM MACs redundant | wall (s) | verdict |`);
    L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const s of settings.filter((x) => x.model === model.id)) {
      const v = s.vsDense;
      L.push(`| ${s.setting} | ${s.theta === null ? `${s.meanTheta.mean.toExponential(2)} (mean)` : s.theta} | ${s.seeds.length} | ${s.converged}/${s.seeds.length} | ${pm(s.validBits, f4)} | ${v ? `${signedPct(v.change)}${v.changeLo !== null ? ` [${signedPct(v.changeLo)}, ${signedPct(v.changeHi!)}]` : ''}` : '—'} | ${pm(s.sparsity.all!, pct1)} | ${GATES.map((g) => pct1(s.sparsity[g]!.mean)).join(' | ')} | ${pm(s.redundantMacFraction, pct1)} | ${pm(s.wallSeconds, (x) => x.toFixed(0))} | ${v ? v.verdict : '—'} |`);
    }
    const mv = verdicts.find((x) => x.model === model.id);
    L.push('', `**Verdict:** ${mv?.text ?? ''}`, '');
  }
  return L.join('\n');
}
