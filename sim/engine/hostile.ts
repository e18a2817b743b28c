/**
 * The hostile host: right after each START, random AXI4-Lite writes to every
 * register (job registers, CTRL with START and CLEAR_COUNTERS, read-only and
 * unmapped addresses) with random data, random gaps and a random delay before
 * BREADY. The engine contract (docs/ARCHITECTURE.md, Registers) is that while
 * BUSY every write completes with SLVERR and changes nothing; otherwise OKAY.
 * BUSY is exactly cycles c0+1 .. c0+CYCLES_BUSY after the cycle c0 in which the
 * START write's AW and W were taken (generator/designs/regs.ts: busy_r rises on
 * the edge closing the handshake cycle and CYCLES_BUSY counts its cycles).
 *
 * A poke that lands after DONE is accepted, so the pokes that could start a job
 * or clear the counters (CTRL bits 0 and 1) are only issued where they are sure
 * to land while busy: the job cannot finish before its gradient beats are in
 * (one a cycle at most), and every poke is given its worst-case length in cycles.
 * Pokes to job registers after DONE are harmless because the driver writes
 * every job register before each START.
 */
import { CTRL_CLEAR_COUNTERS, CTRL_START, JOB_REGS, LITE_OKAY, LITE_SLVERR, REG } from '../../engine/registers.ts';
import { type EngineConfig } from '../../engine/config.ts';
import type { EngineJob } from '../../engine/jobs.ts';
import type { LiteCommand, SimResult } from '../harness/job.ts';
import { xorshift32 } from '../stimulus.ts';

/** Addresses the engine maps as read-only, and some it does not map at all. */
export const READ_ONLY = [REG.STATUS, REG.CYCLES_BUSY, REG.MACS_ISSUED, REG.MACS_SKIPPED, REG.ROWS_FETCHED, REG.STALL_CYCLES, REG.NONZEROS, REG.ZEROS, REG.ID, REG.GEOMETRY, REG.RMAX, REG.KMAX];
export const UNMAPPED = [0x2c, 0x30, 0x3c, 0x5c, 0x70, 0xfc] as const;

/** Cycles the job is busy at the very least: its gradient beats enter at most one a cycle. */
export function minBusyCycles(cfg: EngineConfig, R: number, job: EngineJob, mode: 'data' | 'weight'): number {
  const grad = job.vectors * Math.ceil(R / cfg.P);
  const act = mode === 'weight' ? job.vectors * Math.ceil(job.cols / cfg.P) : 0;
  return Math.max(grad, act);
}

export interface HostilePokes {
  /** The START poke, then the hostile ones. */
  commands: LiteCommand[];
  /** Pokes after the job's counters are read (the engine idle: OKAY expected); never to CTRL. */
  after: LiteCommand[];
  /** How many `poke` commands (START and `after` included). */
  pokes: number;
}

/**
 * START as a poke (its handshake cycle is c0), then the hostile writes, with `idle` gaps.
 * Worst case of one poke: its gap, a cycle to present AW and W, the handshake, the
 * B delay, the B handshake, and a cycle for the next command.
 */
export function hostilePokes(cfg: EngineConfig, R: number, job: EngineJob, mode: 'data' | 'weight', seed: number): HostilePokes {
  // Its own salt: the same seed gives pokes unrelated to the synthetic data's draws.
  const next = xorshift32(seed, 0x85ebca6b);
  const below = (n: number) => Math.floor(next() * n);
  const word = () => (below(0x10000) * 0x10000 + below(0x10000)) >>> 0;
  const commands: LiteCommand[] = [{ op: 'poke', addr: REG.CTRL, data: CTRL_START }];
  const window = minBusyCycles(cfg, R, job, mode);
  const count = 6 + below(10);
  const first = below(4);
  // Worst-case cycle of the next poke's handshake, counted from c0.
  let at = 2;
  for (let i = 0; i < count; i++) {
    const gap = below(4);
    const bDelay = below(4);
    const handshakeBound = at + gap + 2;
    const safe = handshakeBound <= window;
    // Kinds in turn from a random one (CTRL, job register, read-only, unmapped), so every job
    // gets each kind; the address within the kind is random.
    const kind = (first + i) % 4;
    let addr: number;
    let data = word();
    if (kind === 0) {
      addr = REG.CTRL;
      // START and CLEAR_COUNTERS only where the poke is sure to land while busy.
      if (safe) data = (data & ~3) | [CTRL_START, CTRL_CLEAR_COUNTERS, CTRL_START | CTRL_CLEAR_COUNTERS][below(3)]!;
      else data &= ~3;
    } else if (kind === 1) addr = JOB_REGS[below(JOB_REGS.length)]!;
    else if (kind === 2) addr = READ_ONLY[below(READ_ONLY.length)]!;
    else addr = UNMAPPED[below(UNMAPPED.length)]!;
    if (gap) commands.push({ op: 'idle', cycles: gap });
    commands.push({ op: 'poke', addr, data, bDelay });
    at = handshakeBound + bDelay + 2;
  }
  const after: LiteCommand[] = Array.from({ length: 2 }, () => {
    const pool = [...JOB_REGS, ...READ_ONLY, ...UNMAPPED];
    return { op: 'poke', addr: pool[below(pool.length)]!, data: word(), bDelay: below(4) };
  });
  return { commands, after, pokes: count + 1 + after.length };
}

/**
 * Every poke against the contract: START answered OKAY, and each hostile poke SLVERR
 * exactly when its handshake fell in the job's busy cycles. One line per wrong answer.
 */
export function checkPokes(pokes: SimResult['pokes'], perJob: readonly number[], cyclesBusy: readonly number[]): string[] {
  const errors: string[] = [];
  const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;
  let at = 0;
  perJob.forEach((n, job) => {
    const mine = pokes.slice(at, at + n);
    at += n;
    if (mine.length !== n) {
      errors.push(`hostile: job ${job} logged ${mine.length} of its ${n} pokes (did the script finish?)`);
      return;
    }
    const [start, ...rest] = mine;
    if (start!.resp !== LITE_OKAY) errors.push(`hostile: job ${job}: START answered BRESP=${start!.resp}, expected OKAY`);
    const c0 = start!.cycle;
    const last = c0 + (cyclesBusy[job] ?? 0);
    rest.forEach((p, i) => {
      const busy = p.cycle > c0 && p.cycle <= last;
      const expected = busy ? LITE_SLVERR : LITE_OKAY;
      if (p.resp !== expected) {
        errors.push(`hostile: job ${job} poke ${i + 1} (write ${hex(p.data)} to ${hex(p.addr)}) taken in cycle ${p.cycle} answered BRESP=${p.resp}, expected ${busy ? 'SLVERR' : 'OKAY'} (busy cycles ${c0 + 1}..${last})`);
      }
    });
  });
  if (at !== pokes.length) errors.push(`hostile: ${pokes.length} pokes logged, ${at} expected`);
  return errors;
}
