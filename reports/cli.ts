/** CLI commands of reports/ (see docs/ARCHITECTURE.md): `sparsegrad report`. */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { writeFileAtomicSync } from '../util/atomic.ts';
import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { UserError } from '../util/errors.ts';
import { collectInputs } from './inputs.ts';
import { renderReport } from './html.ts';

const optionsSchema = z.object({
  results: z.string().min(1),
  out: z.string().min(1).refine((p) => /\.html?$/i.test(p), '--out must name an .html file, e.g. --out out/report.html'),
});

export function register(program: Command): void {
  program
    .command('report')
    .description('write the study report: one self-contained HTML page with the sparsity, loss, cycle and area/Fmax plots, from the JSON outputs of reproduce, train, cosim and fpga')
    .option('--results <dir>', 'folder searched (recursively) for reproduce-full.json, reproduce.json, train report.json, cosim-report.json and fpga report.json', 'out')
    .requiredOption('--out <file.html>', 'HTML file to write')
    .action((raw: Record<string, unknown>) => {
      const parsed = optionsSchema.safeParse(raw);
      if (!parsed.success) throw new UserError(parsed.error.issues[0]!.message);
      const o = parsed.data;
      const root = resolve(o.results);
      if (!existsSync(root) || !statSync(root).isDirectory()) {
        throw new UserError(`results folder ${o.results} does not exist: run the study commands with --out under one folder (e.g. out/) and pass it with --results`);
      }
      const inputs = collectInputs(root);
      // The folder's own name: the same page whatever directory the command ran from.
      const label = basename(root) || root;
      const rep = renderReport(inputs, label);
      const out = resolve(o.out);
      mkdirSync(dirname(out), { recursive: true });
      // Written whole then renamed, so a reader never sees half a page.
      writeFileAtomicSync(out, rep.html);
      process.stdout.write(`wrote ${o.out}: ${rep.plots} plot(s) from ${inputs.full.length} reproduce --full, ${inputs.reproduce.length} reproduce, ${inputs.train.length} train, ${inputs.cosim.length} cosim, ${inputs.fpga.length} fpga report(s)\n`);
      if (rep.missing.length) process.stdout.write(`missing inputs (their sections say how to produce them): ${rep.missing.join(', ')}\n`);
      for (const u of inputs.unusable) process.stdout.write(`unusable: ${u.file} (${u.kind}): ${u.problem}\n`);
    });
}
