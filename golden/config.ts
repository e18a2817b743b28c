/** The training configuration, validated with zod (CLI flags and reproduce runs share it). */
import { z } from 'zod';
import { EXIT, UserError } from '../util/errors.ts';
import { zodIssueMessage } from '../util/suggest.ts';
import { stableJson } from '../util/json.ts';

export const DEFAULT_CORPUS = 'data/tinyshakespeare/input.txt';

export const TrainConfigSchema = z.strictObject({
  corpus: z.string().min(1).default(DEFAULT_CORPUS),
  /** `char`: one-hot characters in and out. `word`: the `words` most frequent words plus <unk>, an embedding input of width `embedding`. */
  model: z.enum(['char', 'word']).default('char'),
  /** Word model: vocabulary size before <unk> (V = words + 1). */
  words: z.number().int().min(1).max(100_000).default(2000),
  /** Word model: embedding width E, the input width D of layer 0. */
  embedding: z.number().int().min(1).max(4096).default(192),
  hidden: z.number().int().min(1).max(4096).default(128),
  layers: z.number().int().min(1).max(8).default(1),
  batch: z.number().int().min(1).max(4096).default(32),
  seq: z.number().int().min(1).max(4096).default(64),
  steps: z.number().int().min(1).default(1000),
  lr: z.number().positive().default(5),
  /** `exp`: the learning rate decays exponentially from lr to lr·lrDecay over the run. `plateau`: see below. */
  schedule: z.enum(['exp', 'plateau']).default('exp'),
  /** The learning rate decays exponentially from lr to lr·lrDecay over the run (schedule `exp`). */
  lrDecay: z.number().positive().max(1).default(0.1),
  /**
   * Schedule `plateau` (needs evalEvery > 0): a validation that does not improve on the best by the
   * fraction minDelta counts as bad; after `patience` bad ones in a row the learning rate is multiplied
   * by lrFactor; after maxDecays such cuts, `patience` more bad validations stop the run (converged).
   * `steps` is then the budget bound: a run that reaches it has not converged.
   */
  patience: z.number().int().min(1).default(2),
  lrFactor: z.number().gt(0).lt(1).default(0.5),
  maxDecays: z.number().int().min(0).default(3),
  minDelta: z.number().min(0).lt(1).default(0.001),
  /** SGD momentum (torch.optim.SGD's; 0 is plain SGD). */
  momentum: z.number().min(0).lt(1).default(0.9),
  /** Global gradient-norm clipping threshold. */
  clip: z.number().positive().default(0.25),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(1),
  /** Fixed θ: |dz| < θ is zeroed. */
  threshold: z.number().min(0, 'threshold θ must be ≥ 0').default(0),
  /** When set, θ is chosen per BPTT step to zero this fraction of dz (overrides threshold). */
  targetSparsity: z.number().min(0).max(1).nullable().default(null),
  precision: z.enum(['float32', 'float64']).default('float32'),
  /** Validation every this many steps (0: only at the end). */
  evalEvery: z.number().int().min(0).default(0),
  /** Characters of the validation split evaluated (0: all of it). */
  validChars: z.number().int().min(0).default(0),
  validFraction: z.number().gt(0).lt(1).default(0.1),
  init: z.string().nullable().default(null),
  out: z.string().default('out/train'),
  dumpStreams: z.string().nullable().default(null),
  /** Steps to dump (1-based); default first and last. */
  dumpSteps: z.array(z.number().int().min(1)).nullable().default(null),
  quiet: z.boolean().default(false),
});

export type TrainConfig = z.infer<typeof TrainConfigSchema>;

/**
 * Every default, for the CLI's help text. lr/momentum/clip suit the loss
 * averaged over T·B tokens (gradient norms ≈ 0.1–0.3 for H = 128); plain SGD
 * at lr 1 barely moves in a few hundred steps (measured: 4.8 bpc after 100).
 */
export const TRAIN_DEFAULTS: TrainConfig = TrainConfigSchema.parse({});

/**
 * The settings of a config that make its results, as a stable string: without
 * where outputs go and how loudly (out, quiet, and what the caller lists in
 * `also`), and without keys at their default, so a setting added later with a
 * default that keeps the old behaviour leaves the identity of earlier runs
 * unchanged (resumable sweeps and saved states stay valid across versions).
 */
export function configIdentity(cfg: TrainConfig, also: readonly (keyof TrainConfig)[] = []): string {
  const skip = new Set<string>(['out', 'quiet', ...also]);
  const kept = Object.entries(cfg).filter(([k, v]) => !skip.has(k) && JSON.stringify(v) !== JSON.stringify((TRAIN_DEFAULTS as Record<string, unknown>)[k]));
  return stableJson(Object.fromEntries(kept));
}

/**
 * The identity of a run up to its budget: with the `plateau` schedule nothing
 * before step n depends on --steps (the rate follows the validations, not the
 * budget), so a run given a larger budget is the same run, continued. A saved
 * state, or a run that converged, stays valid when the budget is raised.
 */
export function runIdentity(cfg: TrainConfig, also: readonly (keyof TrainConfig)[] = []): string {
  return configIdentity(cfg, cfg.schedule === 'plateau' ? ['steps', ...also] : also);
}

const flagOf = (key: string) => '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/**
 * Validates a partial config; the first problem becomes a one-line UserError
 * naming the flag, or the --config file and key when the value came from there
 * (`fromFile`: the keys the file set and flags did not override).
 */
export function parseTrainConfig(
  raw: Partial<Record<keyof TrainConfig, unknown>>,
  source: { file?: string; fromFile?: ReadonlySet<string> } = {},
): TrainConfig {
  const inFile = (key: string) => source.file !== undefined && (source.fromFile?.has(key) ?? true);
  const where = (key: string) => (inFile(key) ? `--config ${source.file}: key '${key}'` : flagOf(key));
  const r = TrainConfigSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const key = issue.code === 'unrecognized_keys' ? '' : String(issue.path[0] ?? '');
    const message = zodIssueMessage(issue, Object.keys(TrainConfigSchema.shape));
    throw new UserError(key ? `${where(key)}: ${message}` : `--config ${source.file ?? ''}: ${message}`, key && !inFile(key) ? EXIT.usage : EXIT.input);
  }
  if (r.data.schedule === 'plateau' && r.data.evalEvery === 0) {
    throw new UserError(`${where('schedule')} plateau needs validation during training: give ${where('evalEvery')} n > 0`, inFile('schedule') ? EXIT.input : EXIT.usage);
  }
  // A fixed θ and a target sparsity exclude each other: one of them would silently win.
  if (r.data.targetSparsity !== null && r.data.threshold !== 0) {
    const both = inFile('threshold') && inFile('targetSparsity')
      ? `--config ${source.file}: keys 'threshold' and 'targetSparsity'`
      : `${where('threshold')} and ${where('targetSparsity')}`;
    throw new UserError(`${both} exclude each other: give a fixed threshold or a target sparsity, not both`, inFile('threshold') || inFile('targetSparsity') ? EXIT.input : EXIT.usage);
  }
  return r.data;
}
