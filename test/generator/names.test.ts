/**
 * Names never reach the Verilog unusable: every Verilog-2005 and SystemVerilog-2017
 * keyword, the back end's own names (clk, rst, _GEN_n, _unused_bits, mem__sim_we0) and,
 * for ports, C++ keywords are rejected at the user's line through every entry point; and
 * designs built from random names (keywords, generated-looking names, near misses,
 * collisions with instance and memory names) that are accepted pass Verilator -Wall,
 * Icarus -g2005 and Yosys.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { checkIverilog, lintVerilator, synthYosys } from '../../toolchain/lint.ts';
import { Bool, DesignError, UInt, defineModule, emitDesign, type Expr, type ModuleBuilder, type ModuleDef } from '../../generator/index.ts';
import { backendNames, cppKeywords, systemVerilog2017Keywords, toolKeywords, verilog2005Keywords } from '../../generator/core/names.ts';
import { testSeed } from '../sim/seed.ts';

const thisFile = 'test/generator/names.test.ts';
const ownLines = readFileSync(new URL(import.meta.url), 'utf8').split('\n');
const generatedLike = ['_GEN_0', '_GEN_17', '_unused_bits', 'store__sim_we0', 'store__sim_wa0', 'a__b', '_x', 'x__', 'x_'];
const reserved = [...new Set([...verilog2005Keywords, ...systemVerilog2017Keywords, ...toolKeywords, ...backendNames, ...generatedLike])];

/** The DesignError a build throws, or undefined when it is accepted. */
function rejection(build: () => unknown): DesignError | undefined {
  try {
    build();
    return undefined;
  } catch (e) {
    if (e instanceof DesignError) return e;
    throw e;
  }
}

/** Each way a user names something; `line` is the line of the naming call. */
const entryPoints: { what: string; line: number; use: (n: string) => unknown }[] = [
  { what: 'wire', line: lineOf("m.wire(n, Bool())"), use: (n) => defineModule('t_wire', (m) => { m.wire(n, Bool()); return {}; }) },
  { what: 'reg', line: lineOf("m.reg(n, UInt(2))"), use: (n) => defineModule('t_reg', (m) => { m.reg(n, UInt(2)); return {}; }) },
  { what: 'input', line: lineOf("m.input(n, Bool())"), use: (n) => defineModule('t_in', (m) => { m.input(n, Bool()); return {}; }) },
  { what: 'memory', line: lineOf("m.memory(n, UInt(2), 4)"), use: (n) => defineModule('t_mem', (m) => { m.memory(n, UInt(2), 4); return {}; }) },
  { what: 'instance', line: lineOf("m.instance(n, leaf())"), use: (n) => defineModule('t_inst', (m) => { m.instance(n, leaf()); return {}; }) },
  { what: 'module', line: lineOf("defineModule(n, () => ({}))"), use: (n) => defineModule(n, () => ({})) },
];

function lineOf(text: string): number {
  const i = ownLines.findIndex((l) => l.includes(text));
  assert.ok(i >= 0, text);
  return i + 1;
}

const leaf = () => defineModule('leaf_pass', (m) => {
  const x = m.input('x', Bool());
  const y = m.output('y', Bool());
  y.set(x);
  return { x, y };
});

