/**
 * The emitted Verilog computes what the DSL means: random expression modules and every
 * fixed-point resize mode, built with Verilator and run on random inputs, against the
 * TypeScript interpreter (generator/core/eval.ts) and the fixed-point model (resizeRaw).
 */
import assert from 'node:assert/strict';
import type { Vector } from '../../sim/vectors/index.ts';
import { defineModule, type ModuleDef, type Signal } from '../../generator/index.ts';
import { evaluate } from '../../generator/core/eval.ts';
import { Fixed, SFix, UFix, fixName, fixType, fixWidth, resizeRaw, type FixFormat, type Overflow, type Rounding } from '../../generator/lib/fixed.ts';
import { rng, testSeed } from '../sim/seed.ts';
import { randomExprModule } from './random-expr.ts';
import { randomStmtModule } from './random-stmts.ts';
import { ModuleInterpreter } from '../../generator/core/interpret.ts';
import { simulate, useScratchDir } from './sim-helpers.ts';

const scratch = useScratchDir('sg-gen-sem-');
/** Combinational designs get a clock from withClock(); no reset is needed. */
const simulateComb = (def: ModuleDef, inputs: Vector[]): Promise<Vector[]> => simulate(scratch(), def, inputs);

const randomBits = (random: () => number, width: number): bigint => {
  let v = 0n;
  for (let i = 0; i < width; i += 16) v = (v << 16n) | BigInt(Math.floor(random() * 65536));
  // Bias towards the edges (0, all ones, sign boundaries), where width bugs live.
  const r = random();
  if (r < 0.1) return 0n;
  if (r < 0.2) return (1n << BigInt(width)) - 1n;
  if (r < 0.3) return 1n << BigInt(width - 1);
  return BigInt.asUintN(width, v);
};

describe('generator semantics in Verilator against the TypeScript interpreter', function () {
  this.timeout(600_000);

  it('random expressions: every operator, mixed widths and signedness', async () => {
    const seed = testSeed('expression semantics');
    const random = rng(seed);
    const mod = randomExprModule('sem_expr', random, 40);
    const clocked = withClock(mod.def, mod.inputs);
    const inputs = Array.from({ length: 300 }, () => Object.fromEntries(mod.inputs.map((s) => [s.name, randomBits(random, s.width)])));
    const out = await simulateComb(clocked, inputs);
    inputs.forEach((vec, i) => {
      const read = (s: Signal): bigint => vec[s.name]!;
      for (const { port, expr } of mod.outputs) {
        // SInt ports are declared signed, so the runner reads them back sign-interpreted.
        const bits = evaluate(expr, read);
        const want = port.type.signed ? BigInt.asIntN(port.width, bits) : bits;
        assert.equal(out[i]![port.name], want, `cycle ${i}, ${port.name} = ${showExpr(expr)} with ${JSON.stringify(vec, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
      }
    });
  });

  it('random statement trees: when/elsewhen/otherwise priority, switch, last assignment wins, enables, resets, memory', async () => {
    const random = rng(testSeed('statement semantics'));
    for (let k = 0; k < 2; k++) {
      const def = randomStmtModule(`sem_stmt_${k}`, random);
      const inputs = Array.from({ length: 300 }, () => ({
        sel: BigInt(Math.floor(random() * 8)),
        ...Object.fromEntries([0, 1, 2, 3].map((i) => [`c${i}`, random() < 0.5 ? 1n : 0n])),
        ...Object.fromEntries([0, 1, 2, 3].map((i) => [`d${i}`, BigInt(Math.floor(random() * 64))])),
      }));
      const out = await simulate(scratch(), def, inputs, 'aresetn');
      const model = new ModuleInterpreter(def.impl!);
      model.resetCycles(2); // as the vector runner does before cycle 0
      inputs.forEach((vec, i) => {
        const want = model.cycle(vec);
        for (const [port, v] of Object.entries(want)) assert.equal(out[i]![port], v, `${def.name} cycle ${i}: ${port}`);
      });
    }
  });

  it('fixed-point resize: every rounding and overflow mode, narrowing and widening', async () => {
    const random = rng(testSeed('fixed-point resize'));
    const cases: { from: FixFormat; to: FixFormat; rounding: Rounding; overflow: Overflow }[] = [];
    const pairs: [FixFormat, FixFormat][] = [
      [SFix(6, 6), SFix(4, 2)], [SFix(6, 6), SFix(8, 8)], [SFix(3, 7), SFix(3, 1)], [UFix(5, 5), UFix(3, 2)],
      [UFix(4, 6), SFix(4, 3)], [SFix(5, 5), UFix(4, 3)], [SFix(2, 8), SFix(1, 0)], [SFix(9, 3), SFix(4, 3)],
    ];
    for (const [from, to] of pairs) {
      for (const rounding of ['truncate', 'half-up', 'half-even'] as const) {
        for (const overflow of ['wrap', 'saturate'] as const) cases.push({ from, to, rounding, overflow });
      }
    }
    const def = defineModule('sem_fixed', (m) => {
      const io: Record<string, Signal> = {};
      cases.forEach((c, i) => {
        const x = m.input(`x${i}`, fixType(c.from));
        const y = m.output(`y${i}`, fixType(c.to));
        y.set(Fixed.from(x, c.from).resize(c.to, c.rounding, c.overflow).raw);
        io[`x${i}`] = x;
        io[`y${i}`] = y;
      });
      return io;
    });
    const inputs = Array.from({ length: 400 }, () => Object.fromEntries(cases.map((c, i) => [`x${i}`, randomBits(random, fixWidth(c.from))])));
    const out = await simulateComb(withClock(def, []), inputs);
    inputs.forEach((vec, k) => {
      cases.forEach((c, i) => {
        const raw = BigInt.asIntN(fixWidth(c.from), vec[`x${i}`]!);
        const x = c.from.signed ? raw : vec[`x${i}`]!;
        const r = resizeRaw(x, c.from, c.to, c.rounding, c.overflow);
        const want = c.to.signed ? BigInt.asIntN(fixWidth(c.to), r) : BigInt.asUintN(fixWidth(c.to), r);
        assert.equal(out[k]![`y${i}`], want, `${fixName(c.from)} -> ${fixName(c.to)} ${c.rounding}/${c.overflow} of raw ${x}`);
      });
    });
  });
});

/**
 * The vector runner needs a clock; a combinational design has none, so wrap it in a
 * module with a registered copy of one input bit (which keeps Verilator's lint happy).
 */
function withClock(def: ModuleDef, _inputs: Signal[]): ModuleDef {
  const first = def.ports.find((p) => p.direction === 'input')!;
  return defineModule(`${def.name}_tb`, (m) => {
    const u = m.instance('u', def);
    const io: Record<string, Signal> = {};
    for (const p of def.ports) {
      const s = (u as Record<string, Signal>)[p.name];
      const outer = p.direction === 'input' ? m.input(p.name, p.type) : m.output(p.name, p.type);
      if (p.direction === 'input') s!.set(outer);
      else outer.set(s!);
      io[p.name] = outer;
    }
    const tick = m.output('tick', first.type);
    tick.set(m.regNext('tick_r', io[first.name]!));
    return { ...io, tick };
  });
}

function showExpr(e: import('../../generator/index.ts').Expr): string {
  if (e.op === 'ref') return (e as Signal).name;
  if (e.op === 'const') return String(e.param.value);
  return `${e.op}(${e.args.map(showExpr).join(', ')}${e.param.hi !== undefined ? `; ${e.param.hi}:${e.param.lo}` : ''}):${e.type}`;
}
