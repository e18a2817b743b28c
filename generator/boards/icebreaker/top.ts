/**
 * icebreaker_top: the pins of the iCEBreaker (icebreaker.pcf). The 12 MHz pad clock
 * feeds an SB_PLL40_PAD; its output clocks board_reset_sync and icebreaker_core.
 *
 * The DSL gives every module one implicit clock (its parent's), so the two clocked
 * designs are emitted on their own and instantiated here as black boxes with the
 * PLL's output wired to their `aclk`: this top holds no register of its own.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Bool, blackBox, defineModule, emitVerilog, type Manifest } from '../../index.ts';
import type { EngineConfig } from '../../../engine/config.ts';
import { CORE_NAME, icebreakerCore } from './core.ts';
import { pllSetting, type PllSetting } from './pll.ts';
import { resetSync } from './reset-sync.ts';

export const TOP_NAME = 'icebreaker_top';
export const OSCILLATOR_MHZ = 12;
/** Files of the hard-block stand-ins for simulation (never synthesized). */
export const SIM_MODELS = ['generator/boards/icebreaker/models/SB_PLL40_PAD.v', 'generator/boards/icebreaker/models/SB_SPRAM256KA.v'];
export const PCF_FILE = 'generator/boards/icebreaker/icebreaker.pcf';

export interface BoardOptions {
  /** Clock the PLL is set to give (the nearest setting is taken), MHz. */
  clockMHz: number;
  /** UART bit rate of the host link. */
  baud: number;
}

export interface BoardClocking {
  pll: PllSetting;
  /** Clock cycles per UART bit at the PLL's clock (what the simulation's UART uses too). */
  divisor: number;
  /** Bit rate the divisor gives at the PLL's clock, and its error against `baud`. */
  actualBaud: number;
  baudError: number;
}

export function boardClocking(o: BoardOptions): BoardClocking {
  const pll = pllSetting(OSCILLATOR_MHZ, o.clockMHz);
  const divisor = Math.round((pll.outMHz * 1e6) / o.baud);
  const actualBaud = (pll.outMHz * 1e6) / divisor;
  const baudError = Math.abs(actualBaud - o.baud) / o.baud;
  // 8N1 tolerates about 4 % between the two ends; keep this end well inside it.
  if (baudError > 0.02) throw new RangeError(`${o.baud} baud is ${(baudError * 100).toFixed(1)} % off at ${pll.outMHz} MHz (divisor ${divisor}); choose another baud rate or clock`);
  return { pll, divisor, actualBaud, baudError };
}

export interface EmittedBoard {
  /** Verilog files of the board, flat (core, engine, bridge, reset synchronizer, top). */
  files: Map<string, string>;
  manifest: { top: string; clocking: BoardClocking; designs: Record<string, Manifest> };
}

const pllCell = (p: PllSetting) =>
  blackBox('SB_PLL40_PAD', {
    file: SIM_MODELS[0]!,
    params: { FEEDBACK_PATH: 'SIMPLE', DIVR: p.divr, DIVF: p.divf, DIVQ: p.divq, FILTER_RANGE: p.filterRange },
    inputs: { PACKAGEPIN: Bool(), RESETB: Bool(), BYPASS: Bool() },
    outputs: { PLLOUTGLOBAL: Bool(), PLLOUTCORE: Bool(), LOCK: Bool() },
  });

/**
 * A clocked design's top file with its implicit clock and reset renamed: the DSL keeps
 * `aclk`/`aresetn` for the ports it adds itself, so a black box may not declare them.
 * Only the top file changes; its modules below take `clk`/`rst` as before.
 */
function onPllClock(verilog: string): string {
  return verilog.replace(/\baclk\b/g, 'pll_clk').replace(/\baresetn\b/g, 'sync_resetn');
}

/** The board: every Verilog file and a manifest of its three designs. Deterministic. */
export function emitBoard(cfg: EngineConfig, o: BoardOptions): EmittedBoard {
  const clocking = boardClocking(o);
  const core = emitVerilog(icebreakerCore(cfg, clocking.divisor));
  const reset = emitVerilog(resetSync());
  // The black boxes read the headers of the designs just emitted.
  const scratch = mkdtempSync(path.join(tmpdir(), 'sparsegrad-board-'));
  try {
    const coreFile = path.join(scratch, `${CORE_NAME}.v`);
    const resetFile = path.join(scratch, 'board_reset_sync.v');
    core.files.set(`${CORE_NAME}.v`, onPllClock(core.files.get(`${CORE_NAME}.v`)!));
    reset.files.set('board_reset_sync.v', onPllClock(reset.files.get('board_reset_sync.v')!));
    writeFileSync(coreFile, core.files.get(`${CORE_NAME}.v`)!);
    writeFileSync(resetFile, reset.files.get('board_reset_sync.v')!);
    const coreBox = blackBox(CORE_NAME, { file: coreFile, inputs: { pll_clk: Bool(), sync_resetn: Bool(), uart_rx: Bool() }, outputs: { uart_tx: Bool(), busy_n: Bool() } });
    const resetBox = blackBox('board_reset_sync', { file: resetFile, inputs: { pll_clk: Bool(), pll_lock: Bool(), button_n: Bool() }, outputs: { aresetn_out: Bool() } });
    const pll = pllCell(clocking.pll);
    const top = emitVerilog(defineModule(TOP_NAME, (m) => {
      const clk12 = m.input('clk_12m', Bool());
      const btnN = m.input('btn_n', Bool());
      const rx = m.input('uart_rx', Bool());
      const tx = m.output('uart_tx', Bool());
      const ledRedN = m.output('led_red_n', Bool());
      const ledGreenN = m.output('led_green_n', Bool());
      const p = m.instance('u_pll', pll);
      p.PACKAGEPIN.set(clk12);
      p.RESETB.set(true);
      p.BYPASS.set(false);
      m.unused(p.PLLOUTCORE);
      const r = m.instance('u_reset', resetBox);
      r.pll_clk.set(p.PLLOUTGLOBAL);
      r.pll_lock.set(p.LOCK);
      r.button_n.set(btnN);
      const c = m.instance('u_core', coreBox);
      c.pll_clk.set(p.PLLOUTGLOBAL);
      c.sync_resetn.set(r.aresetn_out);
      c.uart_rx.set(rx);
      tx.set(c.uart_tx);
      // Red: in reset (PLL not locked or button held). Green: the engine is using memory.
      ledRedN.set(r.aresetn_out);
      ledGreenN.set(c.busy_n);
      return { clk12, btnN, rx, tx, ledRedN, ledGreenN };
    }, { clockMHz: clocking.pll.outMHz, baud: o.baud }));
    const files = new Map<string, string>();
    for (const d of [core, reset, top]) for (const [f, t] of d.files) files.set(f, t);
    // The black boxes' files are the ones beside it, not the scratch copies.
    const topManifest: Manifest = {
      ...top.manifest,
      blackBoxes: top.manifest.blackBoxes.map((b) => ({ ...b, file: b.file.startsWith(scratch) ? path.basename(b.file) : b.file })),
    };
    return { files, manifest: { top: TOP_NAME, clocking, designs: { core: core.manifest, reset: reset.manifest, top: topManifest } } };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
