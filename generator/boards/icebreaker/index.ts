/**
 * The iCEBreaker board design (docs/board.md): the engine behind a UART bridge, on
 * SPRAM, clocked by the PLL. `emitBoard` gives its Verilog; the defaults below are
 * what `sparsegrad fpga --board icebreaker` builds and `sparsegrad board run` expects.
 */
export { emitBoard, boardClocking, TOP_NAME, SIM_MODELS, PCF_FILE, OSCILLATOR_MHZ, type BoardOptions, type EmittedBoard, type BoardClocking } from './top.ts';
export { pllSetting, filterRangeFor, type PllSetting } from './pll.ts';
export { BOARD_MEMORY_BYTES } from './spram.ts';

/**
 * The bitstream's settings. Preset tiny: with the default preset the board top needs
 * 5,927 logic cells of the UP5K's 5,280 (docs/board.md, "Measured"). The clock is below
 * the board top's measured Fmax; 115200 baud is 0.16 % off at 24 MHz (divisor 208).
 */
export const ICEBREAKER_DEFAULTS = { preset: 'tiny', clockMHz: 24, baud: 115200 } as const;
