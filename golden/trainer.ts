/**
 * `train`: truncated-BPTT SGD on a character corpus with dz thresholding,
 * writing report.json, a checkpoint and optional gradient dumps.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import { UserError } from '../util/errors.ts';
import { loadCorpus, loadWordCorpus, StreamBatcher, type Corpus } from './corpus.ts';
import { Rng } from './rng.ts';
import { zeroParams, initParams, loadParams, paramTensors, flatParams, parameterCount, type Params, type ModelShape, type Vec } from './model.ts';
import { Network } from './network.ts';
import type { ThresholdMode } from './threshold.ts';
import type { LayerBackwardProducts } from './backward-products.ts';
import { accountLayer, summarise, type MacSummary } from './accounting.ts';
import type { TrainConfig } from './config.ts';
import { stableJson } from '../util/json.ts';
import { loadState, removeState, saveState, type SavedScalars } from './resume-state.ts';
import { StagedDir } from '../util/atomic.ts';
import { readSafetensors, writeSafetensors } from '../streams/safetensors.ts';
import { writeGradientDump, dumpFileName } from '../streams/gradient-dump.ts';

export interface TrainReport {
  config: TrainConfig;
  corpus: { path: string; vocabSize: number; trainChars: number; validChars: number; validCharsEvaluated: number };
  /** kind `char` or `word` (E = embedding width); the `bpc` keys are bits per token of that kind. */
  model: ModelShape & { kind: string; parameters: number; precision: string };
  /** dz sparsity after thresholding (all layers and gates) at every step. */
  dzSparsity: number[];
  /** Global gradient L2 norm before clipping, at every step. */
  gradNorm: number[];
  /** Training loss (nats, mean over the batch's T·B tokens) at every step: [step, loss]. */
  trainLoss: [number, number][];
  /** Validation at evalEvery and at the end: [step, loss (nats), bpc]. */
  validation: [number, number, number][];
  /**
   * step: steps trained; validLoss/validBpc: the best validation of a `plateau` run (its weights are the
   * ones restored and saved) or the last one of an `exp` run; validPerplexity = 2^validBpc.
   */
  final: { step: number; bestStep: number; trainLoss: number; validLoss: number; validBpc: number; validPerplexity: number };
  /**
   * Why the run stopped: `plateau` (early stopping: converged), `budget` (a plateau run that reached
   * --steps first: not converged), `steps` (an `exp` run, which has no convergence test).
   */
  stop: { reason: 'plateau' | 'budget' | 'steps'; converged: boolean; lrDecays: number; finalLr: number };
  /** dz sparsity after thresholding between consecutive validations: [step, all, i, f, g, o]. */
  sparsityTrajectory: number[][];
  thresholdMode: { kind: string; theta: number | null; targetSparsity: number | null };
  accounting: MacSummary;
  /** Quantiles of |dz| before thresholding at the last step, per layer: a guide for choosing θ. */
  dzMagnitudeQuantiles: { layer: number; quantiles: Record<string, number> }[];
  /**
   * trainSeconds: in training steps; wallSeconds: the whole run with its validations, both summed over the
   * processes of a resumed run; resumedAtStep: the step of the saved state this process continued from (null: from step 1).
   */
  throughput: { tokensPerSec: number; trainSeconds: number; wallSeconds: number; tokens: number; resumedAtStep: number | null };
  checkpoint: string;
  dumps: string[];
}

export interface TrainOptions {
  products?: LayerBackwardProducts;
  /** Reuse a loaded corpus (reproduce trains several runs on one). */
  corpus?: Corpus;
  /** Written to report.json and the checkpoint when true (the default). */
  writeFiles?: boolean;
  /** Called after every step (reproduce drives one progress bar over all runs). */
  onStep?: (step: number, loss: number) => void;
  /**
   * Resumable run: the state is saved here at every validation (golden/resume-state.ts) and, when the
   * file holds the state of this very config (up to --steps, for `plateau`), training continues from it.
   * Removed when the run ends, unless it stopped at its budget (a larger budget continues it).
   * Not with gradient dumps (a dumped step must be trained in the same process that dumps it).
   */
  stateFile?: string;
  /** Tests: end the process abruptly (as a kill would) right after the state of this step is saved. */
  dieAfterStateAt?: number;
}

