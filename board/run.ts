/**
 * `sparsegrad board run`: a gradient dump through the engine on a board (the real
 * iCEBreaker on a serial port, or the Verilated board top), checked bit-exactly
 * against the engine model by the same driver, decoder and comparison as cosim.
 */
import { getPreset, type EngineConfig } from '../engine/config.ts';
import type { EngineMode } from '../engine/jobs.ts';
import { EXIT, UserError } from '../util/errors.ts';
import { describeMismatch } from '../sim/engine/compare.ts';
import { measureLayer } from '../sim/engine/measure.ts';
import { dumpFiles, dumpStimulus, type Stimulus } from '../sim/stimulus.ts';
import { geometry } from '../engine/geometry.ts';
import { ICEBREAKER_DEFAULTS } from '../generator/boards/icebreaker/index.ts';
import { BoardLink, type BoardInfo } from './protocol.ts';
import { runOnBoard } from './runner.ts';
import { SimulatedBoard } from './sim-board.ts';
import { SerialBoard } from './serial.ts';
import type { Transport } from './transport.ts';

export interface BoardRunOptions {
  preset: string;
  streams: string;
  layer: number;
  mode: EngineMode | 'both';
  /** A serial device; absent: the simulated board. */
  port?: string;
  baud: number;
  /** Milliseconds to wait for each response. */
  timeoutMs: number;
  onProgress?: (what: string) => void;
  /** Called when the simulated board is being built (a Verilator build takes minutes). */
  onBuild?: () => void;
}

export interface BoardRunResult {
  source: string;
  mode: EngineMode;
  pass: boolean;
  mismatches: number;
  firstMismatches: string[];
  formatErrors: string[];
  violations: string[];
  counters: { cyclesBusy: number; macsIssued: number; macsSkipped: number; rowsFetched: number; nonzeros: number; zeros: number; stallCycles: number };
  requests: number;
  /** Requests sent again after a lost or corrupted answer (safe ones only). */
  retries: number;
  seconds: number;
}

export interface BoardRunReport {
  pass: boolean;
  board: string;
  preset: string;
  results: BoardRunResult[];
}

/** The board answers with the beat sizes of the engine it was built with; they must be this preset's. */
export function checkBoardMatches(info: BoardInfo, cfg: EngineConfig, preset: string, where: string): void {
  const want = { gradBytes: (cfg.P * cfg.gBits) / 8, actBytes: (cfg.P * cfg.aBits) / 8, resBytes: (cfg.N * cfg.accBits) / 8, busBytes: cfg.axiDataBits / 8 };
  for (const [k, v] of Object.entries(want)) {
    if (info[k as keyof BoardInfo] !== v) throw new UserError(`${where} carries an engine with ${k} = ${info[k as keyof BoardInfo]}, preset ${preset} has ${v}; flash the bitstream of --preset ${preset} or pass the preset it was built with`);
  }
}

export async function boardRun(o: BoardRunOptions): Promise<BoardRunReport> {
  const cfg = getPreset(o.preset);
  // Read the dumps before touching the board: a bad file fails fast.
  const stimuli: Stimulus[] = dumpFiles(o.streams).map((f) => dumpStimulus(cfg, f, o.layer));
  const transport: Transport = o.port
    ? await SerialBoard.open(o.port, o.baud)
    : await SimulatedBoard.start(cfg, { clockMHz: ICEBREAKER_DEFAULTS.clockMHz, baud: ICEBREAKER_DEFAULTS.baud }, o.onBuild);
  const results: BoardRunResult[] = [];
  try {
    const link = new BoardLink(transport, o.timeoutMs);
    o.onProgress?.('PING');
    const info = await link.ping();
    checkBoardMatches(info, cfg, o.preset, transport.label);
    const modes: EngineMode[] = o.mode === 'both' ? ['data', 'weight'] : [o.mode];
    for (const st of stimuli) {
      for (const mode of modes) {
        const started = performance.now();
        const before = link.requests;
        const retriesBefore = link.retries;
        o.onProgress?.(`${st.source} ${mode}`);
        const m = await measureLayer(cfg, st.problem, mode, (job) => runOnBoard(link, info, job, o.onProgress));
        results.push({
          source: st.source,
          mode,
          pass: m.pass,
          mismatches: m.comparison.mismatchCount,
          firstMismatches: m.comparison.mismatches.map(describeMismatch),
          formatErrors: m.comparison.formatErrors,
          violations: m.violations.map((v) => `${v.rule} ${v.channel}: ${v.detail}`),
          counters: { cyclesBusy: m.cyclesBusy, macsIssued: m.macsIssued, macsSkipped: m.macsSkipped, rowsFetched: m.rowsFetched, nonzeros: m.nonzeros, zeros: m.zeros, stallCycles: m.stallCycles },
          requests: link.requests - before,
          retries: link.retries - retriesBefore,
          seconds: (performance.now() - started) / 1000,
        });
      }
    }
  } finally {
    await transport.close();
  }
  return { pass: results.every((r) => r.pass), board: o.port ?? 'simulated', preset: `${o.preset} (${geometry(cfg).topName})`, results };
}

export function formatBoardReport(r: BoardRunReport): string {
  const lines = [`board ${r.board}, engine ${r.preset}`];
  for (const x of r.results) {
    lines.push(`${x.pass ? 'PASS' : 'FAIL'}  ${x.source} ${x.mode.padEnd(6)}  mismatches ${x.mismatches}  busy ${x.counters.cyclesBusy} cycles  MACs ${x.counters.macsIssued} issued ${x.counters.macsSkipped} skipped  nnz ${x.counters.nonzeros}/${x.counters.nonzeros + x.counters.zeros}  ${x.requests} requests${x.retries ? ` (${x.retries} repeated)` : ''}, ${x.seconds.toFixed(1)} s`);
    for (const m of [...x.formatErrors, ...x.violations, ...x.firstMismatches].slice(0, 10)) lines.push(`      ${m}`);
  }
  return `${lines.join('\n')}\n`;
}

export function failIfMismatch(r: BoardRunReport): void {
  const bad = r.results.filter((x) => !x.pass);
  if (bad.length) throw new UserError(`${bad.length} of ${r.results.length} board runs differ from the engine model (first: ${bad[0]!.source} ${bad[0]!.mode})`, EXIT.designFailure);
}
