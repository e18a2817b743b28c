/**
 * The formal flow (formal/): broken designs are refuted with a counterexample
 * VCD that names the rule's TypeScript line; correct ones and the tiny
 * engine's leaf modules are proven; the whole tiny sparse engine keeps its
 * result stream's TVALID under any AXI4-Lite traffic, and shows the
 * counterexample of issue 19 (TVALID dropped after a MODE write) when the
 * register block is made to take writes while BUSY again.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { planDesignJobs, planJobs } from '../../formal/plan.ts';
import { prove, type ProofJob, type ProofResult } from '../../formal/run.ts';
import { modulePasses } from '../../formal/cli.ts';
import { getPreset } from '../../engine/config.ts';
import { defineModule, type ModuleDef } from '../../generator/core/module.ts';
import { Bool, UInt } from '../../generator/core/types.ts';
import { requireTool } from '../../toolchain/index.ts';
import { COUNTER_ASSERT_MESSAGE, HOLD_PROMISE, burstMaster, heldBeatConsumer, coveredCounter, limitedCounter, overflowingFifo, promisedChild, silencedSink, streamSource } from './fixtures/broken-designs.ts';

const work = mkdtempSync(join(tmpdir(), 'sparsegrad-formal-'));
const opts = { depth: 12, coverDepth: 12, unbounded: true, timeout: 60, workDir: work };

async function proveDesign(def: ModuleDef): Promise<ProofResult> {
  const [job] = planDesignJobs(def, 'fixture', opts);
  return prove(job!);
}

/** The proof of a parent alone (its wrapper asserts what its children assume over what it connects). */
async function proveParent(def: ModuleDef): Promise<ProofResult> {
  const job = planDesignJobs(def, 'fixture', opts).find((j) => j.wrapper.module === def.name);
  assert.ok(job, `a proof job for ${def.name}`);
  return prove(job);
}

/** A refuted design: BMC failed, the VCD exists, and the failing property is the expected rule at the expected TS file. */
function assertRefuted(r: ProofResult, rule: RegExp, file: RegExp): void {
  assert.equal(r.bmc, 'failed', `expected a counterexample, got ${JSON.stringify(r)}`);
  assert.ok(r.vcd && existsSync(r.vcd), 'counterexample VCD written');
  assert.ok(r.failures.some((f) => rule.test(f.message) && file.test(f.source)), `failures ${JSON.stringify(r.failures)} name ${rule} at ${file}`);
}

