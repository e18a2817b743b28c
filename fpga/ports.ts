/** The top's ports, which the place-and-route harness wraps. */
import { readFile } from 'node:fs/promises';
import { UserError } from '../util/errors.ts';
import type { TopPort } from './io-harness.ts';
import { parseVerilogHeaders } from '../generator/verilog-header/index.ts';

export async function readTopPorts(files: string[], top: string, parameters: Record<string, number | string> = {}): Promise<TopPort[]> {
  const numeric = Object.fromEntries(Object.entries(parameters).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
  for (const f of files) {
    const text = await readFile(f, 'utf8');
    if (!new RegExp(`\\bmodule\\s+${top}\\b`).test(text)) continue;
    const mod = parseVerilogHeaders(text, f, numeric).find((m) => m.name === top);
    if (mod) return mod.ports.map((p) => ({ name: p.name, direction: p.direction, width: p.width }));
  }
  throw new UserError(`no module '${top}' in the ${files.length} Verilog file(s) given; check the top name (--top) or the sources`);
}
