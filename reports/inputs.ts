/**
 * The JSON outputs of the other commands, found anywhere under a results
 * folder and recognised by their shape (not their file name), so a user can
 * lay results out as they like. Only the fields the report draws are
 * validated; a file that looks like one kind but is missing a needed field is
 * reported as unusable with the field named, never silently dropped.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { z } from 'zod';

const num = z.number();
const gateSparsity = z.record(z.string(), num);

/** `sparsegrad reproduce` → reproduce.json */
export const reproduceSchema = z.object({
  runs: z.array(
    z.object({
      name: z.string(),
      theta: num.nullable(),
      targetSparsity: num.nullable(),
      validBpc: num,
      bpcChange: num,
      sparsity: gateSparsity,
      meanTheta: num,
      redundantMacFraction: num,
      // Curves, when the trainer includes them per run.
      trainLoss: z.array(z.tuple([num, num])).optional(),
      validation: z.array(z.tuple([num, num, num])).optional(),
    }),
  ).min(1),
  verdict: z.object({ holds: z.boolean(), text: z.string() }),
});

const meanSd = z.object({ mean: num, sd: num });

/** `sparsegrad reproduce --full` → reproduce-full.json (golden/sweep.ts, golden/verdict.ts) */
export const fullSchema = z.object({
  kind: z.literal('sparsegrad-reproduce-full'),
  /** false: a --summarise of a sweep still running (older files have no key: complete). */
  complete: z.boolean().optional(),
  runsPlanned: num.optional(),
  options: z.object({ seeds: num.optional(), quick: z.boolean() }).passthrough(),
  criterion: z.object({ margin: num, confidence: num, claimSparsity: num }),
  models: z.array(z.object({ id: z.string(), title: z.string() }).passthrough()).min(1),
  runs: z.array(z.object({ model: z.string(), setting: z.string(), seed: num, converged: z.boolean(), validBits: num }).passthrough()).min(1),
  settings: z.array(
    z.object({
      model: z.string(),
      setting: z.string(),
      theta: num.nullable(),
      seeds: z.array(num),
      converged: num,
      validBits: meanSd,
      meanTheta: meanSd,
      sparsity: z.record(z.string(), meanSd),
      redundantMacFraction: meanSd,
      wallSeconds: meanSd,
      trajectory: z.array(z.object({ step: num, n: num, all: meanSd })),
      validCurve: z.array(z.object({ step: num, n: num, bits: meanSd })),
      vsDense: z.object({ change: num, changeLo: num.nullable(), changeHi: num.nullable(), verdict: z.enum(['holds', 'does not hold', 'cannot tell']), why: z.string() }).passthrough().nullable(),
    }).passthrough(),
  ),
  verdicts: z.array(z.object({ model: z.string(), verdict: z.enum(['holds', 'does not hold', 'cannot tell']), text: z.string() })),
});

/** `sparsegrad train` → report.json */
export const trainSchema = z.object({
  config: z.object({ threshold: num.optional(), hidden: num.optional() }).passthrough(),
  trainLoss: z.array(z.tuple([num, num])).min(1),
  validation: z.array(z.tuple([num, num, num])),
  thresholdMode: z.object({ kind: z.string(), theta: num.nullable(), targetSparsity: num.nullable() }),
  final: z.object({ validBpc: num }).passthrough(),
});

/** `sparsegrad cosim` → cosim-report.json */
export const cosimSchema = z.object({
  pass: z.boolean(),
  sparsity: num,
  nnz: num,
  total: num,
  cycles: num,
  denseCycles: num.nullable(),
  idealCycles: num,
  efficiency: num,
  preset: z.string(),
  mode: z.string(),
  memLatency: num,
  runs: z
    .array(z.object({ mode: z.string(), engine: z.string(), cycles: num, idealCycles: num, pass: z.boolean() }).passthrough())
    .optional(),
  speedup: num.nullable().optional(),
  /** Reports written before the energy model have none. */
  energy: z
    .object({
      model: z.string(),
      unit: z.string(),
      ratio: num.nullable(),
      sparse: z.object({ total: num, memoryShare: num, byClass: z.record(z.string(), num) }).passthrough(),
      dense: z.object({ total: num, memoryShare: num, byClass: z.record(z.string(), num) }).passthrough().nullable(),
    })
    .passthrough()
    .optional(),
});

