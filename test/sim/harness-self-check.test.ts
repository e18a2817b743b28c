/**
 * The harness holds its own masters to the reset rules it holds the design to
 * (AXI4 A3.1.2, AXI4-Stream 2.7.2: no VALID during reset or in the first cycle
 * after it). Its stream sources, AXI4-Lite master and memory stay quiet in cycle 0,
 * and a harness that drove VALID early anyway fails the run as a HarnessBug naming
 * the rule, never as a violation of the design. The early drive is injected into the
 * harness itself (MonitorOptions.harnessFault, a test-only knob of the job).
 */
import { strict as assert } from 'node:assert';
import { encodeBeats } from '../../sim/harness/beats.ts';
import type { SimJob } from '../../sim/harness/job.ts';
import { HarnessBug, RULES } from '../../sim/harness/rules.ts';
import { prepareTestbench, runSimJob, type Testbench } from '../../sim/harness/run.ts';
import { AXI_COPY, AXI_COPY_DESCRIPTION, AXIS_INCR, AXIS_INCR_DESCRIPTION } from './fixtures.ts';

type Fault = NonNullable<NonNullable<SimJob['monitors']>['harnessFault']>;

const streamJob = (harnessFault?: Fault): SimJob => ({
  inputs: { in: encodeBeats([1n, 2n, 3n].map((data) => ({ data, last: data === 3n })), 72) },
  script: [],
  memory: { load: [], dump: [] },
  backpressure: 'none',
  seed: 1,
  cycleLimit: 1000,
  ...(harnessFault ? { monitors: { harnessFault } } : {}),
});

/** axi_copy: program a plain 4-beat copy, start it and wait for DONE; the script opens with a write (AW and W). */
const copyJob = (harnessFault?: Fault): SimJob => ({
  inputs: {},
  script: [
    { op: 'write', addr: 0x08, data: 0x000 },
    { op: 'write', addr: 0x0c, data: 0x100 },
    { op: 'write', addr: 0x10, data: 4 },
    { op: 'write', addr: 0x14, data: 0 },
    { op: 'write', addr: 0x18, data: 4 },
    { op: 'write', addr: 0x00, data: 1 },
    { op: 'wait', addr: 0x04, mask: 2, value: 2 },
  ],
  memory: { load: [{ base: 0, data: Uint8Array.from({ length: 32 }, (_, i) => i) }], dump: [{ name: 'dst', base: 0x100, bytes: 32 }], latency: 3 },
  backpressure: 'none',
  seed: 1,
  cycleLimit: 10_000,
  ...(harnessFault ? { monitors: { harnessFault } } : {}),
});

/** The HarnessBug the run must fail with; fails the test when the run passes or fails otherwise. */
async function harnessBug(tb: Testbench, job: SimJob): Promise<HarnessBug> {
  let caught: unknown;
  await runSimJob(tb, job).then(
    (r) => assert.fail(`the early VALIDs went unnoticed (violations of the design: ${r.protocolErrors.join(' | ') || 'none'})`),
    (e: unknown) => (caught = e),
  );
  assert.ok(caught instanceof HarnessBug, String(caught));
  assert.match(caught.message, /^harness bug \(not the design's\): the testbench of \w+ broke the rules it checks on its own ports: /);
  return caught;
}

/** rule channel @cycle (when), one per finding, for comparing whole lists. */
const findings = (e: HarnessBug): string[] => e.violations.map((v) => `${v.rule} ${v.channel} @${v.cycle} ${/during reset/.test(v.detail) ? 'reset' : /first cycle after reset/.test(v.detail) ? 'first' : v.detail}`);

describe('sim harness: its own masters at reset (self-check)', function () {
  let incr: Testbench;
  let copy: Testbench;
  before(async () => {
    incr = await prepareTestbench({ top: 'axis_incr', rtlFiles: [AXIS_INCR], description: AXIS_INCR_DESCRIPTION });
    copy = await prepareTestbench({ top: 'axi_copy', rtlFiles: [AXI_COPY], description: AXI_COPY_DESCRIPTION });
  });

  it('offers nothing in the first cycle after reset: the stream source and the AXI4-Lite master start in cycle 1', async () => {
    const s = await runSimJob(incr, streamJob());
    assert.deepEqual(s.protocolErrors, []);
    // Three beats at full rate from cycle 1: the input is done after cycle 3, so cycles is 4 (3 if a beat went in cycle 0).
    assert.equal(s.cycles, 4);
    const c = await runSimJob(copy, copyJob());
    assert.deepEqual(c.protocolErrors, []);
    assert.equal(c.timedOut, false, c.timeoutDetail);
    assert.deepEqual(Array.from(c.dumps.dst!), Array.from({ length: 32 }, (_, i) => i));
  });

  it('fails as a harness bug when its stream source raises TVALID in the first cycle after reset (AXIS-RESET-TVALID)', async () => {
    const e = await harnessBug(incr, streamJob('first-cycle'));
    assert.deepEqual(findings(e), ['AXIS-RESET-TVALID s_axis_in @0 first']);
    assert.equal(e.violations[0]!.ref, RULES['AXIS-RESET-TVALID'].ref);
    assert.match(e.message, /AXIS-RESET-TVALID \(AXI4-Stream 2\.7\.2\) s_axis_in cycle 0: the harness's source drove TVALID high in the first cycle after reset/);
  });

  it('fails as a harness bug when its stream source raises TVALID during reset', async () => {
    const e = await harnessBug(incr, streamJob('in-reset'));
    // Every reset edge, then cycle 0 (the Errors list keeps the first 64, all of one rule here).
    assert.deepEqual(new Set(findings(e)), new Set(['AXIS-RESET-TVALID s_axis_in @0 reset', 'AXIS-RESET-TVALID s_axis_in @0 first']));
  });

  it('fails as a harness bug when its AXI4-Lite master and memory raise VALID in the first cycle after reset (AXI-RESET-VALID)', async () => {
    const e = await harnessBug(copy, copyJob('first-cycle'));
    assert.deepEqual(findings(e), ['AXI-RESET-VALID s_axil_aw @0 first', 'AXI-RESET-VALID s_axil_w @0 first', 'AXI-RESET-VALID m_axi_r @0 first', 'AXI-RESET-VALID m_axi_b @0 first']);
    assert.ok(e.violations.every((v) => v.ref === RULES['AXI-RESET-VALID'].ref));
  });

  it('fails as a harness bug when its AXI4-Lite master and memory raise VALID during reset', async () => {
    const e = await harnessBug(copy, copyJob('in-reset'));
    const kinds = new Set(findings(e));
    for (const ch of ['s_axil_aw', 's_axil_w', 'm_axi_r', 'm_axi_b']) assert.ok(kinds.has(`AXI-RESET-VALID ${ch} @0 reset`), `${ch} during reset: ${[...kinds].join(', ')}`);
  });
});