export function thresholdModeOf(cfg: TrainConfig): ThresholdMode {
  return cfg.targetSparsity !== null ? { kind: 'target', sparsity: cfg.targetSparsity } : { kind: 'fixed', theta: cfg.threshold };
}

/** Mean cross-entropy (nats) of the model over the first `chars` of the validation split (all if 0). */
export function evaluate(net: Network, ids: Int32Array, chars: number): { loss: number; tokens: number } {
  const batcher = new StreamBatcher(ids, net.B, net.T, 'validation');
  const perBatch = net.T * net.B;
  const batches = chars > 0 ? Math.min(batcher.batchesPerEpoch, Math.max(1, Math.ceil(chars / perBatch))) : batcher.batchesPerEpoch;
  net.resetState();
  let sum = 0;
  for (let k = 0; k < batches; k++) {
    batcher.next(net.inputs, net.targets);
    sum += net.forward() * perBatch;
    net.carryState();
  }
  return { loss: sum / (batches * perBatch), tokens: batches * perBatch };
}

export function loadCorpusOf(cfg: TrainConfig): Corpus {
  return cfg.model === 'word' ? loadWordCorpus(cfg.corpus, cfg.words, cfg.validFraction) : loadCorpus(cfg.corpus, cfg.validFraction);
}

export function buildParams(cfg: TrainConfig, V: number): Params {
  const shape: ModelShape = cfg.model === 'word' ? { V, H: cfg.hidden, L: cfg.layers, E: cfg.embedding } : { V, H: cfg.hidden, L: cfg.layers };
  const params = zeroParams(shape, cfg.precision);
  initParams(params, new Rng(cfg.seed));
  if (cfg.init) {
    const f = readSafetensors(cfg.init);
    for (const name of f.tensors.keys()) {
      const m = /^lstm\.\w+_l(\d+)$/.exec(name);
      if (m && Number(m[1]) >= cfg.layers) throw new UserError(`${cfg.init}: tensor '${name}' is for layer ${m[1]} but --layers is ${cfg.layers}; pass --layers ${Number(m[1]) + 1} or another --init file`);
    }
    loadParams(params, f, cfg.init);
  }
  return params;
}

export async function train(cfg: TrainConfig, opts: TrainOptions = {}): Promise<TrainReport> {
  const corpus = opts.corpus ?? loadCorpusOf(cfg);
  const writeFiles = opts.writeFiles ?? true;
  const params = buildParams(cfg, corpus.vocab.length);
  const T = cfg.seq, B = cfg.batch;
  const net = new Network(params, T, B);
  const evalNet = new Network(params, T, B);
  const batcher = new StreamBatcher(corpus.train, B, T, 'training');
  new StreamBatcher(corpus.valid, B, T, 'validation');
  const mode = thresholdModeOf(cfg);
  const dumpSteps = new Set(cfg.dumpSteps ?? [1, cfg.steps]);
  const late = [...dumpSteps].filter((s) => s > cfg.steps);
  if (cfg.dumpStreams !== null && late.length > 0) throw new UserError(`--dump-steps ${late.join(',')}: beyond --steps ${cfg.steps}; dump steps are 1..${cfg.steps}`);
  const dumps: string[] = [];
  // Outputs are staged and published together at the end (util/atomic.ts): a run that
  // diverges, is interrupted or fills the disk leaves the previous run's files as they were.
  // Both folders are opened now, so an unwritable --out fails before the training, not after.
  const outDir = writeFiles ? await StagedDir.open(cfg.out) : undefined;
  let dumpDir: StagedDir | undefined;
  try {
    dumpDir = cfg.dumpStreams !== null ? await StagedDir.open(cfg.dumpStreams) : undefined;
    const report = await trainStaged(cfg, opts, { corpus, params, net, evalNet, batcher, mode, dumpSteps, dumps, dumpDir, outDir });
    dumpDir?.commitSync();
    outDir?.commitSync();
    // The outputs are published: the run is done and its mid-run state is of no further use, except
    // for a plateau run stopped by its budget, which a larger budget continues from it.
    if (opts.stateFile && report.stop.reason !== 'budget') removeState(opts.stateFile);
    return report;
  } catch (e) {
    dumpDir?.discardSync();
    outDir?.discardSync();
    throw e;
  }
}

