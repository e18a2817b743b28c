/**
 * Which Verilog a bundle is made of: a folder given with --rtl (hand-edited or
 * emitted elsewhere), or a preset's emitted RTL. A top's sources are the .v
 * files of the folder that defines it, so a sparse and a dense engine emitted
 * into sibling folders never mix their submodules.
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { UserError } from '../util/errors.ts';
import type { DesignSpec } from './bundle.ts';
import { readTopPorts } from './ports.ts';

export const SPARSE_TOP = 'sparse_bwd_engine';
export const DENSE_TOP = 'dense_bwd_engine';

function verilogFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...verilogFiles(p));
    else if (/\.(v|sv)$/.test(name)) out.push(p);
  }
  return out;
}

function definesModule(file: string, top: string): boolean {
  return new RegExp(`^\\s*module\\s+${top}\\b`, 'm').test(readFileSync(file, 'utf8'));
}

export function roleOf(top: string): DesignSpec['role'] {
  return top === SPARSE_TOP ? 'sparse' : top === DENSE_TOP ? 'dense' : 'design';
}

/** The designs in a folder: the named tops, or the engine pair when no top is named. */
export async function designsFromDir(dir: string, tops: string[] | undefined, origin: string, parameters: Record<string, number | string> = {}): Promise<DesignSpec[]> {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UserError(`${dir} is not a folder of Verilog files: check --rtl`);
  const all = verilogFiles(root);
  if (all.length === 0) throw new UserError(`no .v files under ${dir}: give --rtl the folder the generator wrote`);
  const wanted = tops && tops.length ? tops : [SPARSE_TOP, DENSE_TOP].filter((t) => all.some((f) => definesModule(f, t)));
  if (wanted.length === 0) throw new UserError(`no ${SPARSE_TOP} or ${DENSE_TOP} under ${dir}: name the top module with --top`);
  const designs: DesignSpec[] = [];
  for (const top of wanted) {
    const home = all.find((f) => definesModule(f, top));
    if (!home) throw new UserError(`no module '${top}' in the Verilog under ${dir}: check --top`);
    const files = verilogFiles(dirname(home));
    designs.push({
      role: roleOf(top),
      top,
      files,
      ports: await readTopPorts(files, top, parameters),
      parameters,
      origin: `${origin}${relative(root, dirname(home)) ? `/${relative(root, dirname(home))}` : ''}`,
    });
  }
  return designs;
}
