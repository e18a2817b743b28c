/** The training configuration, validated with zod (CLI flags and reproduce runs share it). */
import { z } from 'zod';
import { UserError } from '../cli/errors.ts';

export const DEFAULT_CORPUS = 'data/tinyshakespeare/input.txt';

export const TrainConfigSchema = z.object({
  corpus: z.string().min(1).default(DEFAULT_CORPUS),
  hidden: z.number().int().min(1).max(4096).default(128),
  layers: z.number().int().min(1).max(8).default(1),
  batch: z.number().int().min(1).max(4096).default(32),
  seq: z.number().int().min(1).max(4096).default(64),
  steps: z.number().int().min(1).default(1000),
  lr: z.number().positive().default(5),
  /** The learning rate decays exponentially from lr to lr·lrDecay over the run. */
  lrDecay: z.number().positive().max(1).default(0.1),
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

/** Validates a partial config; the first problem becomes a one-line UserError naming the flag. */
export function parseTrainConfig(raw: Partial<Record<keyof TrainConfig, unknown>>): TrainConfig {
  const r = TrainConfigSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const key = String(issue.path[0] ?? '');
    const flag = '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
    throw new UserError(`${flag}: ${issue.message}`);
  }
  return r.data;
}