/** `sparsegrad fpga` → report.json */
export const fpgaSchema = z.object({
  kind: z.literal('sparsegrad-fpga-report'),
  clockMHz: num,
  results: z.array(
    z.object({
      top: z.string(),
      role: z.string(),
      device: z.string(),
      deviceLabel: z.string(),
      synth: z.object({
        status: z.string(),
        reason: z.string().optional(),
        resources: z.object({ luts: num, ffs: num, carries: num, brams: num, dsps: num }).passthrough().optional(),
        capacity: z.object({ luts: num, ffs: num, brams: num, dsps: num }).passthrough(),
        fitsAlone: z.boolean().optional(),
      }),
      pnr: z.object({
        status: z.string(),
        reason: z.string().optional(),
        fmaxMHz: num.optional(),
        meetsTiming: z.boolean().optional(),
        fits: z.boolean().optional(),
        criticalPath: z.object({ delayNs: num, sources: z.array(z.object({ src: z.string(), delayNs: num })) }).optional(),
      }),
    }),
  ),
  comparisons: z.array(z.object({ device: z.string() }).passthrough()),
  notRun: z.array(z.string()),
  goals: z.object({ lutOverheadPct: num, fmaxLossPct: num }),
});

export type ReproduceJson = z.infer<typeof reproduceSchema>;
export type FullJson = z.infer<typeof fullSchema>;
export type TrainJson = z.infer<typeof trainSchema>;
export type CosimJson = z.infer<typeof cosimSchema>;
export type FpgaJson = z.infer<typeof fpgaSchema>;

export interface Found<T> {
  file: string;
  data: T;
}

export interface StudyInputs {
  root: string;
  reproduce: Found<ReproduceJson>[];
  full: Found<FullJson>[];
  train: Found<TrainJson>[];
  cosim: Found<CosimJson>[];
  fpga: Found<FpgaJson>[];
  /** Files that look like one of the kinds but fail its schema: file, kind, first problem. */
  unusable: Array<{ file: string; kind: string; problem: string }>;
}

const KINDS = [
  { key: 'fpga', schema: fpgaSchema, looksLike: (o: Record<string, unknown>) => o.kind === 'sparsegrad-fpga-report' },
  { key: 'full', schema: fullSchema, looksLike: (o: Record<string, unknown>) => o.kind === 'sparsegrad-reproduce-full' },
  { key: 'reproduce', schema: reproduceSchema, looksLike: (o: Record<string, unknown>) => 'runs' in o && 'verdict' in o },
  { key: 'train', schema: trainSchema, looksLike: (o: Record<string, unknown>) => 'trainLoss' in o && 'thresholdMode' in o },
  { key: 'cosim', schema: cosimSchema, looksLike: (o: Record<string, unknown>) => 'idealCycles' in o && 'sparsity' in o && 'pass' in o },
] as const;

/** JSON files under root, skipping dependency and VCS folders; bounded so a huge tree cannot stall the report. */
function jsonFiles(root: string, depth = 0, out: string[] = []): string[] {
  if (depth > 8 || out.length > 5000) return out;
  for (const name of readdirSync(root).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(root, name);
    const st = statSync(p);
    if (st.isDirectory()) jsonFiles(p, depth + 1, out);
    // Netlists and other big tool outputs are not results; results are small.
    else if (name.endsWith('.json') && st.size < 20_000_000) out.push(p);
  }
  return out;
}

export function collectInputs(root: string): StudyInputs {
  const found: StudyInputs = { root, reproduce: [], full: [], train: [], cosim: [], fpga: [], unusable: [] };
  for (const file of jsonFiles(root)) {
    let obj: unknown;
    try {
      obj = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) continue;
    const kind = KINDS.find((k) => k.looksLike(obj as Record<string, unknown>));
    if (!kind) continue;
    const rel = relative(root, file);
    const r = kind.schema.safeParse(obj);
    if (!r.success) {
      const i = r.error.issues[0]!;
      found.unusable.push({ file: rel, kind: kind.key, problem: `${i.path.join('.') || '(top level)'}: ${i.message}` });
      continue;
    }
    (found[kind.key] as Found<unknown>[]).push({ file: rel, data: r.data });
  }
  // The runs of a --full sweep are summarised by its reproduce-full.json; dozens of their train reports would bury the loss plots.
  const sweepDirs = found.full.map((f) => dirname(f.file)).map((d) => (d === '.' ? '' : d + sep));
  found.train = found.train.filter((t) => !sweepDirs.some((d) => t.file.startsWith(d)));
  return found;
}