describe('generator names: keywords and generated names never reach the Verilog', function () {
  this.timeout(600_000);

  it('every keyword and back-end name is rejected through every entry point, at the naming line', () => {
    // Would fail if any entry point skipped the check (e.g. memories or instances named
    // `buf`, `logic`, `rst`), or if the error pointed into the DSL instead of this file.
    let checked = 0;
    for (const ep of entryPoints) {
      for (const n of reserved) {
        const e = rejection(() => ep.use(n));
        assert.ok(e, `${ep.what} named ${n} was accepted`);
        const d = e.diagnostics[0]!;
        assert.equal(d.kind, 'name', `${ep.what} ${n}: ${d.message}`);
        assert.equal(`${d.loc.file}:${d.loc.line}`, `${thisFile}:${ep.line}`, `${ep.what} ${n}: ${d.message}`);
        checked++;
      }
    }
    assert.equal(checked, entryPoints.length * reserved.length);
  });

  it('ports cannot take C++ keywords (the Verilated model makes ports C++ members); wires can', () => {
    for (const n of cppKeywords) {
      const e = rejection(() => defineModule('t_port', (m) => ({ p: m.output(n, Bool()) })));
      assert.ok(e && e.diagnostics[0]!.kind === 'name' && /C\+\+ keyword|Icarus Verilog keyword/.test(e.diagnostics[0]!.message), `port ${n}`);
      // `bool` is also an Icarus keyword, so no name at all may use it.
      if (!toolKeywords.includes(n)) assert.equal(rejection(() => defineModule('t_wire_cpp', (m) => { m.wire(n, Bool()); return {}; })), undefined, `wire ${n}`);
    }
  });

  it('a signal named like its own module takes a suffix; a port, which cannot be renamed, is refused', () => {
    // Verilator reports VARHIDDEN for either; found by the random-name property below.
    const def = defineModule('selfish', (m) => { const w = m.wire('selfish', Bool()); w.set(false); return {}; });
    assert.deepEqual(def.impl!.signals.map((x) => x.name), ['selfish_1']);
    const e = rejection(() => defineModule('selfish', (m) => ({ p: m.output('selfish', Bool()) })));
    assert.equal(e?.diagnostics[0]!.kind, 'name');
  });

  it('random names: whatever is accepted emits Verilog that Verilator -Wall, Icarus and Yosys accept', async () => {
    const seed = testSeed('random names');
    const dir = mkdtempSync(path.join(tmpdir(), 'sg-gen-names-'));
    const nearMisses = ['logic_1', 'clk_en', 'rst_n', 'GEN_0', 'unused_bits', 'LOGIC', 'Module', 'wire0', 'u0_x', 'u0_y', 'store_rdata', 'store', 'u0', 'a_in', 'y_out', 'x', 'y', 'leaf_pass', 'names_0', 'names_1', 'names_2'];
    const name = fc.oneof(
      fc.constantFrom(...reserved, ...cppKeywords),
      fc.constantFrom(...nearMisses),
      fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,7}$/),
    );
    let run = 0;
    let accepted = 0;
    let rejected = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(name, { minLength: 10, maxLength: 40 }), async (names) => {
          const top = namedDesign(`names_${run}`, names);
          accepted += top.accepted;
          rejected += top.rejected;
          const out = path.join(dir, String(run++));
          const d = emitDesign(top.def, out, { printWarnings: false });
          const files = [...d.files.keys()].map((f) => path.join(out, f));
          await lintVerilator(files, d.manifest.top);
          assert.deepEqual((await checkIverilog(files, d.manifest.top)).diagnostics, []);
          const ys = await synthYosys(files, d.manifest.top);
          assert.deepEqual(ys.diagnostics.filter((x) => x.severity === 'warning').map((x) => x.message), []);
        }),
        { seed, numRuns: 8, endOnFailure: true },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Would fail if the generator made every name unusable (nothing left to lint) or none.
    assert.ok(accepted > 10 && rejected > 0, `accepted ${accepted}, rejected ${rejected}`);
  });
});

/**
 * One module using each name in turn as a wire, register, output port, memory,
 * instance or child module name (names rejected with a `name` or port-clash error are skipped), chained so
 * every signal is read: the accepted names all reach the Verilog.
 */
function namedDesign(moduleName: string, names: readonly string[]): { def: ModuleDef; accepted: number; rejected: number } {
  let accepted = 0;
  let rejected = 0;
  const def = defineModule(moduleName, (m: ModuleBuilder) => {
    const a = m.input('a_in', UInt(8));
    const y = m.output('y_out', UInt(8));
    const io: Record<string, unknown> = { a, y };
    let acc: Expr = a;
    names.forEach((n, k) => {
      const e = rejection(() => {
        switch (k % 6) {
          case 0: {
            const w = m.wire(n, UInt(8));
            w.set(acc.xor(k));
            acc = w;
            break;
          }
          case 1:
            acc = m.regNext(n, acc.addWrap(k), { reset: k });
            break;
          case 2: {
            const p = m.output(n, UInt(8));
            p.set(acc);
            io[n] = p;
            break;
          }
          case 3: {
            // Read-under-write undefined: the back end adds its __sim_ shadow signals.
            const mem = m.memory(n, UInt(8), 4, { readUnderWrite: 'undefined' });
            mem.write(acc.bits(1, 0), acc);
            acc = mem.read(acc.bits(1, 0)).xor(acc);
            break;
          }
          case 4: {
            const u = m.instance(n, leaf());
            u.x.set(acc.bit(0));
            acc = acc.xor(u.y.asUInt());
            break;
          }
          default: {
            // The name as a module name: clashes with other modules (even the top) take suffixes.
            const child = defineModule(n, (c) => {
              const x = c.input('x', UInt(8));
              const y = c.output('y', UInt(8));
              y.set(x.addWrap(k));
              return { x, y };
            });
            const u = m.instance(`u${k}`, child);
            u.x.set(acc.resize(8));
            acc = u.y;
          }
        }
      });
      if (!e) accepted++;
      else {
        const d = e.diagnostics[0]!;
        assert.ok(d.kind === 'name' || /already used/.test(d.message), `${n}: unexpected ${d.kind}: ${d.message}`);
        rejected++;
      }
    });
    y.set(acc.resize(8));
    return io;
  });
  return { def, accepted, rejected };
}
