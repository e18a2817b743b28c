/**
 * Reset for the PLL's clock domain: the engine's reset is synchronous, so its
 * release must be too. The PLL's LOCK and the user button (active low, pressed = reset)
 * are asynchronous to that clock; both pass three flip-flops before they become
 * the board's aresetn. The flip-flops have no reset of their own (they power up
 * at 0 on the iCE40, so the design starts in reset).
 */
import { Bool, defineModule } from '../../index.ts';

export const RESET_SYNC_STAGES = 3;

export const resetSync = () =>
  defineModule('board_reset_sync', (m) => {
    const pllLock = m.input('pll_lock', Bool());
    const buttonN = m.input('button_n', Bool());
    const aresetnOut = m.output('aresetn_out', Bool());
    let stage = m.named('run_allowed', pllLock.and(buttonN));
    for (let i = 0; i < RESET_SYNC_STAGES; i++) stage = m.regNext(`sync${i}`, stage);
    aresetnOut.set(stage);
    return { pllLock, buttonN, aresetnOut };
  });
