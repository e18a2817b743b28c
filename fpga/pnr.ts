/**
 * nextpnr-ice40 place and route of the harness netlist: the command line the
 * bundle ships (nextpnr/<device>.sh) is the one run here, and its `--report`
 * JSON gives Fmax, utilization and the critical paths.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { runTool } from '../toolchain/index.ts';
import { UserError } from '../util/errors.ts';
import { synthPaths } from './synth.ts';
import type { Board, Device } from './targets.ts';
import { sanitizeLog } from './logs.ts';
import { boundText, type FitBound } from './fit-bound.ts';

/** The default seed, fixed so place and route, and with it Fmax, is reproducible (`fpga --seed` picks another). */
export const PNR_SEED = 1;

export interface PnrPaths {
  script: string;
  report: string;
  log: string;
  asc: string;
}

export function pnrPaths(device: Device): PnrPaths {
  const b = `build/${device.name}`;
  return { script: `nextpnr/${device.name}.sh`, report: `${b}/nextpnr-report.json`, log: `${b}/nextpnr.log`, asc: `${b}/harness.asc` };
}

export function nextpnrArgs(device: Device, clockMHz: number, board: Board | undefined, top: string, seed = PNR_SEED): string[] {
  if (!device.nextpnrArgs) throw new Error(`no nextpnr for ${device.name}`);
  const p = pnrPaths(device);
  const netlist = synthPaths(device, 'harness').netlist!;
  const args = [...device.nextpnrArgs, '--json', netlist, '--top', top, '--freq', String(clockMHz), '--seed', String(seed)];
  // Timing that misses the target is a result to report, not a reason to stop.
  args.push('--timing-allow-fail', '--report', p.report);
  if (board && board.device === device.name) args.push('--pcf', `constraints/${board.name}.pcf`, '--asc', p.asc);
  return args;
}

export function nextpnrScript(device: Device, clockMHz: number, board: Board | undefined, top: string, seed = PNR_SEED): string {
  const args = nextpnrArgs(device, clockMHz, board, top, seed);
  const lines = ['#!/bin/sh', `# Place and route on ${device.label}; run from this design folder after yosys -s ${synthPaths(device, 'harness').script}.`, 'set -e'];
  lines.push(`mkdir -p build/${device.name}`);
  lines.push(`nextpnr-ice40 ${args.join(' ')}`);
  if (board && board.device === device.name) lines.push(`icepack ${pnrPaths(device).asc} build/${device.name}/harness.bin`);
  return lines.join('\n') + '\n';
}

/**
 * The design with its harness does not fit the device: a result about the design (it is too
 * big), not a tool failure. Either placement ran out of sites, or the lower bound read from the
 * harness netlist already exceeds the device (fit-bound.ts) and placement was not started.
 */
export class DoesNotFitError extends UserError {
  readonly cellType: string;
  constructor(
    device: Device,
    cellType: string,
    readonly bound?: FitBound,
  ) {
    super(
      bound
        ? `does not fit ${device.label} (lower bound: ${boundText(bound)}, from the harness netlist: ${bound.cells}); place and route skipped`
        : `does not fit ${device.label}: nextpnr ran out of ${cellType} sites while placing the design with its harness`,
    );
    this.cellType = cellType;
  }
}

export interface PathSegment {
  type: string;
  fromCell: string;
  toCell: string;
  net?: string;
  delayNs: number;
}

export interface NextpnrCriticalPath {
  from: string;
  to: string;
  delayNs: number;
  segments: PathSegment[];
}

export interface PnrOutcome {
  fmaxMHz: number;
  constraintMHz: number;
  clock: string;
  utilization: Record<string, { used: number; available: number }>;
  criticalPath?: NextpnrCriticalPath;
}

