/**
 * The engine's AXI4-Lite register map (the "Registers" table of the engine
 * contract, docs/ARCHITECTURE.md): the hardware (generator/designs/regs.ts),
 * the driver (sim/engine/), the C header (fpga/) and the model read it from here.
 */

/** Register byte addresses of the engine (contract table in docs/ARCHITECTURE.md). */
export const REG = {
  CTRL: 0x00,
  STATUS: 0x04,
  MODE: 0x08,
  THETA: 0x0c,
  ROWS: 0x10,
  COLS: 0x14,
  VECTORS: 0x18,
  W_BASE: 0x1c,
  W_STRIDE: 0x20,
  G_BASE: 0x24,
  G_STRIDE: 0x28,
  CYCLES_BUSY: 0x40,
  MACS_ISSUED: 0x44,
  MACS_SKIPPED: 0x48,
  ROWS_FETCHED: 0x4c,
  STALL_CYCLES: 0x50,
  NONZEROS: 0x54,
  ZEROS: 0x58,
  ID: 0x60,
  GEOMETRY: 0x64,
  RMAX: 0x68,
  KMAX: 0x6c,
} as const;

export const ENGINE_ID = 0x53474245; // "SGBE"
export const CTRL_START = 1;
export const CTRL_CLEAR_COUNTERS = 2;
export const STATUS_BUSY = 1;
export const STATUS_DONE = 2;
export const MODE_DATA = 0;
export const MODE_WEIGHT = 1;

/**
 * The job registers: what a job reads from START to DONE. While BUSY the engine refuses
 * every write (BRESP = SLVERR, nothing changes), so these hold the job's values until
 * DONE; the driver writes all of them before each START.
 */
export const JOB_REGS = [
  REG.MODE, REG.THETA, REG.ROWS, REG.COLS, REG.VECTORS, REG.W_BASE, REG.W_STRIDE, REG.G_BASE, REG.G_STRIDE,
] as const;
/** AXI4-Lite responses the register block gives: OKAY, or SLVERR for a write refused while BUSY. */
export const LITE_OKAY = 0;
export const LITE_SLVERR = 2;

/** Registers read once before the first job, to check the RTL is the configured engine. */
export const IDENT_READS = [REG.ID, REG.GEOMETRY, REG.RMAX, REG.KMAX] as const;
/** The counter registers, in the order every driver (sim/engine, the C driver in fpga/) reads them after a job. */
export const COUNTER_READS = [
  REG.CYCLES_BUSY,
  REG.MACS_ISSUED,
  REG.MACS_SKIPPED,
  REG.ROWS_FETCHED,
  REG.STALL_CYCLES,
  REG.NONZEROS,
  REG.ZEROS,
] as const;
