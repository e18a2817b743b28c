/**
 * A saturating fixed-point multiply-accumulate: acc <- sat(acc + a*b) on every valid
 * input, cleared on `clear`; `out` is acc rounded half-to-even and saturated to the
 * output format. The guide's fixed-point example and a behaviour test in Verilator.
 */
import { Bool, defineModule } from '../index.ts';
import { Fixed, fixName, fixType, type FixFormat, type Rounding } from '../lib/fixed.ts';

export interface SatMacConfig {
  a: FixFormat;
  b: FixFormat;
  acc: FixFormat;
  out: FixFormat;
  rounding: Rounding;
}

export const satMac = (cfg: SatMacConfig) =>
  defineModule(`sat_mac_a${cfg.a.intBits}_${cfg.a.fracBits}_acc${cfg.acc.intBits}_${cfg.acc.fracBits}_out${cfg.out.intBits}_${cfg.out.fracBits}`, (m) => {
    const valid = m.input('in_valid', Bool());
    const clear = m.input('clear', Bool());
    const a = m.input('a', fixType(cfg.a));
    const b = m.input('b', fixType(cfg.b));
    const out = m.output('out', fixType(cfg.out));

    const acc = m.reg('acc', fixType(cfg.acc), { reset: 0 });
    const product = Fixed.from(a, cfg.a).mul(Fixed.from(b, cfg.b));
    const next = Fixed.from(acc, cfg.acc).add(product).resize(cfg.acc, 'truncate', 'saturate');
    m.when(clear, () => {
      acc.set(0);
    }).elsewhen(valid, () => {
      acc.set(next.raw);
    });
    out.set(Fixed.from(acc, cfg.acc).resize(cfg.out, cfg.rounding, 'saturate').raw);
    return { valid, clear, a, b, out };
  }, { a: fixName(cfg.a), b: fixName(cfg.b), acc: fixName(cfg.acc), out: fixName(cfg.out), rounding: cfg.rounding });
