/**
 * Random expression modules for back-end property tests: every operator of the DSL,
 * mixed signedness and widths, constants, slices of intermediate results. The same
 * seed gives the same module.
 */
import { Bool, Expr, SInt, UInt, cat, defineModule, mux, type ModuleDef, type Signal } from '../../generator/index.ts';

export interface RandomExprModule {
  def: ModuleDef;
  inputs: Signal[];
  /** Output port -> the expression it carries (for the TypeScript reference). */
  outputs: { port: Signal; expr: Expr }[];
}

const MAX_WIDTH = 40;

export function randomExprModule(name: string, random: () => number, count: number, depth = 4): RandomExprModule {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  let inputs: Signal[] = [];
  const outputs: { port: Signal; expr: Expr }[] = [];

  const sameKind = (x: Expr, y: Expr): [Expr, Expr] => {
    if (x.type.kind === 'bool') x = x.asUInt();
    if (y.type.kind === 'bool') y = y.asUInt();
    if (x.type.signed === y.type.signed) return [x, y];
    return x.type.signed ? [x, y.toSInt()] : [x.toSInt(), y];
  };
  const narrow = (e: Expr): Expr => (e.width > MAX_WIDTH ? e.resize(int(1, MAX_WIDTH)) : e);
  const constantLike = (e: Expr): number | bigint => {
    const w = Math.min(e.width, 20);
    if (w < 3) return 1;
    const v = int(1, 2 ** w - 2);
    return e.type.signed ? v - 2 ** (w - 1) : v;
  };
  const inputsOf = (e: Expr, out = new Set<Expr>()): Set<Expr> => {
    if (e.op === 'ref') out.add(e);
    for (const x of e.args) inputsOf(x, out);
    return out;
  };
  const shareInput = (x: Expr, y: Expr): boolean => {
    const ys = inputsOf(y);
    return [...inputsOf(x)].some((i) => ys.has(i));
  };

  // Verilator folds constants and then (rightly) reports comparisons that became
  // constant, e.g. `(a ^ a) >= c`; so operands of one operator are distinct, and
  // constants are never 0 or all ones and never compared.
  const gen = (d: number): Expr => {
    if (d === 0 || random() < 0.2) return leaf();
    const a = gen(d - 1);
    const other = (): Expr => {
      for (let tries = 0; tries < 10; tries++) {
        const o = gen(d - 1);
        if (!shareInput(o, a)) return o;
      }
      return freshInput();
    };
    const b = () => (random() < 0.2 ? constantLike(a) : other());
    const op = int(0, 24);
    switch (op) {
      case 0: { const [x, y] = sameKind(a, other()); return x.add(y); }
      case 1: { const [x, y] = sameKind(a, other()); return x.addWrap(y); }
      case 2: { const [x, y] = sameKind(a, other()); return x.sub(y); }
      case 3: { const [x, y] = sameKind(a, other()); return x.subWrap(y); }
      case 4: { const [x, y] = sameKind(a, other()); return narrow(x.mul(y)); }
      case 5: { const o = b(); return o instanceof Expr ? sameKind(a, o).reduce((x, y) => x.and(y)) : (a.type.kind === 'bool' ? a.asUInt() : a).and(o); }
      case 6: { const [x, y] = sameKind(a, other()); return x.or(y); }
      case 7: { const [x, y] = sameKind(a, other()); return x.xor(y); }
      case 8: return a.not();
      case 9: return a.type.signed ? a.neg() : a.toSInt().neg();
      case 10: { const [x, y] = sameKind(a, other()); return pick(['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) === 'lt' ? x.lt(y) : random() < 0.5 ? x.ge(y) : x.eq(y); }
      case 11: { const [x, y] = sameKind(a, other()); return random() < 0.5 ? x.gt(y) : x.le(y); }
      case 12: return narrow(a.shl(int(0, 5)));
      case 13: return a.width > 1 ? a.shr(int(0, a.width - 1)) : a;
      case 14: return a.type.kind === 'bool' ? a : a.shiftLeft(pick(inputs.filter((i) => i.type.kind === 'uint' && i.width >= 3)).bits(2, 0));
      case 15: return a.type.kind === 'bool' ? a : a.shiftRight(pick(inputs.filter((i) => i.type.kind === 'uint' && i.width >= 3)).bits(2, 0));
      case 16: { const lo = int(0, a.width - 1); return a.bits(int(lo, a.width - 1), lo); }
      case 17: return a.bit(int(0, a.width - 1));
      case 18: return narrow(cat(a, other()));
      case 19: { const [x, y] = sameKind(a, other()); return mux(other().orR(), x, y); }
      case 20: return a.type.kind === 'bool' ? a.asUInt().resize(int(1, 12)) : a.resize(int(1, MAX_WIDTH));
      case 21: return a.type.kind === 'sint' ? a.asUInt() : a.width > 1 ? a.asSInt() : a.asUInt();
      case 22: return a.toSInt();
      case 23: return pick([a.orR(), a.andR(), a.xorR()]);
      default: { const [x, y] = sameKind(a, other()); return x.sub(y).shr(Math.min(1, x.sub(y).width - 1)); }
    }
  };

  let freshInput: () => Signal = () => inputs[0]!;
  const leaf = (): Expr => (random() < 0.6 ? freshInput() : pick(inputs));

  const def = defineModule(name, (m) => {
    freshInput = () => {
      const t = pick([() => Bool(), () => UInt(int(1, 16)), () => SInt(int(2, 16))])();
      const s = m.input(`i${inputs.length}`, t);
      inputs.push(s);
      return s;
    };
    inputs = [
      m.input('a', UInt(8)),
      m.input('b', SInt(8)),
      m.input('c', UInt(13)),
      m.input('d', SInt(5)),
      m.input('e', Bool()),
      m.input('f', SInt(17)),
    ];
    for (let i = 0; i < count; i++) {
      const expr = gen(depth);
      const port = m.output(`y${i}`, expr.type);
      port.set(expr);
      outputs.push({ port, expr });
    }
    // Every input bit reaches an output, so Verilator has no unused input to report.
    const all = m.output('all_inputs', UInt(inputs.reduce((s, i) => s + i.width, 0)));
    all.set(cat(...inputs));
    return Object.fromEntries([...inputs, all, ...outputs.map((o) => o.port)].map((s) => [s.name, s]));
  });
  return { def, inputs, outputs };
}