interface TrainState {
  corpus: Corpus;
  params: Params;
  net: Network;
  evalNet: Network;
  batcher: StreamBatcher;
  mode: ThresholdMode;
  dumpSteps: Set<number>;
  dumps: string[];
  dumpDir?: StagedDir;
  outDir?: StagedDir;
}

async function trainStaged(cfg: TrainConfig, opts: TrainOptions, st: TrainState): Promise<TrainReport> {
  const { corpus, params, net, evalNet, batcher, mode, dumpSteps, dumps, dumpDir, outDir } = st;
  const V = corpus.vocab.length;
  const { H, L } = params.shape;
  const T = cfg.seq, B = cfg.batch;

  const bar = cfg.quiet ? null : new cliProgress.SingleBar({
    format: 'train {bar} step {value}/{total} | loss {loss} | dz sparsity {sparsity}% | {tps} tok/s',
    stream: process.stderr,
    hideCursor: true,
  }, cliProgress.Presets.shades_classic);
  bar?.start(cfg.steps, 0, { loss: '-', sparsity: '-', tps: '-' });

  const velocity = cfg.momentum > 0 ? zeroParams(params.shape, cfg.precision) : null;
  const gradNorms: number[] = [];
  const dzSparsity: number[] = [];
  const trainLoss: [number, number][] = [];
  const validation: [number, number, number][] = [];
  const sparsityTrajectory: number[][] = [];
  let trainSeconds = 0;
  // Wall time of the run, carried through saved states: the start is moved back by the time spent before.
  let wallStart = performance.now();
  const wallSeconds = () => (performance.now() - wallStart) / 1000;
  let validTokens = 0;
  const plateau = new PlateauSchedule(cfg, params);
  let seen = gateCounts(net);
  const stateFile = cfg.dumpStreams === null ? opts.stateFile : undefined;
  let firstStep = 1;
  let resumedAtStep: number | null = null;
  if (stateFile) {
    const st = loadState(stateFile, cfg, { params, velocity, bestWeights: null, net });
    if (st) {
      const sc = st.scalars;
      firstStep = sc.step + 1;
      resumedAtStep = sc.step;
      batcher.position = sc.batchPosition;
      trainSeconds = sc.trainSeconds;
      wallStart -= (sc.wallSeconds ?? sc.trainSeconds) * 1000;
      validTokens = sc.validTokens;
      gradNorms.push(...sc.gradNorms);
      dzSparsity.push(...sc.dzSparsity);
      trainLoss.push(...sc.trainLoss);
      validation.push(...sc.validation);
      sparsityTrajectory.push(...sc.sparsityTrajectory);
      seen = sc.seen;
      plateau.restore(sc.plateau, st.bestWeights);
    }
  }
  // Fault injection for the tests (as SPARSEGRAD_FAULT_KILL_TASK in cluster/campaign.ts): a run killed mid-way.
  const dieAt = opts.dieAfterStateAt ?? Number(process.env.SPARSEGRAD_FAULT_DIE_AFTER_STATE ?? NaN);
  const save = (step: number) => {
    if (!stateFile) return;
    saveState(stateFile, cfg, {
      step, batchPosition: batcher.position, trainSeconds, wallSeconds: wallSeconds(), validTokens, gradNorms, dzSparsity, trainLoss, validation, sparsityTrajectory, seen,
      counts: net.counts, plateau: plateau.snapshot(),
    }, { params, velocity, bestWeights: plateau.bestWeightsOrNull, net });
    if (dieAt === step) process.kill(process.pid, 'SIGKILL');
  };
  const validate = (step: number) => {
    const r = evaluate(evalNet, corpus.valid, cfg.validChars);
    validTokens = r.tokens;
    validation.push([step, r.loss, r.loss / Math.LN2]);
    const now = gateCounts(net);
    const z = now.zeros.map((x, g) => x - seen.zeros[g]!), n = now.totals.map((x, g) => x - seen.totals[g]!);
    const all = n.reduce((a, x) => a + x, 0);
    if (all > 0) sparsityTrajectory.push([step, z.reduce((a, x) => a + x, 0) / all, ...z.map((x, g) => (n[g] ? x / n[g]! : 0))]);
    seen = now;
    if (cfg.schedule === 'plateau') plateau.observe(step, r.loss);
  };

  let lastYield = performance.now();
  let stepsDone = firstStep - 1;
  for (let step = firstStep; step <= cfg.steps && !plateau.stopped; step++) {
    // A step is synchronous work (its awaits resolve as microtasks), and signal handlers run only
    // when the event loop turns: yield now and then so SIGINT/SIGTERM remove the staging folders promptly.
    if (performance.now() - lastYield > 50) {
      await new Promise((r) => setImmediate(r));
      lastYield = performance.now();
    }
    const t0 = performance.now();
    if (batcher.atEpochStart) net.resetState();
    batcher.next(net.inputs, net.targets);
    const dumping = cfg.dumpStreams !== null && dumpSteps.has(step);
    const before = dumping ? { params: paramTensors(params), h0: net.layers.map((w) => w.h0.slice()), c0: net.layers.map((w) => w.c0.slice()) } : null;
    const zerosBefore = net.counts.reduce((a, c) => a + c.zerosAfter.reduce((x, y) => x + y, 0), 0);
    const totalBefore = net.counts.reduce((a, c) => a + c.total.reduce((x, y) => x + y, 0), 0);

    const loss = net.forward();
    if (!Number.isFinite(loss)) {
      bar?.stop();
      throw new UserError(`training diverged at step ${step} (loss ${loss}); lower --lr or --clip`);
    }
    await net.backward(mode, opts.products);

    if (before) {
      const file = join(cfg.dumpStreams!, dumpFileName(step));
      writeGradientDump(dumpDir!.path(dumpFileName(step)), {
        meta: {
          step, seed: cfg.seed, thresholdMode: mode.kind, theta: mode.kind === 'fixed' ? mode.theta : 0,
          targetSparsity: cfg.targetSparsity, T, B, H, L, V, E: params.shape.E, precision: cfg.precision,
        },
        params: before.params,
        grads: paramTensors(net.grads),
        inputs: net.inputs.slice(), targets: net.targets.slice(), loss,
        layers: net.layers.map((w, k) => ({ h0: before.h0[k], c0: before.c0[k], dzDense: w.dzDense, dz: w.dz, act: w.act, theta: w.thetas })),
      });
      dumps.push(file);
    }

    const lr = cfg.schedule === 'plateau' ? plateau.lr : cfg.lr * Math.pow(cfg.lrDecay, (step - 1) / cfg.steps);
    gradNorms.push(sgdUpdate(params, net.grads, lr, cfg.clip, cfg.momentum, velocity));
    stepsDone = step;
    net.carryState();
    trainSeconds += (performance.now() - t0) / 1000;
    trainLoss.push([step, loss]);
    opts.onStep?.(step, loss);

    const validating = cfg.evalEvery > 0 && step % cfg.evalEvery === 0 && step !== cfg.steps;
    if (validating) validate(step);
    const zeros = net.counts.reduce((a, c) => a + c.zerosAfter.reduce((x, y) => x + y, 0), 0) - zerosBefore;
    const total = net.counts.reduce((a, c) => a + c.total.reduce((x, y) => x + y, 0), 0) - totalBefore;
    dzSparsity.push(zeros / total);
    if (validating) save(step);
    bar?.update(step, { loss: loss.toFixed(3), sparsity: ((100 * zeros) / total).toFixed(1), tps: Math.round((step * T * B) / trainSeconds) });
  }
  bar?.stop();
  const dzMagnitudeQuantiles = net.layers.map((w, layer) => ({ layer, quantiles: magnitudeQuantiles(w.dzDense, DZ_QUANTILES) }));
  // A plateau stop comes right after its validation; every other end validates the last step.
  if (validation.at(-1)?.[0] !== stepsDone) validate(stepsDone);
  const best = plateau.finish(stepsDone);

  const accounting = summarise(
    params.layers.map((l, k) => accountLayer(k, l.D, H, net.counts[k], k > 0 || params.embedding !== null)),
    stepsDone * T * B, V, H,
  );
  const last = cfg.schedule === 'plateau' ? validation.find((v) => v[0] === best.step)! : validation[validation.length - 1]!;
  const tail = trainLoss.slice(-Math.min(trainLoss.length, 20));
  const checkpoint = join(cfg.out, 'model.safetensors');
  const report: TrainReport = {
    config: cfg,
    corpus: { path: corpus.path, vocabSize: V, trainChars: corpus.train.length, validChars: corpus.valid.length, validCharsEvaluated: validTokens },
    model: { kind: cfg.model, ...params.shape, parameters: parameterCount(params.shape), precision: cfg.precision },
    gradNorm: gradNorms,
    dzSparsity,
    trainLoss,
    validation,
    final: { step: stepsDone, bestStep: last[0], trainLoss: tail.reduce((a, x) => a + x[1], 0) / tail.length, validLoss: last[1], validBpc: last[2], validPerplexity: Math.pow(2, last[2]) },
    stop: { reason: best.reason, converged: best.reason === 'plateau', lrDecays: plateau.decays, finalLr: cfg.schedule === 'plateau' ? plateau.lr : cfg.lr * Math.pow(cfg.lrDecay, (stepsDone - 1) / cfg.steps) },
    sparsityTrajectory,
    thresholdMode: { kind: mode.kind, theta: mode.kind === 'fixed' ? mode.theta : null, targetSparsity: cfg.targetSparsity },
    accounting,
    dzMagnitudeQuantiles,
    throughput: { tokensPerSec: (stepsDone * T * B) / trainSeconds, trainSeconds, wallSeconds: wallSeconds(), tokens: stepsDone * T * B, resumedAtStep },
    checkpoint,
    dumps,
  };
  if (outDir) {
    writeSafetensors(outDir.path('model.safetensors'), paramTensors(params), { vocab: JSON.stringify(corpus.vocab), V: String(V), H: String(H), L: String(L), ...(params.shape.E ? { E: String(params.shape.E) } : {}) });
    outDir.writeSync('report.json', stableJson(report));
  }
  return report;
}

