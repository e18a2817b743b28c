/**
 * Finds the Verilog of a top: the committed rtl/<preset>/<top>/ by default, or
 * wherever it sits under a user's --rtl DIR (a copy of rtl/, of rtl/<preset>/,
 * or of one top's folder). The top's folder is taken whole, since the
 * generator writes one file per module next to the top.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../util/errors.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_RTL = join(REPO_ROOT, 'rtl');

function verilogFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.s?v$/.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

export function locateTop(rtlDir: string, top: string, preset: string): string[] {
  if (!existsSync(rtlDir) || !statSync(rtlDir).isDirectory()) {
    throw new UserError(`RTL folder ${rtlDir} does not exist; run 'sparsegrad generate' or point --rtl at a folder of Verilog`);
  }
  const declares = new RegExp(`^\\s*module\\s+${top}\\b`, 'm');
  const homes = [...new Set(verilogFilesUnder(rtlDir).filter((f) => declares.test(readFileSync(f, 'utf8'))).map((f) => dirname(f)))];
  let pick = homes;
  if (homes.length > 1) pick = homes.filter((d) => relative(rtlDir, d).split(sep).includes(preset));
  if (pick.length === 0 && homes.length === 0) {
    throw new UserError(`no module ${top} in any Verilog under ${rtlDir}; run 'sparsegrad generate --preset ${preset}' or point --rtl at the engine's folder`);
  }
  if (pick.length !== 1) {
    throw new UserError(`module ${top} is declared in ${homes.length} folders under ${rtlDir} (${homes.map((h) => relative(rtlDir, h) || '.').join(', ')}); point --rtl at one of them`);
  }
  return readdirSync(pick[0]!)
    .filter((f) => /\.s?v$/.test(f))
    .sort()
    .map((f) => join(pick[0]!, f));
}
