/**
 * Reading a design's manifest.json back: the one place the simulator's harness and
 * the FPGA flow learn a top's port groups, clock and reset. The generator writes the
 * manifest beside the Verilog (design.ts); hand-written Verilog gets one from a
 * blackBox() declaration with typed interfaces (blackBoxManifest), or a hand-written
 * manifest.json of the same form. No consumer guesses a port's role from its name.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../../util/errors.ts';
import type { Manifest, ManifestInterface, ManifestModule } from './design.ts';

const Port = z.object({ name: z.string(), direction: z.enum(['input', 'output']), width: z.number().int().positive(), signed: z.boolean().optional() });
const Interface = z.looseObject({
  kind: z.string(),
  name: z.string(),
  role: z.enum(['master', 'slave']),
  ports: z.record(z.string(), z.string()),
});
const Module = z.looseObject({
  name: z.string(),
  ports: z.array(Port).optional(),
  interfaces: z.array(Interface).optional(),
  clock: z.string().optional(),
  reset: z.object({ port: z.string(), activeLow: z.boolean() }).optional(),
});
const ManifestSchema = z.looseObject({ top: z.string(), modules: z.array(Module) });

/** What a consumer needs of a top's manifest entry (a generated manifest has more). */
export type TopDescription = Pick<ManifestModule, 'name' | 'interfaces' | 'clock' | 'reset'>;

/** How to describe a top that has no manifest, for the one-line errors. */
export const DESCRIBE_HINT = "emit it with the generator (it writes manifest.json beside the Verilog), or declare the Verilog with blackBox({ file, ports: (m) => typed interfaces, clock, reset }) and use blackBoxManifest()";

/** Parse a manifest's text; a malformed one is a one-line error naming the file and the field. */
export function parseManifest(text: string, file: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: not JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const r = ManifestSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new UserError(`${file}: ${issue.path.join('.') || 'manifest'}: ${issue.message}`);
  }
  return r.data as unknown as Manifest;
}

/** The entry of `top` in a manifest, or undefined. */
export function topOf(manifest: Manifest, top: string): TopDescription | undefined {
  return manifest.modules.find((m) => m.name === top);
}

/**
 * The description of `top` from the manifest.json in the folder of any of its Verilog
 * files (the generator writes one per top folder), or undefined when none describes it.
 */
export function findTopDescription(top: string, files: readonly string[]): { description: TopDescription; file: string } | undefined {
  for (const dir of [...new Set(files.map((f) => dirname(f)))]) {
    const file = join(dir, 'manifest.json');
    if (!existsSync(file)) continue;
    const found = topOf(parseManifest(readFileSync(file, 'utf8'), file), top);
    if (found) return { description: found, file };
  }
  return undefined;
}

export type { ManifestInterface };
