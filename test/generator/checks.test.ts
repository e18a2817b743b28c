/**
 * Every check, on a deliberately wrong design: exactly one diagnostic, of the intended
 * kind, at the TypeScript file:line marked `expect:` in fixtures/wrong-designs.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Bool, DesignError, UInt, checkDesign, defineModule, emitVerilog, lit, mux, type Diagnostic, type ModuleBuilder, type Signal } from '../../generator/index.ts';
import { ramUser } from './fixtures/blackbox-designs.ts';
import { wrongDesigns } from './fixtures/wrong-designs.ts';

const fixtureFile = 'test/generator/fixtures/wrong-designs.ts';
const fixtureLines = readFileSync(new URL('./fixtures/wrong-designs.ts', import.meta.url), 'utf8').split('\n');

/** The marked line of the design `name` (1-based), and the check it expects. */
function expectation(name: string): { line: number; kind: string } {
  const start = fixtureLines.findIndex((l) => l.includes(`${/^[a-z]+$/.test(name) ? name : `'${name}'`}: () =>`));
  assert.ok(start >= 0, `fixture ${name} not found`);
  for (let i = start; i < fixtureLines.length; i++) {
    const m = /\/\/ expect: ([a-z-]+)/.exec(fixtureLines[i]!);
    if (m) return { line: i + 1, kind: m[1]! };
  }
  throw new Error(`fixture ${name} has no expect: marker`);
}

/** Diagnostics of a design, whether thrown at construction or found by the checks. */
function diagnose(build: () => ReturnType<(typeof wrongDesigns)[string]>): { errors: readonly Diagnostic[]; warnings: readonly Diagnostic[] } {
  try {
    return checkDesign(build());
  } catch (e) {
    if (e instanceof DesignError) return { errors: e.diagnostics, warnings: [] };
    throw e;
  }
}

describe('generator checks: one error per mistake, at the right TypeScript line', () => {
  for (const name of Object.keys(wrongDesigns)) {
    it(name, () => {
      const want = expectation(name);
      const { errors, warnings } = diagnose(wrongDesigns[name]!);
      const isWarning = want.kind === 'unused' || want.kind === 'constant';
      const found = isWarning ? warnings : errors;
      if (isWarning) assert.equal(errors.length, 0, errors.map((e) => e.message).join('\n'));
      assert.equal(found.length, 1, `expected exactly one ${want.kind} diagnostic, got:\n${found.map((d) => `${d.kind} ${d.loc.file}:${d.loc.line} ${d.message}`).join('\n')}`);
      const d = found[0]!;
      assert.equal(d.kind, want.kind, d.message);
      assert.equal(d.loc.file, fixtureFile);
      assert.equal(d.loc.line, want.line, `${d.kind} reported at line ${d.loc.line}, marker at ${want.line}: ${d.message}`);
      assert.ok(d.loc.col > 0);
    });
  }

  it('a combinational loop names every signal of the chain with its line', () => {
    const { errors } = diagnose(wrongDesigns['comb-loop']!);
    const msg = errors[0]!.message;
    const pLine = fixtureLines.findIndex((l) => l.includes("m.wire('p'")) + 1;
    const qLine = fixtureLines.findIndex((l) => l.includes("m.wire('q'")) + 1;
    assert.match(msg, new RegExp(`p \\(${fixtureFile}:${pLine}:\\d+\\) <- q \\(${fixtureFile}:${qLine}:\\d+\\) <- p`));
  });

  it('a loop through an instance shows the instance ports in the chain', () => {
    const { errors } = diagnose(wrongDesigns['comb-loop-through-instance']!);
    assert.match(errors[0]!.message, /back .*<- u_pass_y .*<- u_pass_a .*<- back/);
  });

  it('connect() says when its arguments look swapped, for streams and AXI alike', () => {
    // Would fail if connect() only reported "cannot drive", leaving the user to guess why.
    for (const name of ['connect-swapped', 'axi-swapped']) {
      const { errors } = diagnose(wrongDesigns[name]!);
      assert.match(errors[0]!.message, /look swapped; write connect\(/, name);
    }
    const { errors } = diagnose(wrongDesigns['connect-payload-type']!);
    assert.match(errors[0]!.message, /carries SInt\(16\) but .* carries SInt\(17\)/);
  });

  it('memories with a depth that is not a power of two accept addresses that provably stay below it, or a declared bound', () => {
    // The rejection is tested by memory-odd-depth-unbounded; this shows the rule is not "never".
    const ok = (name: string, body: (m: ModuleBuilder, d: Signal, sel: Signal) => void) => defineModule(name, (m) => {
      const d = m.input('d', UInt(8));
      const sel = m.input('sel', Bool());
      body(m, d, sel);
      return { d, sel };
    });
    const designs = [
      ok('mem_const', (m, d, sel) => { const mem = m.memory('store', UInt(8), 5); m.when(sel, () => mem.write(lit(4, UInt(3)), d)); m.unused(mem.read(lit(0, UInt(3)))); }),
      ok('mem_mux', (m, d, sel) => { const mem = m.memory('store', UInt(8), 5); mem.write(mux(sel, lit(4, UInt(3)), lit(1, UInt(3))), d); m.unused(mem.read(lit(2, UInt(3)))); }),
      ok('mem_mask', (m, d, sel) => { const mem = m.memory('store', UInt(8), 6); mem.write(d.bits(2, 0).and(3), d); m.unused(mem.read(d.bits(2, 0).and(5)), sel); }),
      ok('mem_bound', (m, d, sel) => { const mem = m.memory('store', UInt(8), 5, { addressesInRange: true }); mem.write(d.bits(2, 0), d); m.unused(mem.read(d.bits(2, 0)), sel); }),
    ];
    for (const def of designs) assert.deepEqual(checkDesign(def).errors, [], def.name);
  });

  it('a design module named like a black box it uses takes a suffix, so the two never clash in one file set', () => {
    const top = defineModule('vendor_dp_ram', (m) => {
      const y = m.output('y', UInt(12));
      const u = m.instance('u_user', ramUser());
      u.we.set(false);
      u.addr.set(0);
      u.data.set(0);
      y.set(u.q);
      return { y };
    });
    assert.deepEqual([...emitVerilog(top).files.keys()], ['ram_user.v', 'vendor_dp_ram_1.v']);
  });

  it('the thrown error is a one-line-per-problem UserError naming file:line:col', () => {
    try {
      wrongDesigns.width!();
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof DesignError);
      assert.equal(e.name, 'UserError');
      assert.match(e.message, new RegExp(`^${fixtureFile}:${expectation('width').line}:\\d+: error \\[width\\] in module bad_width: y is UInt\\(8\\) but the value is UInt\\(9\\)`));
      assert.equal(e.message.split('\n').length, 1);
    }
  });
});
