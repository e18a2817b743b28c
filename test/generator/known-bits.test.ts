/**
 * The bits an expression's structure fixes (generator/core/value-range.ts) are what
 * the interpreter computes for every input: the back end emits those values as
 * constants and the unused check reads nothing through them, so a wrong "known" bit
 * would be a silent miscompile.
 */
import assert from 'node:assert/strict';
import { Expr, SInt, UInt, cat, defineModule, mux, type Signal } from '../../generator/index.ts';
import { evaluate } from '../../generator/core/eval.ts';
import { comparisonOutcome, knownBits, knownValue } from '../../generator/core/value-range.ts';
import { rng, testSeed } from '../sim/seed.ts';
import { randomExprModule } from './random-expr.ts';

const nodesOf = (e: Expr, out = new Set<Expr>()): Set<Expr> => {
  if (out.has(e)) return out;
  out.add(e);
  for (const a of e.args) nodesOf(a, out);
  return out;
};

describe('generator: bits fixed by an expression\'s structure', () => {
  it('agree with the interpreter on every node of random expression modules (property)', () => {
    const seed = testSeed('known bits');
    const random = rng(seed);
    let nodes = 0;
    let withKnown = 0;
    for (let k = 0; k < 6; k++) {
      const mod = randomExprModule(`known_${k}`, random, 24);
      const all = new Set<Expr>();
      for (const o of mod.outputs) nodesOf(o.expr, all);
      for (let t = 0; t < 60; t++) {
        const values = new Map<Signal, bigint>(mod.inputs.map((s) => [s, BigInt(Math.floor(random() * 2 ** s.width))]));
        const memo = new Map<Expr, bigint>();
        for (const e of all) {
          const v = evaluate(e, (s) => values.get(s)!, memo);
          const kb = knownBits(e);
          assert.equal(v & kb.known, kb.value, `seed ${seed}: module ${k}, ${e.op} (${e.type}) at ${e.loc.file}:${e.loc.line}: known ${kb.known.toString(2)} value ${kb.value.toString(2)}, evaluated ${v.toString(2)}`);
        }
      }
      nodes += all.size;
      withKnown += [...all].filter((e) => e.op !== 'const' && knownBits(e).known !== 0n).length;
    }
    // Not vacuous: zero extensions and shifts leave known bits in any random module.
    assert.ok(withKnown > nodes / 20, `only ${withKnown} of ${nodes} nodes had a known bit`);
  });

  it('finds the structures Verilator folds before it lints', () => {
    defineModule('known_cases', (m) => {
      const x = m.input('x', UInt(4));
      const s = m.input('s', SInt(4));
      const y = m.output('y', UInt(1));
      assert.equal(knownValue(cat(x.resize(6).bits(5, 4), x).andR()), 0n, "&{2'd0, x} is 0");
      assert.equal(knownValue(x.shl(3).bits(2, 0)), 0n, 'the low bits of a left shift');
      assert.equal(knownValue(mux(x.orR(), x.and(0), x.and(0).resize(4))), 0n, 'a mux of two equal known values');
      assert.equal(knownValue(x.or(15)), 15n);
      assert.equal(knownValue(x), undefined);
      // A sign extension of a value whose sign is known fixes the top bits too.
      const neg = s.or(-8).resize(8);
      assert.equal(knownBits(neg).known & 0xf8n, 0xf8n);
      y.set(0);
      const cmp = (e: Expr): boolean | undefined => comparisonOutcome(e);
      // Only whole known values decide a comparison, as in Verilator: a known sign alone does not.
      assert.equal(cmp(neg.lt(0)), undefined);
      assert.equal(cmp(neg.lt(neg.and(0))), undefined);
      assert.equal(cmp(s.or(-8).and(-8).lt(0)), true, '-8 < 0');
      assert.equal(cmp(x.resize(8).ge(x.shl(4).bits(3, 0))), true, 'x >= 0 by structure');
      assert.equal(cmp(x.resize(8).gt(x.shl(4).bits(3, 0))), undefined, 'x > 0 depends on x');
      assert.equal(cmp(x.eq(x.resize(8).bits(7, 4).resize(4).or(3))), undefined);
      return { x, s, y };
    });
  });
});
