/**
 * A request arbiter over a vector of bundles: round-robin or fixed priority (chosen
 * by a `mode` switch), a per-requester weight from a ROM, a grant counter instance.
 * It exercises vectors, bundles, switch, ROM init, register enables, dynamic shifts
 * and hierarchy in one lint-clean module.
 */
import { Bool, Bundle, UInt, Vec, cat, defineModule, log2Up, mux, select, type Expr } from '../index.ts';
import { counter } from './counter.ts';

export const arbiter = (n: number, dataBits = 8) =>
  defineModule(`arbiter_n${n}_d${dataBits}`, (m) => {
    const idxBits = log2Up(n);
    const req = m.input('req', Vec(n, Bundle({ valid: Bool(), data: UInt(dataBits) })));
    const mode = m.input('mode', UInt(2));
    const take = m.input('take', Bool());
    const grant = m.output('grant', Bundle({ valid: Bool(), index: UInt(idxBits), data: UInt(dataBits) }));
    const weight = m.output('weight', UInt(4));
    const grants = m.output('grants', UInt(16));
    const overflow = m.output('overflow', Bool());

    const valids = cat(...req.map((r) => r.valid).reverse());
    const any = m.named('any_valid', valids.orR());
    const last = m.reg('last', UInt(idxBits), { reset: n - 1, enable: take.and(any) });

    // Round robin: rotate the request mask so the requester after `last` is bit 0,
    // take the lowest set bit, rotate the index back.
    const start = m.named('start', mux(last.eq(n - 1), 0, last.addWrap(1)));
    const doubled = cat(valids, valids);
    const rotated = m.named('rotated', doubled.shiftRight(start.resize(doubled.width)).bits(n - 1, 0));
    const lowest = (mask: Expr): Expr => {
      let idx: Expr = mux(mask.bit(n - 1), n - 1, 0).resize(idxBits);
      for (let i = n - 2; i >= 0; i--) idx = mux(mask.bit(i), i, idx).resize(idxBits);
      return idx;
    };
    const offset = m.named('rr_offset', lowest(rotated));
    const rrIndex = m.named('rr_index', offset.add(start).resize(idxBits + 1));
    const fixedIndex = m.named('fixed_index', lowest(valids));

    const chosen = m.wire('chosen', UInt(idxBits));
    m.switch(mode)
      .is(0, () => {
        chosen.set(mux(rrIndex.ge(n), rrIndex.sub(n).resize(idxBits), rrIndex.resize(idxBits)));
      })
      .is([1, 2], () => {
        chosen.set(fixedIndex);
      })
      .default(() => {
        chosen.set(last);
      });
    m.when(take.and(any), () => {
      last.set(chosen);
    });

    grant.valid.set(any);
    grant.index.set(chosen);
    grant.data.set(select(chosen, req.map((r) => r.data)));

    // Weights: a ROM read with the index (one cycle later, as block RAM reads are).
    const rom = m.memory('weights', UInt(4), 2 ** idxBits, { init: Array.from({ length: 2 ** idxBits }, (_, i) => (3 * i + 1) % 16) });
    weight.set(rom.read(chosen));

    const count = m.instance('u_grants', counter(16));
    count.enable.set(take.and(any));
    count.clear.set(mode.eq(3));
    grants.set(count.count);
    overflow.set(count.wrapped);
    return { req, mode, take, grant, weight, grants, overflow };
  }, { n, dataBits });
