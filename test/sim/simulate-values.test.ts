/**
 * Payload values of the simulation API (sim/simulate/values.ts) against the DSL's own
 * payload layout, over random payload types (UInt, SInt, Bool, fixed point, nested Vec
 * and Bundle, leaves wider than 53 bits): a value goes into tdata with every leaf at the
 * offset payloadLayout gives it and comes back unchanged; a leaf one past its range, or
 * a value of the wrong shape, is refused naming the leaf. Verilator runs that check the
 * same layout in hardware are in simulate.test.ts and test/generator/stream-ops.test.ts.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Bool, Bundle, SFix, SInt, UFix, UInt, Vec, bitWidth, payloadLayout, type HwType, type PayloadType } from '../../generator/index.ts';
import { ValueError, decodeValue, encodeValue, leavesOf, type SimValue } from '../../sim/simulate/values.ts';
import { simSeed } from '../../sim/simulate/index.ts';

const ground: fc.Arbitrary<PayloadType> = fc.oneof(
  fc.integer({ min: 1, max: 70 }).map((w) => UInt(w)),
  fc.integer({ min: 1, max: 70 }).map((w) => SInt(w)),
  fc.constant(Bool()),
  fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 8 })).map(([i, f]) => SFix(i, f)),
  fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 8 })).map(([i, f]) => UFix(i, f)),
);
const hwType: fc.Arbitrary<PayloadType> = fc.letrec<{ t: PayloadType }>((tie) => ({
  t: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    ground,
    fc.tuple(fc.integer({ min: 1, max: 3 }), tie('t').filter((t) => !('intBits' in t))).map(([n, t]) => Vec(n, t as HwType)),
    fc.array(tie('t').filter((t) => !('intBits' in t)), { minLength: 1, maxLength: 3 }).map((fs) => Bundle(Object.fromEntries(fs.map((t, i) => [`f${i}`, t as HwType])))),
  ),
})).t;

const isFix = (t: PayloadType): t is ReturnType<typeof SFix> => 'intBits' in t;

/** A value of type t as the API returns it: numbers up to 53 bits, bigints above, booleans for Bool. */
function valueOf(t: PayloadType): fc.Arbitrary<SimValue> {
  if (isFix(t) || !('kind' in t) || t.kind === 'uint' || t.kind === 'sint' || t.kind === 'bool') {
    const field = payloadLayout(t)[0]!;
    if (!isFix(t) && 'kind' in t && t.kind === 'bool') return fc.boolean();
    const w = BigInt(field.width);
    const big = field.signed ? fc.bigInt(-(1n << (w - 1n)), (1n << (w - 1n)) - 1n) : fc.bigInt(0n, (1n << w) - 1n);
    return big.map((v) => (field.width <= 53 ? Number(v) : v));
  }
  if (t.kind === 'vec') return fc.array(valueOf(t.element as HwType), { minLength: t.length, maxLength: t.length });
  if (t.kind !== 'bundle') throw new Error('unreachable');
  return fc.record(Object.fromEntries(Object.entries(t.fields as Record<string, HwType>).map(([k, f]) => [k, valueOf(f)])), { noNullPrototype: true });
}

/** The leaves of a value in pack order. */
const leafValues = (v: SimValue): SimValue[] => (Array.isArray(v) ? v.flatMap(leafValues) : typeof v === 'object' ? Object.values(v).flatMap(leafValues) : [v]);

describe('simulation API payload values against the DSL payload layout', () => {
  const seed = simSeed();
  it(`every leaf lands at its payloadLayout offset and the value decodes back unchanged (seed ${seed})`, () => {
    fc.assert(fc.property(hwType.chain((t) => fc.tuple(fc.constant(t), valueOf(t))), ([t, v]) => {
      const fields = payloadLayout(t);
      const leaves = leavesOf(t, fields);
      const word = encodeValue(t, leaves, v, 'x');
      const width = isFix(t) ? fields[0]!.width : bitWidth(t as HwType);
      assert.ok(word >= 0n && word < 1n << BigInt(width), 'inside tdata');
      leafValues(v).forEach((leaf, i) => {
        const f = fields[i]!;
        const n = typeof leaf === 'boolean' ? (leaf ? 1n : 0n) : BigInt(leaf as number | bigint);
        assert.equal((word >> BigInt(f.offset)) & ((1n << BigInt(f.width)) - 1n), BigInt.asUintN(f.width, n), `leaf ${f.name}`);
      });
      assert.deepEqual(decodeValue(t, leaves, word), v);
    }), { seed, numRuns: 300 });
  });

  it('a leaf one past its range or a value of the wrong shape is refused, naming the leaf', () => {
    const T = Bundle({ re: SInt(12), im: SInt(12), tags: Vec(2, UInt(3)), ok: Bool() });
    const leaves = leavesOf(T, payloadLayout(T));
    const good = { re: -2048, im: 2047, tags: [7, 0], ok: true };
    assert.deepEqual(decodeValue(T, leaves, encodeValue(T, leaves, good, 'x')), good);
    // Would pass if nothing were checked: each of these must be refused with its own reason.
    const refusals: [unknown, RegExp][] = [
      [{ ...good, re: -2049 }, /^x\.re = -2049 is outside SInt\(12\) \(-2048\.\.2047\)$/],
      [{ ...good, tags: [8, 0] }, /^x\.tags\[0\] = 8 is outside UInt\(3\) \(0\.\.7\)$/],
      [{ ...good, tags: [1] }, /^x\.tags has 1 elements, but the Vec has 2$/],
      [{ ...good, ok: 2 }, /^x\.ok = 2 is outside Bool \(0\.\.1\)$/],
      [{ ...good, im: 1n << 60n }, /^x\.im = 1152921504606846976 is outside SInt\(12\)/],
      [{ ...good, im: '3' }, /^x\.im is the string "3", but SInt\(12\) takes an integer \(number or bigint\)$/],
      [{ re: 1, im: 2, tags: [0, 0] }, /^x lacks field ok of the Bundle$/],
      [[1, 2], /^x is an array of 2, but a Bundle takes an object \{ re, im, tags, ok \}$/],
    ];
    for (const [v, message] of refusals) {
      assert.throws(() => encodeValue(T, leaves, v, 'x'), (e: unknown) => e instanceof ValueError && message.test(e.message));
    }
    const fix = SFix(2, 3);
    assert.throws(() => encodeValue(fix, leavesOf(fix, payloadLayout(fix)), 0.5, 'x'), /x is 0\.5, but SFix\(2, 3\) values are given raw \(an integer, value·2\^3\): write Math\.round\(x \* 2 \*\* 3\)/);
  });
});
