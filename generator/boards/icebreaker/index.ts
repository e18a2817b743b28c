/**
 * The iCEBreaker board design (docs/board.md): the engine behind a UART bridge, on
 * SPRAM, clocked by the PLL. `emitBoard` gives its Verilog; the defaults below are
 * what `sparsegrad fpga --board icebreaker` builds and `sparsegrad board run` expects.
 */
export { emitBoard, boardClocking, TOP_NAME, SIM_MODELS, PCF_FILE, OSCILLATOR_MHZ, type BoardOptions, type EmittedBoard, type BoardClocking } from './top.ts';
export { pllSetting, filterRangeFor, type PllSetting } from './pll.ts';
export { BOARD_MEMORY_BYTES } from './spram.ts';

/**
 * The bitstream's settings. The clock is below the board top's measured Fmax on the
 * UP5K (docs/board.md, "Measured"); 115200 baud is 0.16 % off at 18 MHz (divisor 156).
 */
export const ICEBREAKER_DEFAULTS = { preset: 'default', clockMHz: 18, baud: 115200 } as const;
