/**
 * The top's ports, which the place-and-route harness wraps, with the clock and the
 * reset marked as the top's manifest declares them (the manifest.json the generator
 * writes beside the Verilog, or a hand-written one of the same form).
 */
import { readFile } from 'node:fs/promises';
import { UserError } from '../util/errors.ts';
import type { TopPort } from './io-harness.ts';
import { parseVerilogHeaders } from '../generator/verilog-header/index.ts';
import { DESCRIBE_HINT, findTopDescription } from '../generator/backend/manifest.ts';

export async function readTopPorts(files: string[], top: string, parameters: Record<string, number | string> = {}): Promise<TopPort[]> {
  const numeric = Object.fromEntries(Object.entries(parameters).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
  for (const f of files) {
    const text = await readFile(f, 'utf8');
    if (!new RegExp(`\\bmodule\\s+${top}\\b`).test(text)) continue;
    const mod = parseVerilogHeaders(text, f, numeric).find((m) => m.name === top);
    if (!mod) continue;
    const found = findTopDescription(top, files);
    if (!found) throw new UserError(`top '${top}' has no manifest.json beside its Verilog to name its clock and reset; ${DESCRIBE_HINT}`);
    const { clock, reset } = found.description;
    const ports: TopPort[] = mod.ports.map((p) => ({ name: p.name, direction: p.direction, width: p.width }));
    for (const [name, role] of [[clock, 'clock'], [reset?.port, 'reset']] as const) {
      if (name === undefined) continue;
      const port = ports.find((p) => p.name === name);
      if (!port || port.direction !== 'input' || port.width !== 1) throw new UserError(`${found.file}: the ${role} of '${top}' is ${name}, which is no 1-bit input of its Verilog`);
      port.role = role;
    }
    return ports;
  }
  throw new UserError(`no module '${top}' in the ${files.length} Verilog file(s) given; check the top name (--top) or the sources`);
}