/**
 * SGD step as torch.optim.SGD after clip_grad_norm_: g ← clip(g) to global L2
 * norm `clip`; v ← μ·v + g (momentum μ, v absent when μ = 0); p ← p − lr·v.
 * Returns the gradient norm before clipping.
 */
export function sgdUpdate(params: Params, grads: Params, lr: number, clip: number, momentum = 0, velocity: Params | null = null): number {
  const ps = flatParams(params), gs = flatParams(grads), vs = velocity ? flatParams(velocity) : null;
  let sq = 0;
  for (const g of gs) for (let i = 0; i < g.data.length; i++) sq += g.data[i] * g.data[i];
  const norm = Math.sqrt(sq);
  const scale = norm > clip ? clip / norm : 1;
  for (let k = 0; k < ps.length; k++) {
    const p = ps[k].data, g = gs[k].data;
    if (vs && momentum > 0) {
      const v = vs[k].data;
      for (let i = 0; i < p.length; i++) {
        v[i] = momentum * v[i] + scale * g[i];
        p[i] -= lr * v[i];
      }
    } else {
      const step = lr * scale;
      for (let i = 0; i < p.length; i++) p[i] -= step * g[i];
    }
  }
  return norm;
}

const DZ_QUANTILES = [0.5, 0.8, 0.9, 0.95, 0.99];

