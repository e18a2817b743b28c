/**
 * The formal flow (formal/): broken designs are refuted with a counterexample
 * VCD that names the rule's TypeScript line; correct ones and the tiny
 * engine's leaf modules are proven; the whole tiny sparse engine shows the
 * counterexample of issue 19 (result TVALID dropped after a MODE write).
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { planDesignJobs, planJobs } from '../../formal/plan.ts';
import { prove, type ProofResult } from '../../formal/run.ts';
import { getPreset } from '../../golden/engine-model/config.ts';
import type { ModuleDef } from '../../generator/core/module.ts';
import { COUNTER_ASSERT_MESSAGE, burstMaster, limitedCounter, overflowingFifo, streamSource } from './fixtures/broken-designs.ts';

const work = mkdtempSync(join(tmpdir(), 'sparsegrad-formal-'));
const opts = { depth: 12, unbounded: true, timeout: 60, workDir: work };

async function proveDesign(def: ModuleDef): Promise<ProofResult> {
  const [job] = planDesignJobs(def, 'fixture', opts);
  return prove(job!);
}

/** A refuted design: BMC failed, the VCD exists, and the failing property is the expected rule at the expected TS file. */
function assertRefuted(r: ProofResult, rule: RegExp, file: RegExp): void {
  assert.equal(r.bmc, 'failed', `expected a counterexample, got ${JSON.stringify(r)}`);
  assert.ok(r.vcd && existsSync(join(work, r.label, r.vcd)), 'counterexample VCD written');
  assert.ok(r.failures.some((f) => rule.test(f.message) && file.test(f.source)), `failures ${JSON.stringify(r.failures)} name ${rule} at ${file}`);
}

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

  it('a FIFO pushed while full breaks its overflow invariant (stated in generator/designs/hw.ts)', async () => {
    assertRefuted(await proveDesign(overflowingFifo()), /FIFO q: no push into a full FIFO/, /generator\/designs\/hw\.ts:\d+/);
  });

  it('a design assertion names its own line (m.assert)', async () => {
    const src = readFileSync(new URL('./fixtures/broken-designs.ts', import.meta.url), 'utf8').split('\n');
    const line = src.findIndex((l) => l.includes('COUNTER_ASSERT_MESSAGE);')) + 1;
    assertRefuted(await proveDesign(limitedCounter(9)), new RegExp(COUNTER_ASSERT_MESSAGE), new RegExp(`broken-designs\\.ts:${line}:`));
    const ok = await proveDesign(limitedCounter(4));
    assert.equal(ok.proof, 'proven');
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

  it('refutes the whole sparse engine under any legal AXI4-Lite traffic: result TVALID drops after a MODE write (issue 19)', async () => {
    const [job] = planJobs(getPreset('tiny'), { variants: ['sparse'], modules: ['sparse_bwd_engine'], ...opts, depth: 20, unbounded: false, only: 'm_axis_res' });
    const r = await prove(job!);
    assertRefuted(r, /m_axis_res: once VALID is high it stays high until READY/, /generator\/designs\/engine\.ts:\d+/);
  });

  it('the command prints one line for a bad flag', async () => {
    const r = await execa('bin/sparsegrad', ['formal', '--preset', 'tiny', '--depth', '0', '--out', work], { reject: false });
    assert.equal(r.exitCode, 1);
    assert.equal(r.stderr.trim(), "sparsegrad: error: --depth expects an integer ≥ 1, got '0'");
  });
});
