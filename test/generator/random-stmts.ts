/**
 * Random statement modules for semantics tests: nested when/elsewhen/otherwise and
 * switch trees driving wires (each with a default first), registers (some with enable,
 * some without reset) and a memory. Designs the checks reject are drawn again, so
 * every returned module is legal.
 */
import { Bool, Expr, UInt, checkDesign, defineModule, lit, mux, type ModuleBuilder, type ModuleDef, type Signal } from '../../generator/index.ts';

const W = 6;

export function randomStmtModule(name: string, random: () => number): ModuleDef {
  for (let attempt = 0; attempt < 100; attempt++) {
    const def = build(`${name}`, random);
    if (checkDesign(def).errors.length === 0) return def;
  }
  throw new Error('no legal random statement module in 100 attempts');
}

function build(name: string, random: () => number): ModuleDef {
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

  return defineModule(name, (m: ModuleBuilder) => {
    const sel = m.input('sel', UInt(3));
    const flags = Array.from({ length: 4 }, (_, i) => m.input(`c${i}`, Bool()));
    const data = Array.from({ length: 4 }, (_, i) => m.input(`d${i}`, UInt(W)));
    const regs = Array.from({ length: 5 }, (_, i) => {
      // Every register has a reset: one without would start from Verilator's arbitrary X choice.
      const opts = random() < 0.3 ? { reset: int(0, 63), enable: pick(flags) } : { reset: int(0, 63) };
      return m.reg(`r${i}`, UInt(W), opts) as Signal;
    });
    // Half the designs leave read-under-write undefined: both sides then read a poisoned word on a hit.
    const readUnderWrite = random() < 0.5 ? 'old' : 'undefined';
    const mem = m.memory('mem', UInt(W), 8, { init: Array.from({ length: 8 }, () => int(0, 63)), readUnderWrite });
    const wires: Signal[] = [];

    const value = (sources: readonly Expr[], depth = 2): Expr => {
      const leaf = (): Expr => (random() < 0.15 ? lit(int(0, 63), UInt(W)) : pick(sources));
      if (depth === 0) return leaf();
      const a = value(sources, depth - 1);
      const b = value(sources, depth - 1);
      switch (int(0, 6)) {
        case 0: return a.addWrap(b);
        case 1: return a.subWrap(b);
        case 2: return a.xor(b);
        case 3: return a.and(b).or(a.not().and(lit(21, UInt(W))));
        case 4: return mux(cond(sources), a, b);
        case 5: return a.shr(int(0, 3)).resize(W);
        default: return leaf();
      }
    };
    const cond = (sources: readonly Expr[]): Expr => {
      switch (int(0, 3)) {
        case 0: return pick(flags);
        case 1: return pick(sources).lt(pick(sources));
        case 2: return pick(sources).eq(int(0, 63));
        default: return pick(sources).bit(int(0, W - 1));
      }
    };
    /** A block of statements assigning `targets` (memory ports too when `withMemory`). */
    // Once a block assigns a target, its later statements leave that target alone: an
    // assignment overridden on every path is an error (multiple-drivers) by design.
    const block = (depth: number, targetsIn: readonly Signal[], sources: readonly Expr[], withMemory: boolean): void => {
      let targets = [...targetsIn];
      const n = int(1, 3);
      for (let k = 0; k < n && targets.length > 0; k++) {
        const r = random();
        if (depth === 0 || r < 0.4) {
          if (withMemory && random() < 0.15) mem.write(pick(sources).bits(2, 0), value(sources));
          else {
            const t = pick(targets);
            t.set(value(sources));
            targets = targets.filter((x) => x !== t);
          }
        } else if (r < 0.75) {
          const chain = m.when(cond(sources), () => block(depth - 1, targets, sources, withMemory));
          for (let e = int(0, 2); e > 0; e--) chain.elsewhen(cond(sources), () => block(depth - 1, targets, sources, withMemory));
          if (random() < 0.5) chain.otherwise(() => block(depth - 1, targets, sources, withMemory));
        } else {
          const sw = m.switch(sel);
          const values = [0, 1, 2, 3, 4, 5, 6, 7].filter(() => random() < 0.4);
          for (let i = 0; i < values.length; i += 2) sw.is(values.slice(i, i + 2), () => block(depth - 1, targets, sources, withMemory));
          if (random() < 0.5) sw.default(() => block(depth - 1, targets, sources, withMemory));
        }
      }
    };

    // Wires: a default, then a tree reading inputs, registers and earlier wires only (no loops).
    for (let i = 0; i < 5; i++) {
      const w = m.wire(`w${i}`, UInt(W));
      const sources = [...data, ...regs, ...wires];
      w.set(value(sources, 1));
      m.when(cond(sources), () => block(2, [w], sources, false));
      wires.push(w);
    }
    // Registers and memory: one tree reading everything.
    const all = [...data, ...regs, ...wires];
    block(3, regs, all, true);
    let readData: Signal | undefined;
    m.when(cond(all), () => {
      readData = mem.read(pick(all).bits(2, 0), 'mem_q');
    });

    const io: Record<string, Signal> = { sel };
    flags.forEach((f) => (io[f.name] = f));
    data.forEach((d) => (io[d.name] = d));
    for (const s of [...wires, ...regs, readData!]) {
      const o = m.output(`o_${s.name}`, UInt(W));
      o.set(s);
      io[o.name] = o;
    }
    return io;
  });
}
