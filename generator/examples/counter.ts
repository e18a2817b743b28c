/** A wrapping up-counter with enable and synchronous clear: the guide's first example. */
import { Bool, UInt, defineModule } from '../index.ts';

export const counter = (width: number) =>
  defineModule(`counter_w${width}`, (m) => {
    const enable = m.input('enable', Bool());
    const clear = m.input('clear', Bool());
    const count = m.output('count', UInt(width));
    const wrapped = m.output('wrapped', Bool());

    const value = m.reg('value', UInt(width), { reset: 0 });
    m.when(clear, () => {
      value.set(0);
    }).elsewhen(enable, () => {
      value.set(value.addWrap(1));
    });
    count.set(value);
    wrapped.set(enable.and(value.andR()).and(clear.not()));
    return { enable, clear, count, wrapped };
  }, { width });
