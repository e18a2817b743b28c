/**
 * Energy models as data: a versioned JSON table of energy per action (in the
 * manner of Accelergy's energy reference tables), loaded by name from
 * energy/tables/ or from a file. Estimates are counts of actions times these
 * energies; nothing here knows about the engine.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { UserError } from '../util/errors.ts';

/** The actions every table prices; counts come from energy/actions.ts. */
export const ACTIONS = ['mul', 'add', 'compare', 'sram_read_bit', 'sram_write_bit', 'dram_byte', 'bus_bit'] as const;
export type Action = (typeof ACTIONS)[number];

const entrySchema = z.strictObject({
  energy: z.number().nonnegative().finite(),
  per: z.string().min(1),
  derivation: z.string().min(1),
});

const tableSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
  version: z.number().int().positive(),
  unit: z.string().min(1),
  description: z.string().min(1),
  source: z.string().min(1),
  actions: z.strictObject(Object.fromEntries(ACTIONS.map((a) => [a, entrySchema])) as Record<Action, typeof entrySchema>),
});

export type EnergyModel = z.infer<typeof tableSchema>;

export const DEFAULT_ENERGY_MODEL = 'horowitz-45nm';

const TABLES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'tables');

/** Names of the shipped tables, sorted. */
export function energyModelNames(): string[] {
  return readdirSync(TABLES_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => basename(f, '.json'))
    .sort();
}

/** A shipped table by name, or a JSON file of the same form. */
export function loadEnergyModel(spec: string = DEFAULT_ENERGY_MODEL): EnergyModel {
  const isFile = spec.endsWith('.json') || spec.includes('/');
  const path = isFile ? spec : join(TABLES_DIR, `${spec}.json`);
  if (!existsSync(path)) {
    if (isFile) throw new UserError(`energy model ${spec}: no such file`);
    throw new UserError(`unknown energy model '${spec}'; shipped: ${energyModelNames().join(', ')}, or give a JSON file`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`energy model ${spec}: not valid JSON (${(e as Error).message})`);
  }
  const parsed = tableSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : 'top level';
    throw new UserError(`energy model ${spec}: ${where}: ${issue.message}`);
  }
  return parsed.data;
}
