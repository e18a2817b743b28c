/**
 * Compares every counter of two runs of the engine: two regress.json files
 * (`sparsegrad regress --out DIR` writes DIR/regress.json) or two flow reports
 * (`sparsegrad flow --out DIR` writes DIR/flow-report.json). A refactor that
 * must not change the engine's timing (CYCLES_BUSY, harness cycles, memory
 * traffic, MAC counts, energy counts) is checked with it:
 *
 *   scripts/compare-counters BEFORE.json AFTER.json
 *
 * Every leaf value (numbers, booleans, strings) is compared at its path; regress
 * points are matched by name, not position. Leaves that name where a run wrote
 * or read its files (rtl, folder, vcd) are left out, since they differ between
 * two runs by construction. Exit status 0 when every counter is identical, 1
 * with one line per difference otherwise.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Keys whose values are paths of a run, not results of it. */
const PATH_KEYS = new Set(['rtl', 'folder', 'vcd', 'violationVcd']);

type Leaves = Map<string, unknown>;

function leaves(x: unknown, path: string, out: Leaves): Leaves {
  if (Array.isArray(x)) {
    // Regress points carry a unique name: key them by it, so a reordered matrix still compares.
    const named = x.every((e) => e && typeof e === 'object' && typeof (e as { name?: unknown }).name === 'string');
    x.forEach((e, i) => leaves(e, named ? `${path}[${(e as { name: string }).name}]` : `${path}[${i}]`, out));
  } else if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) if (!PATH_KEYS.has(k)) leaves(v, path ? `${path}.${k}` : k, out);
  } else {
    out.set(path, x);
  }
  return out;
}

export function compareCounters(before: unknown, after: unknown): { compared: number; differences: string[] } {
  const a = leaves(before, '', new Map());
  const b = leaves(after, '', new Map());
  const differences: string[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    if (!a.has(key)) differences.push(`${key}: only in the second run (${JSON.stringify(b.get(key))})`);
    else if (!b.has(key)) differences.push(`${key}: only in the first run (${JSON.stringify(a.get(key))})`);
    else if (a.get(key) !== b.get(key)) differences.push(`${key}: ${JSON.stringify(a.get(key))} → ${JSON.stringify(b.get(key))}`);
  }
  return { compared: a.size, differences };
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1]);
if (isMain) {
  const [first, second] = process.argv.slice(2);
  if (!first || !second) {
    process.stderr.write('usage: scripts/compare-counters BEFORE.json AFTER.json (regress.json or flow-report.json)\n');
    process.exit(2);
  }
  const read = (f: string): unknown => {
    try {
      return JSON.parse(readFileSync(f, 'utf8'));
    } catch (e) {
      process.stderr.write(`sparsegrad: error: cannot read ${f}: ${(e as Error).message.split('\n')[0]}\n`);
      process.exit(2);
    }
  };
  const { compared, differences } = compareCounters(read(first), read(second));
  for (const d of differences) process.stdout.write(`${d}\n`);
  process.stdout.write(differences.length ? `${differences.length} of ${compared} values differ\n` : `all ${compared} values identical\n`);
  process.exit(differences.length ? 1 : 0);
}
