/**
 * Which area may import which (docs/ARCHITECTURE.md, "Dependencies"). An area
 * is a top-level folder. Arrows run from the command line down to the neutral
 * base; an import against them puts a change in the wrong place.
 */
import type { ImportEdge } from './imports.ts';

/** For each library area, the other areas its files may import. cli/ may import anything. */
export const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  util: [],
  engine: ['util'],
  toolchain: ['util'],
  streams: ['util', 'engine'],
  cluster: ['util', 'toolchain'],
  golden: ['util', 'engine', 'streams', 'cluster'],
  generator: ['util', 'engine'],
  energy: ['util', 'engine', 'generator'],
  formal: ['util', 'engine', 'toolchain', 'generator'],
  fpga: ['util', 'engine', 'toolchain', 'generator', 'cluster'],
  sim: ['util', 'engine', 'toolchain', 'streams', 'golden', 'generator', 'energy', 'cluster'],
  reports: ['util', 'engine', 'golden', 'streams', 'energy', 'sim'],
  board: ['util', 'engine', 'toolchain', 'generator', 'sim'],
};

/** Folders that are not part of the layering: they may use every area. */
export const UNLAYERED = new Set(['cli', 'test', 'bench', 'scripts']);

/** The command-line option parsers: the one cli/ file an area's command file may use. */
const CLI_SHARED = new Set(['cli/options.ts']);

export const areaOf = (file: string): string => file.split('/')[0]!;
/** An area's command file: `<area>/cli.ts` or `<area>/<sub>/cli.ts`, which registers its commands. */
export const isCommandFile = (file: string): boolean => file.endsWith('/cli.ts') && !UNLAYERED.has(areaOf(file));

/** Why `e` runs the wrong way, or undefined when it is allowed. */
export function violation(e: ImportEdge): string | undefined {
  const from = areaOf(e.from);
  const to = areaOf(e.to);
  if (UNLAYERED.has(from)) return undefined;
  const where = `${e.from}:${e.line} imports ${e.to}`;
  const allowed = MAY_IMPORT[from];
  if (!allowed) return `${where}: ${from}/ is a new top-level folder; add it to MAY_IMPORT in test/architecture/rules.ts and to docs/ARCHITECTURE.md`;
  if (to === 'cli') {
    if (isCommandFile(e.from) && CLI_SHARED.has(e.to)) return undefined;
    return `${where}: only the command line may use cli/ (a library throws UserError from util/errors.ts and writes through util/atomic.ts)`;
  }
  if (isCommandFile(e.to) && !isCommandFile(e.from)) return `${where}: a library file may not import a command file; move what it needs out of ${e.to}`;
  if (from === to) return undefined;
  if (!allowed.includes(to)) return `${where}: ${from}/ may import only ${allowed.length ? allowed.map((a) => `${a}/`).join(', ') : 'nothing in the project'}`;
  return undefined;
}
