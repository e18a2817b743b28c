/**
 * The one engine configuration shared by the bit-exact model (golden/engine-model/),
 * the RTL generator (generator/designs/), the simulation driver (sim/engine/) and fpga/.
 * Field meanings are the "Parameters" of the engine contract in docs/ARCHITECTURE.md.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UserError } from '../util/errors.ts';
import { zodIssueMessage } from '../util/suggest.ts';

const isPow2 = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

const bits = (max: number) => z.number().int().min(2).max(max);

export const engineConfigSchema = z
  .strictObject({
    /** Gradient (and activation) values per input beat. GEOMETRY packs it in 8 bits. */
    P: z.number().int().min(1).max(255),
    /** MAC lanes. GEOMETRY packs it in 8 bits. */
    N: z.number().int().min(1).max(255),
    gBits: bits(32),
    wBits: bits(32),
    aBits: bits(32),
    /** G lives in memory as int64, so the accumulator cannot be wider. */
    accBits: bits(64),
    rMax: z.number().int().min(1).max(1 << 20),
    kMax: z.number().int().min(1).max(1 << 16),
    /**
     * Entries of the compacted (index, value) queue; a power of two so the FIFO pointers wrap for free,
     * and at least 4: three entries are reserved for the beats in the threshold unit's two stages and
     * the one it takes in.
     */
    queueDepth: z.number().int().min(4, 'queueDepth must be at least 4 (three entries are reserved for the beats in flight in the threshold unit)').max(4096).refine(isPow2, 'queueDepth must be a power of two'),
    /** Row reads in flight on the AXI4 master (prefetch depth that hides memory latency). */
    maxOutstanding: z.number().int().min(1).max(64),
    axiDataBits: z.number().int().min(64).max(1024).refine(isPow2, 'axiDataBits must be a power of two between 64 and 1024'),
    axiAddrBits: z.number().int().min(16).max(64),
    /** true: the sparse engine (zero skipping); false: the dense baseline built from the same code. */
    skipping: z.boolean(),
    /**
     * true: THETA, ROWS, COLS, VECTORS and the bases and strides read back over AXI4-Lite; false:
     * they are write-only (read 0). Their readback makes the read select 21-way instead of 13-way;
     * on the iCE40 UP5K that is 134 LUTs of a design at 96 % fill (docs/engine-microarchitecture.md, step 38).
     */
    jobReadback: z.boolean().default(true),
  })
  .superRefine((c, ctx) => {
    // Products are full width and must fit the accumulator, or saturation would hide wrong products.
    const prod = Math.max(c.gBits + c.wBits, c.gBits + c.aBits);
    if (c.accBits < prod) {
      ctx.addIssue({ code: 'custom', path: ['accBits'], message: `accBits must be at least ${prod} (gBits + max(wBits, aBits)) so full-width products fit` });
    }
    // Every G accumulator is one 64-bit word in memory; W words are 16 bits (int16 layout).
    if (c.wBits > 16) {
      ctx.addIssue({ code: 'custom', path: ['wBits'], message: 'wBits must be at most 16: W is stored as int16 in memory' });
    }
    // Column tiles start at W_BASE + c0·2 and G_BASE + c0·8 with c0 a multiple of kMax; both must stay bus-aligned.
    if ((c.kMax * 2) % (c.axiDataBits / 8) !== 0) {
      ctx.addIssue({ code: 'custom', path: ['kMax'], message: `kMax·2 bytes must be a multiple of axiDataBits/8 = ${c.axiDataBits / 8} so column tiles start bus-aligned` });
    }
  });

export type EngineConfig = z.infer<typeof engineConfigSchema>;

export const PRESET_NAMES = ['tiny', 'default', 'wide'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

const common = { gBits: 16, wBits: 16, aBits: 16, accBits: 48, axiAddrBits: 32, skipping: true } as const;

/**
 * Weight mode streams one G row in and one out per ⌈K/N⌉ cycles, i.e. N·64 bits per cycle
 * each way; axiDataBits = N·64 keeps that mode compute-bound instead of memory-bound.
 */
const PRESETS: Record<PresetName, EngineConfig> = {
  // Small enough that Verilator builds and random tests finish in seconds.
  tiny: { ...common, P: 4, N: 2, rMax: 64, kMax: 16, queueDepth: 8, maxOutstanding: 2, axiDataBits: 128, jobReadback: true },
  // Golden char-LM up to H = 128 (R = 512, K = 65 + 128 = 193); sized for an iCE40 UP5K/HX8K.
  // Its job registers are write-only: at the UP5K's 96 % fill, readback costs 34.7 → 37.5 MHz.
  default: { ...common, P: 4, N: 4, rMax: 1024, kMax: 256, queueDepth: 16, maxOutstanding: 4, axiDataBits: 256, jobReadback: false },
  wide: { ...common, P: 8, N: 16, rMax: 4096, kMax: 1024, queueDepth: 32, maxOutstanding: 8, axiDataBits: 1024, jobReadback: true },
};

export function presetNames(): readonly PresetName[] {
  return PRESET_NAMES;
}

/** A fresh copy of a named preset; `dense` gives its dense baseline. */
export function getPreset(name: string, opts: { dense?: boolean } = {}): EngineConfig {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new UserError(`unknown engine preset '${name}'; use one of: ${PRESET_NAMES.join(', ')}`);
  }
  const cfg = { ...PRESETS[name as PresetName] };
  return opts.dense ? denseBaseline(cfg) : cfg;
}

/** The same configuration with zero skipping off. */
export function denseBaseline(cfg: EngineConfig): EngineConfig {
  return { ...cfg, skipping: false };
}

/** Validates an untrusted object; the first problem becomes a one-line UserError. */
export function parseEngineConfig(input: unknown, source = 'engine config'): EngineConfig {
  const r = engineConfigSchema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const where = issue.path.length ? issue.path.join('.') : '(top level)';
  throw new UserError(`${source}: ${where}: ${zodIssueMessage(issue, Object.keys(engineConfigSchema.shape))}; fix the value or start from a preset (${PRESET_NAMES.join(', ')})`);
}

/**
 * A preset name or a JSON file, optionally overlaid on a preset:
 * `{ "preset": "default", "N": 8 }` is the default preset with 8 lanes.
 */
export function loadEngineConfig(spec: string): EngineConfig {
  if ((PRESET_NAMES as readonly string[]).includes(spec)) return getPreset(spec);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(spec, 'utf8'));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such preset or file' : (e as Error).message.split('\n')[0];
    throw new UserError(`cannot read engine config '${spec}': ${why}; give a preset (${PRESET_NAMES.join(', ')}) or a JSON file`);
  }
  if (raw && typeof raw === 'object' && !Array.isArray(raw) && 'preset' in raw) {
    const { preset, ...rest } = raw as Record<string, unknown>;
    raw = { ...getPreset(String(preset)), ...rest };
  }
  return parseEngineConfig(raw, spec);
}
