/** CLI commands of generator/ (see docs/ARCHITECTURE.md): `sparsegrad generate`. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { z } from 'zod';
import { EXIT, UsageError, UserError } from '../util/errors.ts';
import { presetArg } from '../cli/options.ts';
import { loadEngineConfig, presetNames, type EngineConfig } from '../engine/config.ts';
import { diffCount, diffFolder, presetFiles, writeFolder } from './rtl-files.ts';
import { collectWarnings, printWarnings } from './backend/design.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const optionsSchema = z.object({
  preset: z.string().optional(),
  config: z.string().optional(),
  out: z.string().min(1).optional(),
  check: z.boolean(),
  progress: z.boolean(),
});

interface Target {
  label: string;
  cfg: EngineConfig;
  dir: string;
}

function targets(o: z.infer<typeof optionsSchema>): Target[] {
  const rtl = join(REPO_ROOT, 'rtl');
  if (o.config) {
    if (o.preset) throw new UsageError('give either --preset or --config, not both');
    if (!o.out) throw new UsageError('--config needs --out DIR (rtl/ holds the presets only)');
    return [{ label: o.config, cfg: loadEngineConfig(o.config), dir: resolve(o.out) }];
  }
  if (!o.preset || o.preset === 'all') {
    if (o.out) return presetNames().map((n) => ({ label: n, cfg: loadEngineConfig(n), dir: join(resolve(o.out!), n) }));
    return presetNames().map((n) => ({ label: n, cfg: loadEngineConfig(n), dir: join(rtl, n) }));
  }
  const cfg = loadEngineConfig(o.preset);
  return [{ label: o.preset, cfg, dir: o.out ? resolve(o.out) : join(rtl, o.preset) }];
}

export function register(program: Command): void {
  program
    .command('generate')
    .description('emit the Verilog of the sparse engine and its dense baseline (one file per module + manifest.json per top)')
    .option('--preset <name>', `engine preset (${presetNames().join(', ')}) or 'all'`, presetArg('--preset', ['all']))
    .option('--config <file>', 'engine config JSON (optionally {"preset": NAME, ...overrides}) instead of a preset; needs --out')
    .option('--out <dir>', 'folder to write (default rtl/<preset>; with all presets, DIR/<preset>)')
    .option('--check', 'write nothing; fail if the folder differs from what the generator emits now')
    .option('--no-progress', 'no progress bar')
    .action((raw: Record<string, unknown>) => {
      const parsed = optionsSchema.safeParse({ ...raw, check: Boolean(raw.check), progress: raw.progress !== false });
      if (!parsed.success) throw new UsageError(`generate: ${parsed.error.issues[0]!.message}`);
      const o = parsed.data;
      const list = targets(o);
      const bar = o.progress && process.stderr.isTTY
        ? new cliProgress.SingleBar({ format: 'generate {bar} {value}/{total} {what}', hideCursor: true }, cliProgress.Presets.shades_classic)
        : undefined;
      bar?.start(list.length, 0, { what: '' });
      const stale: string[] = [];
      const lines: string[] = [];
      try {
        for (const t of list) {
          bar?.update({ what: t.label });
          const { result: files, warnings } = collectWarnings(() => presetFiles(t.cfg));
          printWarnings(warnings);
          const modules = [...files.keys()].filter((f) => f.endsWith('.v')).length;
          if (o.check) {
            const d = diffFolder(t.dir, files);
            if (diffCount(d)) stale.push(`${t.label}: ${[...d.changed.map((f) => `changed ${f}`), ...d.missing.map((f) => `missing ${f}`), ...d.extra.map((f) => `extra ${f}`)].slice(0, 4).join(', ')}${diffCount(d) > 4 ? ', …' : ''}`);
            else lines.push(`${t.label}: up to date (${modules} modules) in ${t.dir}`);
          } else {
            writeFolder(t.dir, files);
            lines.push(`${t.label}: ${modules} modules (sparse_bwd_engine/, dense_bwd_engine/) in ${t.dir}`);
          }
          bar?.increment();
        }
      } finally {
        bar?.stop();
      }
      for (const l of lines) console.log(l);
      if (stale.length) {
        throw new UserError(`the RTL differs from what the generator emits now (${stale.join('; ')}); run 'sparsegrad generate' and commit rtl/`, EXIT.designFailure);
      }
    });
}