describe('formal: properties in the DSL', () => {
  // Each misuse would otherwise emit a wrapper whose check means something other than the user wrote.
  it('refuses a property inside when(), naming the line', () => {
    assert.throws(() => defineModule('bad_when', (m) => {
      const a = m.input('a', Bool());
      const y = m.output('y', Bool());
      y.set(a);
      m.when(a, () => m.assert(a, 'a holds'));
      return { a, y };
    }), /formal\.test\.ts:\d+:\d+: error \[structure\].*m\.assert\(\) inside when\(\)\/switch\(\): state it at the module's top level/);
  });

  it('refuses a condition wider than one bit and an empty message', () => {
    const build = (wide: boolean, msg: string) => () => defineModule('bad_prop', (m) => {
      const a = m.input('a', UInt(3));
      const y = m.output('y', UInt(3));
      y.set(a);
      m.assert(wide ? a : a.ne(0), msg);
      return { a, y };
    });
    assert.throws(build(true, 'x'), /m\.assert\(\) condition must be 1 bit wide, got UInt\(3\)/);
    assert.throws(build(false, ' '), /m\.assert\(\) needs a message/);
  });

  it('keeps the design Verilog free of properties and puts them, with their lines, in the wrapper', async () => {
    const [job] = planDesignJobs(limitedCounter(9), 'fixture', opts);
    const verilog = [...job!.files.values()].join('\n');
    assert.doesNotMatch(verilog, /assert|FORMAL/);
    assert.match(job!.wrapper.text, /\/\/ P1 assert test\/formal\/fixtures\/broken-designs\.ts:\d+:\d+: the counter stays below 5\n {2}always @\* if \(!_f_rst\) assert\(/);
    assert.deepEqual(job!.wrapper.expose, ['c']);
  });

  it('says how to install the model checker when it is missing', () => {
    assert.throws(() => requireTool('yosys-abc', { PATH: '/nonexistent' }), /^UserError: yosys-abc is not installed: run scripts\/setup \(or apt-get install yosys\)$/);
  });
});

describe('formal: broken designs are refuted with a counterexample naming the TypeScript line', () => {
  it('keeps a correct AXI4-Stream source (so the refutations below are not the flow failing everything)', async () => {
    const r = await proveDesign(streamSource('none'));
    assert.equal(r.bmc, 'passed');
    assert.equal(r.proof, 'proven');
  });

  // Each fault below breaks one rule; without the rule's check the run would pass like the correct source.
  it('VALID dropped before READY', async () => {
    assertRefuted(await proveDesign(streamSource('dropValid')), /m_axis_out: once VALID is high it stays high until READY/, /test\/formal\/fixtures\/broken-designs\.ts:\d+/);
  });

  it('payload changed while stalled', async () => {
    assertRefuted(await proveDesign(streamSource('changeWhileStalled')), /m_axis_out: data, last stable while VALID && !READY/, /broken-designs\.ts/);
  });

  it('a burst across a 4 KiB boundary', async () => {
    const good = await proveDesign(burstMaster(0xf00, 16));
    assert.equal(good.bmc, 'passed', `0xf00 + 16 × 16 bytes ends at the page boundary: ${JSON.stringify(good.failures)}`);
    assertRefuted(await proveDesign(burstMaster(0xf10, 16)), /AR: a burst does not cross a 4 KiB boundary/, /broken-designs\.ts/);
  });

  it('WLAST on the wrong beat', async () => {
    assertRefuted(await proveDesign(burstMaster(0x100, 4, true)), /W: WLAST on the LEN\+1'th beat/, /broken-designs\.ts/);
  });

  it('a producer pushing into a full library queue breaks its own rule (the queue itself takes no beat without ready)', async () => {
    assertRefuted(await proveDesign(overflowingFifo()), /q: every beat offered is taken/, /broken-designs\.ts:\d+/);
  });

  it('a design assertion names its own line (m.assert)', async () => {
    const src = readFileSync(new URL('./fixtures/broken-designs.ts', import.meta.url), 'utf8').split('\n');
    const line = src.findIndex((l) => l.includes('COUNTER_ASSERT_MESSAGE);')) + 1;
    assertRefuted(await proveDesign(limitedCounter(9)), new RegExp(COUNTER_ASSERT_MESSAGE), new RegExp(`broken-designs\\.ts:${line}:`));
    const ok = await proveDesign(limitedCounter(4));
    assert.equal(ok.proof, 'proven');
  });
});

describe('formal: cover goals show the proofs are not vacuous', () => {
  it('reaches the handshake of a correct stream source, and a design cover goal, at the step a trace needs', async () => {
    const src = await proveDesign(streamSource('none'));
    assert.deepEqual(src.coverage.map((c) => [c.status, /m_axis_out: a handshake can happen/.test(c.message)]), [['reached', true]]);
    const counter = await proveDesign(coveredCounter(4, 4));
    // Reset in step 0, then one increment a step: c = 4 is first seen in step 5.
    assert.deepEqual(counter.coverage.map((c) => [c.status, c.reachedAt]), [['reached', 5]]);
  });

  it('fails a run whose assumptions exclude every handshake, though its assertion "holds"', async () => {
    // Without the cover check this design passes: its assertion is proven, but only because the
    // assumption leaves no trace with a beat in it.
    const r = await proveDesign(silencedSink());
    assert.equal(r.proof, 'proven');
    assert.deepEqual(r.coverage.map((c) => [c.status, /s_axis_in: a handshake can happen/.test(c.message)]), [['unreached', true]]);
    assert.equal(modulePasses(r), false);
  });

  it('checks what a child assumes as an assertion in its parent: the promise kept passes, the promise broken fails at the child\'s line', async () => {
    assert.equal((await proveParent(promisedChild(true))).proof, 'proven');
    assertRefuted(await proveParent(promisedChild(false)), /u_child assumes: go comes only while the child is not busy/, /broken-designs\.ts/);
  });

  it('checks a promise about the next cycle (m.assumeNext) in the parent: a producer that holds its beat passes, one that drops it fails at the child\'s line', async () => {
    assert.equal((await proveParent(heldBeatConsumer(true))).proof, 'proven');
    assertRefuted(await proveParent(heldBeatConsumer(false)), new RegExp(`u_consumer assumes: ${HOLD_PROMISE}`), /broken-designs\.ts/);
  });

  it('refuses an assumption over a module\'s insides, which its parent could not check', () => {
    assert.throws(() => defineModule('bad_assume', (m) => {
      const a = m.input('a', Bool());
      const y = m.output('y', Bool());
      const r = m.reg('r', Bool(), { reset: false });
      r.set(a);
      y.set(r);
      m.assume(r.not(), 'r stays low');
      return { a, y };
    }), /formal\.test\.ts:\d+:\d+: error \[structure\].*m\.assume\(\) reads r, which is inside bad_assume/);
  });

  it('reports a goal beyond the cover depth as unreached, and a goal the design cannot reach too', async () => {
    // c = 14 first shows in step 15, past the cover depth of 12.
    const far = await proveDesign(coveredCounter(15, 14));
    assert.deepEqual(far.coverage.map((c) => [c.status, c.note]), [['unreached', undefined]]);
    // A counter stopping at 4 never shows 9: BMC runs out of states, so no depth would do.
    const never = await proveDesign(coveredCounter(4, 9));
    assert.deepEqual(never.coverage.map((c) => [c.status, c.note]), [['unreached', 'unreachable at any depth']]);
    assert.ok(never.coverage[0]!.source.includes('broken-designs.ts'), never.coverage[0]!.source);
  });

  it('the whole tiny sparse engine reaches a handshake on every AXI channel under its assumptions', async () => {
    // Only the covers (the `only` text matches them alone): the safety of the top is checked above.
    const [job] = planJobs(getPreset('tiny'), { variants: ['sparse'], modules: ['sparse_bwd_engine'], ...opts, depth: 1, coverDepth: 36, unbounded: false, only: 'a handshake can happen' });
    const r = await prove(job!);
    assert.equal(r.coverage.length, 13, 'grad, act, res, AXI4-Lite AW/W/B/AR/R, AXI4 AR/R/AW/W/B');
    assert.deepEqual(r.coverage.filter((c) => c.status !== 'reached').map((c) => c.message), []);
  });
});

describe('formal: the tiny engines', () => {
  it('proves every leaf module of the tiny sparse and dense engines', async () => {
    const jobs = planJobs(getPreset('tiny'), { variants: ['sparse', 'dense'], modules: [], ...opts, depth: 10 })
      .filter((j) => !/_bwd_engine$/.test(j.wrapper.module));
    assert.equal(jobs.length, 14);
    for (const j of jobs) {
      const r = await prove(j);
      assert.equal(r.proof, 'proven', `${r.label}: ${JSON.stringify(r)}`);
    }
  });

  /** A fault injected into the emitted Verilog of a job (the text must still be there: update the injection if not). */
  function inject(job: ProofJob, file: string, from: string, to: string): ProofJob {
    const files = new Map(job.files);
    const text = files.get(file)!;
    assert.ok(text.includes(from), `${file} no longer holds '${from}': update the injected fault`);
    files.set(file, text.replace(from, to));
    return { ...job, files, dir: `${job.dir}-injected` };
  }
  // Issue 19's fault, injected back into the emitted register block: writes taken while BUSY.
  const withWritesWhileBusy = (job: ProofJob): ProofJob => inject(job, 'sbe_regs.v', 'assign w_take = (w_pending & (~busy_r));', 'assign w_take = w_pending;');

  it('the leaf invariants catch their faults: a wrapping beat number, a vector loaded into a held bank', async () => {
    const leaf = (m: string): ProofJob => planJobs(getPreset('tiny'), { variants: ['sparse'], modules: [m], ...opts, depth: 24, unbounded: false })[0]!;
    // Without the saturation, a vector longer than ⌈rMax/P⌉ beats wraps to row 0.
    assertRefuted(await prove(inject(leaf('sbe_threshold'), 'sbe_threshold.v', 'end else if ((beat < 5\'d16)) begin', 'end else if (1\'b1) begin')), /the beat number parks at 16/, /generator\/designs\/threshold\.ts:\d+/);
    // Without bank_free, the loader takes a beat for a bank the lanes still hold.
    assertRefuted(await prove(inject(leaf('sbe_act_loader'), 'sbe_act_loader.v', 'assign can_take = ((accept & bank_free) & (~held_valid));', 'assign can_take = (accept & (~held_valid));')), /a vector completes only into a free bank/, /generator\/designs\/act-loader\.ts:\d+/);
  });

  it('the register block: a refused write changes no job register (and the proof catches a block that takes it)', async () => {
    const [job] = planJobs(getPreset('tiny'), { variants: ['sparse'], modules: ['sbe_regs'], ...opts });
    assert.equal((await prove(job!)).proof, 'proven');
    assertRefuted(await prove(withWritesWhileBusy(job!)), /a write while BUSY is answered SLVERR and changes no job register/, /generator\/designs\/regs\.ts:\d+/);
  });

  it('the whole sparse engine keeps result TVALID under any legal AXI4-Lite traffic; with writes taken while BUSY it drops it (issue 19)', async () => {
    // Covers are checked on the whole engine below; here only the refutation matters. The first
    // result beat comes about 25 cycles after reset (register writes, the threshold's two stages,
    // the token slice, the lanes), so the bound is deeper than that.
    const [job] = planJobs(getPreset('tiny'), { variants: ['sparse'], modules: ['sparse_bwd_engine'], ...opts, depth: 28, coverDepth: 0, unbounded: false, only: 'm_axis_res' });
    const ok = await prove(job!);
    assert.equal(ok.bmc, 'passed', JSON.stringify(ok.failures));
    const r = await prove(withWritesWhileBusy(job!));
    assertRefuted(r, /m_axis_res: once VALID is high it stays high until READY/, /generator\/designs\/engine\.ts:\d+/);
  });

  it('the command prints its table and writes a deterministic formal-report.json', async () => {
    const out = join(work, 'cli');
    const run = () => execa('bin/sparsegrad', ['formal', '--preset', 'tiny', '--engine', 'sparse', '--module', 'sbe_act_loader', '--depth', '5', '--out', out], { reject: false });
    const r = await run();
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /sparse\/sbe_act_loader\s+3\s+1\s+-\s+5\s+proven/);
    const first = readFileSync(join(out, 'formal-report.json'), 'utf8');
    const report = JSON.parse(first) as { pass: boolean; modules: { label: string; proof: string }[] };
    assert.equal(report.pass, true);
    assert.deepEqual(report.modules.map((m) => [m.label, m.proof]), [['sparse/sbe_act_loader', 'proven']]);
    await run();
    assert.equal(readFileSync(join(out, 'formal-report.json'), 'utf8'), first);
  });

  it('the command prints one line for a bad flag', async () => {
    const r = await execa('bin/sparsegrad', ['formal', '--preset', 'tiny', '--depth', '0', '--out', work], { reject: false });
    assert.equal(r.exitCode, 2, 'a usage error (README, "Exit codes")');
    assert.equal(r.stderr.trim(), "sparsegrad: error: --depth expects an integer ≥ 1, got '0'");
  });
});