interface ReportJson {
  fmax?: Record<string, { achieved: number; constraint: number }>;
  utilization?: Record<string, { used: number; available: number }>;
  critical_paths?: Array<{
    from: string;
    to: string;
    path: Array<{ type: string; delay: number; net?: string; from: { cell: string }; to: { cell: string } }>;
  }>;
}

/** Reads nextpnr's --report JSON; the design clock is the domain whose net starts with the clock port name. */
export function parseNextpnrReport(text: string, clockPort: string): PnrOutcome {
  const rep = JSON.parse(text) as ReportJson;
  const domains = Object.entries(rep.fmax ?? {});
  const main = domains.find(([name]) => name.startsWith(clockPort)) ?? domains[0];
  if (!main) throw new UserError(`nextpnr reported no clock domain: does the design's clock '${clockPort}' drive any flip-flop?`);
  const [clock, f] = main;
  // Register-to-register paths inside the clock domain are what Fmax is about; paths from/to <async> are I/O.
  const cp = (rep.critical_paths ?? []).find((p) => p.from.includes(clock) && p.to.includes(clock));
  return {
    fmaxMHz: f.achieved,
    constraintMHz: f.constraint,
    clock,
    utilization: Object.fromEntries(Object.entries(rep.utilization ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))),
    criticalPath: cp && {
      from: cp.from,
      to: cp.to,
      delayNs: cp.path.reduce((s, x) => s + x.delay, 0),
      segments: cp.path.map((x) => ({ type: x.type, fromCell: x.from.cell, toCell: x.to.cell, ...(x.net ? { net: x.net } : {}), delayNs: x.delay })),
    },
  };
}

/**
 * What a failed nextpnr run means, from its log: the design does not fit (out of sites), the
 * legaliser gave up near the limit (another seed may place it), or a tool failure; one line each.
 */
export function nextpnrFailure(log: string, device: Device, seed: number, logPath: string): UserError {
  const err = log.split('\n').find((l) => /^ERROR:/.test(l)) ?? log.trim().split('\n').pop() ?? '';
  // The HeAP placer and the legaliser word "too big" differently.
  const full = /no BELs remaining to implement cell type '(\w+)'/.exec(err) ?? /Failed to expand region .* of \d+ (\w+)s/.exec(err);
  if (full) return new DoesNotFitError(device, full[1]!);
  // Near full, the legaliser can fail on one seed and succeed on another: not a tool fault, and
  // not proof that the design cannot fit.
  if (/Unable to find legal placement|utili[sz]ation limit/i.test(err)) {
    return new UserError(`nextpnr-ice40 found no legal placement on ${device.label} with seed ${seed} (the design is near the device's limit): ${err.replace(/^ERROR:\s*/, '').trim().replace(/\.$/, '')}; another --seed may place it, or use a smaller preset; see ${logPath} in the bundle`);
  }
  return new UserError(`nextpnr-ice40 failed on ${device.label}: ${err}; see ${logPath} in the bundle`);
}

export async function runNextpnr(designDir: string, device: Device, clockMHz: number, board: Board | undefined, top: string, clockPort: string, seed = PNR_SEED): Promise<PnrOutcome> {
  const p = pnrPaths(device);
  const r = await runTool('nextpnr-ice40', ['-q', ...nextpnrArgs(device, clockMHz, board, top, seed)], { cwd: designDir });
  const log = String(r.all ?? '');
  await writeFile(join(designDir, p.log), sanitizeLog(log));
  if (r.exitCode !== 0) throw nextpnrFailure(log, device, seed, `${basename(designDir)}/${p.log}`);
  if (board && board.device === device.name) {
    const pack = await runTool('icepack', [p.asc, `build/${device.name}/harness.bin`], { cwd: designDir });
    if (pack.exitCode !== 0) throw new UserError(`icepack failed on ${join(designDir, p.asc)}: ${String(pack.all ?? '').trim().split('\n')[0]}`);
  }
  return parseNextpnrReport(await readFile(join(designDir, p.report), 'utf8'), clockPort);
}
