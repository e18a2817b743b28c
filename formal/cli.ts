/** CLI command of formal/: `sparsegrad formal` (see docs/verification.md, "Formal"). */
import { join, relative, resolve } from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import { UserError } from '../util/errors.ts';
import { intArg, presetArg } from '../cli/options.ts';
import { loadEngineConfig, presetNames } from '../engine/config.ts';
import { ENGINE_VARIANTS, type EngineVariant } from '../generator/designs/index.ts';
import { requireTool } from '../toolchain/index.ts';
import { planJobs } from './plan.ts';
import { provePool, writeAtomic, type ProofResult } from './run.ts';

const schema = z.strictObject({
  preset: z.string().min(1),
  module: z.array(z.string().min(1)),
  depth: z.number().int().min(1).max(1000),
  coverDepth: z.number().int().min(1).max(1000),
  engine: z.enum(['sparse', 'dense', 'both']),
  proof: z.boolean(),
  timeout: z.number().int().min(1),
  jobs: z.number().int().min(1).max(64),
  only: z.string().min(1).optional(),
  out: z.string().min(1),
});

/** formal-report.json: deterministic (no times; counterexample paths relative to the report). */
export interface FormalReport {
  preset: string;
  depth: number;
  coverDepth: number;
  modules: Omit<ProofResult, 'seconds'>[];
  /** Every module's assertions hold (proven, or bounded with no counterexample) and its cover goals are reached. */
  pass: boolean;
}

/** Cover goals reached / stated ("-" when the module states none). */
const coverCell = (r: ProofResult): string => (r.coverage.length ? `${r.coverage.filter((c) => c.status === 'reached').length}/${r.coverage.length}` : '-');

/** Passing: no counterexample, and every cover goal reached (else a proof may be vacuous). */
export const modulePasses = (r: ProofResult): boolean => r.bmc === 'passed' && r.proof !== 'failed' && r.coverage.every((c) => c.status === 'reached');

/** The table the command prints: one line per module. */
export function formatTable(results: readonly ProofResult[], coverDepth: number): string {
  const rows = [['module', 'assert', 'assume', 'cover', 'BMC depth', 'proof', 'time (s)'], ...results.map((r) => [
    r.label, String(r.asserts), String(r.assumes), coverCell(r), r.bmc === 'failed' ? `FAIL @${r.bmcDepth}` : String(r.bmcDepth), r.proof, r.seconds.toFixed(1),
  ])];
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  '));
  lines.splice(1, 0, w.map((n) => '-'.repeat(n)).join('  '));
  for (const r of results) {
    for (const f of r.failures) lines.push(`${r.label}: ${f.kind} failed at step ${r.failStep}: ${f.source}: ${f.message}${r.vcd ? ` (counterexample ${r.vcd})` : ''}`);
    for (const c of r.coverage.filter((g) => g.status !== 'reached')) {
      lines.push(c.status === 'unreached'
        ? `${r.label}: cover not reached ${c.note === 'unreachable at any depth' ? 'at any depth' : `within ${coverDepth} steps`}: ${c.source}: ${c.message} (the assumptions may exclude it, so the proofs may hold vacuously; if it needs more steps, raise --cover-depth)`
        : `${r.label}: cover not checked (${c.note}): ${c.source}: ${c.message}`);
    }
    if (r.note) lines.push(`${r.label}: ${r.note}`);
  }
  return lines.join('\n');
}

export async function runFormal(o: z.infer<typeof schema>): Promise<{ report: FormalReport; results: ProofResult[]; seconds: number }> {
  requireTool('yosys');
  requireTool('yosys-abc');
  const cfg = loadEngineConfig(o.preset);
  const variants: EngineVariant[] = o.engine === 'both' ? [...ENGINE_VARIANTS] : [o.engine];
  const out = resolve(o.out);
  const jobs = planJobs(cfg, { variants, modules: o.module, depth: o.depth, coverDepth: o.coverDepth, unbounded: o.proof, timeout: o.timeout, workDir: out, only: o.only });
  for (const v of variants) await rm(join(out, v), { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const t0 = performance.now();
  const results = await provePool(jobs, o.jobs, (r, n) => {
    if (process.stderr.isTTY) process.stderr.write(`formal: ${n}/${jobs.length} ${r.label} ${r.bmc === 'failed' ? 'FAILED' : r.proof}\n`);
  });
  const report: FormalReport = {
    preset: o.preset,
    depth: o.depth,
    coverDepth: o.coverDepth,
    modules: results.map(({ seconds: _s, ...r }) => ({ ...r, vcd: r.vcd && relative(out, r.vcd) })),
    pass: results.every(modulePasses),
  };
  await writeAtomic(join(out, 'formal-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  return { report, results, seconds: Math.round((performance.now() - t0) / 100) / 10 };
}

export function register(program: Command): void {
  program
    .command('formal')
    .description('prove the engine modules: bounded model checking from reset and an unbounded proof (PDR) of each module\'s assertions and AXI rules')
    .requiredOption('--preset <name>', `engine preset (${presetNames().join(', ')})`, presetArg('--preset'))
    .option('--module <name...>', 'only these modules (e.g. sbe_regs sparse_bwd_engine); default every module')
    .option('--depth <n>', 'BMC depth in clock cycles from reset', intArg('--depth', 1), 20)
    .option('--cover-depth <n>', 'steps from reset to search for a trace to each cover goal (each AXI channel\'s handshake, each m.cover)', intArg('--cover-depth', 1), 40)
    .option('--engine <which>', 'sparse, dense or both', 'both')
    .option('--no-proof', 'bounded model checking only (no unbounded proof)')
    .option('--only <text>', 'check only the assertions whose message contains TEXT (assumptions all stay)')
    .option('--timeout <s>', 'seconds each engine run may take', intArg('--timeout', 1), 120)
    .option('--jobs <n>', 'modules proved at once', intArg('--jobs', 1), 2)
    .requiredOption('--out <dir>', 'folder for formal-report.json, the models and counterexamples')
    .action(async (raw: Record<string, unknown>) => {
      const parsed = schema.safeParse({ ...raw, module: raw.module ?? [], proof: raw.proof !== false });
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new UserError(`formal: --${String(issue.path[0] ?? 'options')}: ${issue.message}`);
      }
      const { report, results, seconds } = await runFormal(parsed.data);
      console.log(formatTable(results, parsed.data.coverDepth));
      console.log(`formal: ${report.pass ? 'PASS' : 'FAIL'} in ${seconds} s; report ${join(resolve(parsed.data.out), 'formal-report.json')}`);
      if (!report.pass) process.exitCode = 1;
    });
}