function magnitudeQuantiles(v: ArrayLike<number>, qs: number[]): Record<string, number> {
  const m = Float64Array.from(v, Math.abs).sort();
  return Object.fromEntries(qs.map((q) => [String(q), m[Math.min(m.length - 1, Math.floor(q * m.length))]]));
}

/** Zeros after thresholding and totals per gate, summed over layers (to difference between validations). */
function gateCounts(net: Network): { zeros: number[]; totals: number[] } {
  const zeros = [0, 0, 0, 0], totals = [0, 0, 0, 0];
  for (const c of net.counts) for (let g = 0; g < 4; g++) { zeros[g] += c.zerosAfter[g]!; totals[g] += c.total[g]!; }
  return { zeros, totals };
}

/**
 * Decay on plateau with early stopping (config `plateau`): keeps the weights of
 * the best validation and puts them back at the end, so the saved model is the
 * one the reported validation belongs to.
 */
class PlateauSchedule {
  lr: number;
  decays = 0;
  stopped = false;
  private best = Infinity;
  private bestStep = 0;
  private bad = 0;
  private bestWeights: Vec[] | null = null;

  constructor(private readonly cfg: TrainConfig, private readonly params: Params) {
    this.lr = cfg.lr;
  }

  observe(step: number, loss: number): void {
    const improved = loss < this.best * (1 - this.cfg.minDelta);
    if (loss < this.best) {
      this.best = loss;
      this.bestStep = step;
      this.bestWeights = flatParams(this.params).map((p) => p.data.slice());
    }
    if (improved) {
      this.bad = 0;
      return;
    }
    if (++this.bad < this.cfg.patience) return;
    this.bad = 0;
    if (this.decays < this.cfg.maxDecays) {
      this.decays++;
      this.lr *= this.cfg.lrFactor;
    } else this.stopped = true;
  }

  get bestWeightsOrNull(): Vec[] | null {
    return this.bestWeights;
  }

  snapshot(): SavedScalars['plateau'] {
    // JSON has no Infinity: null stands for "no validation yet".
    return { lr: this.lr, decays: this.decays, stopped: this.stopped, best: Number.isFinite(this.best) ? this.best : (null as unknown as number), bestStep: this.bestStep, bad: this.bad, hasBest: this.bestWeights !== null };
  }

  restore(s: SavedScalars['plateau'], bestWeights: Vec[] | null): void {
    Object.assign(this, { lr: s.lr, decays: s.decays, stopped: s.stopped, best: s.best ?? Infinity, bestStep: s.bestStep, bad: s.bad, bestWeights });
  }

  /** Restores the best weights (plateau schedule) and says why training ended. */
  finish(stepsDone: number): { step: number; reason: 'plateau' | 'budget' | 'steps' } {
    if (this.cfg.schedule !== 'plateau') return { step: stepsDone, reason: 'steps' };
    if (this.bestWeights) flatParams(this.params).forEach((p, k) => p.data.set(this.bestWeights![k]!));
    return { step: this.bestStep, reason: this.stopped ? 'plateau' : 'budget' };
  }
}
