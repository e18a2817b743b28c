/**
 * Activation loader (weight mode): receives vector a (P values per beat) into
 * one of two banks of the lanes' a memory, regrouped into words of N values.
 * Vector s goes to bank s mod 2, so the next vector streams in while the lanes
 * work on this one; a bank is refilled only after the lanes release it.
 */
import { Expr, cat, lit, mux, select } from '../core/expr.ts';
import { defineModule } from '../core/module.ts';
import { Bool, UInt, log2Up } from '../core/types.ts';
import { lane } from './hw.ts';
import type { EngineParams } from './params.ts';

export function actLoader(p: EngineParams, prefix: string) {
  const N = p.N;
  const P = p.P;
  const yDepth = Math.max(2, p.groupsMax);
  const wBits = log2Up(yDepth);
  const wordBits = N * p.aBits;
  return defineModule(`${prefix}_act_loader`, (m) => {
    const io = {
      act_valid: m.input('act_valid', Bool()),
      act_ready: m.output('act_ready', Bool()),
      act_data: m.input('act_data', UInt(P * p.aBits)),
      act_last: m.input('act_last', Bool()),
      /** The job still expects activation vectors. */
      accept: m.input('accept', Bool()),
      restart: m.input('restart', Bool()),
      bank_release: m.input('bank_release', Bool()),
      a_we: m.output('a_we', Bool()),
      a_waddr: m.output('a_waddr', UInt(wBits + 1)),
      a_wdata: m.output('a_wdata', UInt(wordBits)),
      /** The bank of the vector the lanes are on is loaded (in order, so: some bank is loaded and not released). */
      bank_ready: m.output('bank_ready', Bool()),
    };
    // Banks are loaded and released in the same order, so what matters is how many hold a vector
    // not yet released (0..2), kept as two flags: at least one, and both. The lanes' go reads the
    // first straight from its flip-flop, and the release (from the lanes' advance) reaches each
    // flag through one LUT. Two 2-bit counts and their difference put a subtraction and a compare
    // on both sides of the lanes' go, the critical path.
    const someLoaded = m.reg('banks_some_loaded', Bool(), { reset: false });
    const bothLoaded = m.reg('banks_both_loaded', Bool(), { reset: false });
    const loadBank = m.reg('load_bank', Bool(), { reset: false });
    const word = m.reg('word', UInt(wBits + 1), { reset: 0 });
    const bankFree = m.named('bank_free', bothLoaded.not());
    const inRange = m.named('in_range', word.lt(p.groupsMax));
    const addr = cat(loadBank.asUInt(), word.resize(wBits));
    io.bank_ready.set(someLoaded);
    io.a_waddr.set(addr);

    // One write per cycle; `vecDone` marks the write that completes a vector.
    let we: Expr;
    let wdata: Expr;
    let vecDone: Expr;
    if (P === N) {
      const take = m.named('take', io.accept.and(bankFree).and(io.act_valid));
      io.act_ready.set(io.accept.and(bankFree));
      we = take;
      wdata = io.act_data;
      vecDone = take.and(io.act_last);
    } else if (P < N) {
      // N/P beats build one word; a short last word keeps stale values in lanes ≥ K, which no MAC reads.
      const per = N / P;
      const sBits = log2Up(per);
      const slot = m.reg('slot', UInt(sBits), { reset: 0 });
      const partial = m.reg('partial', UInt(wordBits));
      const take = m.named('take', io.accept.and(bankFree).and(io.act_valid));
      io.act_ready.set(io.accept.and(bankFree));
      const parts = Array.from({ length: per }, (_, s) => mux(slot.eq(lit(s, UInt(sBits))), io.act_data, lane(partial, s, P * p.aBits)));
      const merged = m.named('merged', cat(...parts.reverse()));
      const complete = m.named('complete', slot.eq(per - 1).or(io.act_last));
      m.when(io.restart, () => slot.set(0)).elsewhen(take, () => {
        partial.set(merged);
        slot.set(mux(complete, lit(0, UInt(sBits)), slot.addWrap(1)));
      });
      we = take.and(complete);
      wdata = merged;
      vecDone = take.and(io.act_last);
    } else {
      // One beat gives P/N words, written on consecutive cycles while the stream waits.
      const per = P / N;
      const sBits = log2Up(per);
      const heldValid = m.reg('held_valid', Bool(), { reset: false });
      const held = m.reg('held', UInt(P * p.aBits));
      const heldLast = m.reg('held_last', Bool());
      const sub = m.reg('sub', UInt(sBits), { reset: 0 });
      const canTake = m.named('can_take', io.accept.and(bankFree).and(heldValid.not()));
      io.act_ready.set(canTake);
      const finishing = m.named('finishing', heldValid.and(sub.eq(per - 1)));
      m.when(io.restart, () => heldValid.set(false)).elsewhen(canTake.and(io.act_valid), () => {
        heldValid.set(true);
        held.set(io.act_data);
        heldLast.set(io.act_last);
      }).elsewhen(finishing, () => heldValid.set(false));
      m.when(io.restart, () => sub.set(0)).elsewhen(heldValid, () => sub.set(sub.addWrap(1)));
      we = heldValid;
      wdata = select(sub, Array.from({ length: per }, (_, s) => lane(held, s, wordBits)));
      vecDone = finishing.and(heldLast);
    }
    io.a_we.set(we.and(inRange));
    io.a_wdata.set(wdata);

    m.when(io.restart, () => word.set(0)).elsewhen(vecDone, () => word.set(0)).elsewhen(we.and(inRange), () => word.set(word.addWrap(1)));
    m.assert(word.le(p.groupsMax), `the word counter stays within a bank (${p.groupsMax} words)`);
    m.assert(vecDone.not().or(bankFree), 'a vector completes only into a free bank (never over one the lanes hold)');
    m.when(io.restart, () => loadBank.set(false)).elsewhen(vecDone, () => loadBank.set(loadBank.not()));
    m.when(io.restart, () => {
      someLoaded.set(false);
      bothLoaded.set(false);
    }).elsewhen(vecDone.and(io.bank_release.not()), () => {
      someLoaded.set(true);
      bothLoaded.set(someLoaded);
    }).elsewhen(io.bank_release.and(vecDone.not()), () => {
      someLoaded.set(bothLoaded);
      bothLoaded.set(false);
    });
    m.assert(bothLoaded.not().or(someLoaded), 'both banks loaded implies some bank loaded');
    m.assume(io.bank_release.not().or(io.bank_ready), 'the lanes release a bank only once its vector is loaded (bank_ready)');
    return io;
  }, { P, N });
}
