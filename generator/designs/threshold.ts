/**
 * Threshold unit: takes one gradient beat (P values) per cycle, zeroes the
 * values below θ, and hands the whole beat on with a bitmap of the rows to
 * visit. Beats with nothing to visit are dropped here, so they never occupy the
 * index queue; a vector's last beat always goes on, to carry its end.
 */
import { Expr, cat, lit, mux } from '../core/expr.ts';
import { defineModule } from '../core/module.ts';
import { Bool, SInt, UInt, log2Up } from '../core/types.ts';
import { lane, popcount } from './hw.ts';
import type { EngineParams } from './params.ts';

export function thresholdUnit(p: EngineParams, prefix: string) {
  const cntBits = log2Up(p.P + 1);
  return defineModule(`${prefix}_threshold`, (m) => {
    const io = {
      grad_valid: m.input('grad_valid', Bool()),
      grad_ready: m.output('grad_ready', Bool()),
      grad_data: m.input('grad_data', UInt(p.P * p.gBits)),
      grad_last: m.input('grad_last', Bool()),
      /** The job still expects gradient beats (busy, fewer than VECTORS vectors taken). */
      accept: m.input('accept', Bool()),
      /** START: the next beat is beat 0 of a vector. */
      restart: m.input('restart', Bool()),
      theta: m.input('theta', UInt(p.gBits)),
      rows: m.input('rows', UInt(p.rCntBits)),
      out_valid: m.output('out_valid', Bool()),
      out_ready: m.input('out_ready', Bool()),
      /** Registered: the queue has room for every beat this unit holds and the one it would take now. */
      out_room: m.input('out_room', Bool()),
      out_vals: m.output('out_vals', UInt(p.P * p.gBits)),
      out_visit: m.output('out_visit', UInt(p.P)),
      out_beat: m.output('out_beat', UInt(p.beatBits)),
      out_last: m.output('out_last', Bool()),
      /** Per accepted beat (one cycle later): g' ≠ 0 and g' = 0 among rows < R. */
      cnt_valid: m.output('cnt_valid', Bool()),
      cnt_nonzero: m.output('cnt_nonzero', UInt(cntBits)),
      cnt_zero: m.output('cnt_zero', UInt(cntBits)),
    };
    const held = m.reg('held', Bool(), { reset: false });
    const vals = m.reg('vals', UInt(p.P * p.gBits));
    const visit = m.reg('visit', UInt(p.P));
    const beatOut = m.reg('beat_out', UInt(p.beatBits));
    const last = m.reg('last', Bool());
    // One value more than the last beat number: a vector longer than ⌈rMax/P⌉ beats parks there (all padding).
    const beat = m.reg('beat', UInt(log2Up(p.beatsMax + 1)), { reset: 0 });

    const needsQueue = m.named('needs_queue', visit.orR().or(last));
    // A held beat leaves in the cycle after it is taken: dropped if it needs no queue entry, else
    // taken by the queue, which reserves room for it (the assumption below, proven at the top).
    // So `leaving` is `held` alone: the queue's full flag in front of stage A's take was a
    // critical path, and a beat offered against a full queue would be lost, not delayed.
    const leaving = m.named('leaving', held);
    // The queue's ready is read only by that assumption (a formal property, not hardware).
    m.unused(io.out_ready);

    // Stage A: a beat from the port and its compares, registered. |g| ≥ θ and g ≠ 0 computed in
    // the same cycle as the zeroing, the range check and the flags behind them was the critical
    // path; now stage B starts from registered keep flags.
    const aValid = m.reg('in_valid', Bool(), { reset: false });
    const aData = m.reg('in_data', UInt(p.P * p.gBits));
    const aKeep = m.reg('in_keep', UInt(p.P));
    const aLast = m.reg('in_last', Bool());
    const take = m.named('take', aValid.and(io.restart.not()).and(held.not().or(leaving)));
    // A beat is taken in only while the queue has room reserved for it and for the beats both
    // stages hold, so neither stage ever waits and the port's ready is one registered flag away:
    // taken through the stages' handshakes, the queue's full flag → stage B → stage A → tready →
    // the vector count was the critical path.
    const canTake = m.named('can_take', io.accept.and(io.restart.not()).and(io.out_room));
    m.assume(io.out_valid.not().or(io.out_ready), 'the queue behind takes every beat offered: it reserves room (out_room) for all this unit holds');
    m.assert(aValid.not().or(take).or(io.restart), 'stage A never holds a beat stage B refuses (the queue has room reserved)');
    const takeA = m.named('take_in', canTake.and(io.grad_valid));
    io.grad_ready.set(canTake);

    // |g| ≥ θ as g ≥ θ (g ≥ 0) or g ≤ −θ (g < 0): two compares side by side, where forming
    // |g| first put a negation's carry chain in front of the compare. θ cannot change during a
    // job (writes are refused while BUSY), so ±θ come from registers. A kept zero is no
    // nonzero, so the flag stored is "kept and nonzero", and g' is g where it is set. The compares
    // use max(θ, 1), which decides "kept and nonzero" alone: a g ≥ 1 passes g ≥ max(θ, 1) exactly
    // when it passes g ≥ θ, a g ≤ −1 likewise below, and g = 0 passes neither. A separate g ≠ 0
    // test put a 16-bit OR and an AND behind the compares' carry chains (the critical path).
    const thetaAtLeast1 = m.named('theta_at_least_1', mux(io.theta.eq(0), lit(1, UInt(p.gBits)), io.theta));
    const thetaNz = m.regNext('theta_nz', thetaAtLeast1);
    const negThetaNz = m.regNext('neg_theta_nz', thetaAtLeast1.toSInt().neg());
    const keepNz: Expr[] = [];
    for (let i = 0; i < p.P; i++) {
      const g = lane(io.grad_data, i, p.gBits).asSInt();
      keepNz.push(m.named(`keep_${i}`, mux(g.msb(), g.le(negThetaNz), g.asUInt().ge(thetaNz))));
    }
    m.when(takeA, () => {
      aValid.set(true);
      aData.set(io.grad_data);
      aKeep.set(cat(...[...keepNz].reverse()));
      aLast.set(io.grad_last);
    }).elsewhen(take, () => aValid.set(false));

    const pw = log2Up(p.P);
    const kept: Expr[] = [];
    const nonzero: Expr[] = [];
    const zero: Expr[] = [];
    const visitBits: Expr[] = [];
    for (let i = 0; i < p.P; i++) {
      const g = lane(aData, i, p.gBits);
      const j = p.P > 1 ? cat(beat, lit(i, UInt(pw))) : beat;
      const inRange = m.named(`in_range_${i}`, j.lt(io.rows));
      const nz = m.named(`nonzero_${i}`, aKeep.bit(i).and(inRange));
      kept.push(mux(aKeep.bit(i), g, lit(0, UInt(p.gBits))));
      nonzero.push(nz);
      zero.push(inRange.and(nz.not()));
      visitBits.push(p.skipping ? nz : inRange);
    }

    m.when(io.restart, () => beat.set(0)).elsewhen(take, () => {
      // Saturates, so beats past ⌈rMax/P⌉ (a malformed, over-long vector) count as padding instead of wrapping to row 0.
      m.when(aLast, () => beat.set(0)).elsewhen(beat.lt(p.beatsMax), () => beat.set(beat.addWrap(1)));
    });
    m.when(take, () => {
      held.set(true);
      vals.set(cat(...[...kept].reverse()));
      visit.set(cat(...[...visitBits].reverse()));
      // A parked beat has nothing to visit, so its number (here truncated) never names a row.
      beatOut.set(beat.resize(p.beatBits));
      last.set(aLast);
    }).elsewhen(leaving, () => held.set(false));

    io.out_valid.set(held.and(needsQueue));
    io.out_vals.set(vals);
    io.out_visit.set(visit);
    io.out_beat.set(beatOut);
    io.out_last.set(last);
    io.cnt_valid.set(m.regNext('cnt_fire', take, { reset: false }));
    // The flags are registered and counted after the register: the popcount behind the
    // compares made the input beat → NONZEROS path the dense engine's critical one.
    const nzFlags = m.regNext('cnt_nz_flags', cat(...[...nonzero].reverse()));
    const zFlags = m.regNext('cnt_z_flags', cat(...[...zero].reverse()));
    const flags = (v: Expr): Expr[] => Array.from({ length: p.P }, (_, i) => v.bit(i));
    m.assert(beat.le(p.beatsMax), `the beat number parks at ${p.beatsMax} (⌈rMax/P⌉) and never wraps to row 0`);
    m.assert(nzFlags.and(zFlags).eq(0), 'no value is counted both zero and nonzero');
    io.cnt_nonzero.set(popcount(flags(nzFlags), cntBits));
    io.cnt_zero.set(popcount(flags(zFlags), cntBits));
    return io;
  }, { P: p.P, gBits: p.gBits, skipping: p.skipping });
}
