/**
 * Protocol faults injected into a copy of the committed tiny sparse engine (one
 * line of its Verilog each), co-simulated as `cosim` does: every fault must be
 * caught by the monitors with the rule it breaks. These are the faults of the
 * protocol-verification issue: completion before a response, DONE with work
 * outstanding, VALID dropped, payload changed while stalled, a burst across
 * 4 KiB, a wrong WLAST. One of them also goes through runCosim end to end, for
 * the report, the console summary and the VCD around the first violation.
 */
import { strict as assert } from 'node:assert';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { getPreset } from '../../engine/config.ts';
import type { EngineMode } from '../../engine/jobs.ts';
import { formatCosimReport, runCosim } from '../../sim/cosim.ts';
import { measureLayer } from '../../sim/engine/measure.ts';
import { prepareTestbench, runSimJob } from '../../sim/harness/run.ts';
import type { RuleId } from '../../sim/harness/rules.ts';
import { syntheticStimulus } from '../../sim/stimulus.ts';
import { rtlFiles } from '../engine-rtl/helpers.ts';

interface Fault {
  name: string;
  file: string;
  from: RegExp;
  to: string;
  rule: RuleId;
  mode: EngineMode;
  stall?: number;
  padBeats?: number;
}

const FAULTS: Fault[] = [
  {
    name: 'completion before a response: DONE does not wait for the G write-back',
    file: 'sparse_bwd_engine.v',
    from: /assign drained = \(\(u_lanes_idle & u_g_writer_idle\) & \(read_bursts == 5'd0\)\);/,
    to: "assign drained = (u_lanes_idle & (read_bursts == 5'd0));",
    rule: 'DONE-WRITES',
    mode: 'weight',
  },
  {
    name: 'DONE with work outstanding: DONE as soon as the vectors are counted',
    file: 'sparse_bwd_engine.v',
    from: /assign drained = \(\(u_lanes_idle & u_g_writer_idle\) & \(read_bursts == 5'd0\)\);/,
    to: "assign drained = 1'b1;",
    rule: 'DONE-WRITES',
    mode: 'weight',
  },
  {
    // Only while ARREADY is low, so the engine's own view of the handshake stays right.
    name: 'VALID dropped: a waiting ARVALID falls whenever the result sink is shut',
    file: 'sparse_bwd_engine.v',
    from: /assign m_axi_arvalid = u_row_fetch_ar_valid;/,
    to: 'assign m_axi_arvalid = u_row_fetch_ar_valid & (m_axi_arready | m_axis_res_tready);',
    rule: 'AXI-VALID-HOLD',
    mode: 'data',
    stall: 0.4,
  },
  {
    name: 'payload changed while stalled: ARADDR moves while ARREADY is low',
    file: 'sparse_bwd_engine.v',
    from: /assign m_axi_araddr = u_row_fetch_ar_addr;/,
    to: "assign m_axi_araddr = u_row_fetch_ar_addr + (m_axi_arready ? 32'd0 : 32'd16);",
    rule: 'AXI-PAYLOAD-HOLD',
    mode: 'data',
    stall: 0.4,
  },
  {
    name: 'a burst across 4 KiB: the burst splitter forgets pages',
    file: 'sbe_row_fetch.v',
    // The first burst's distance to the page end, forgotten: it takes a whole page.
    from: /assign _GEN_3 = \(9'd256 - \{1'b0, ar_start_addr\[11:4\]\}\);/,
    to: "assign _GEN_3 = 9'd256;",
    rule: 'AXI4-4KB',
    mode: 'weight',
    // Rows of 3 beats at a stride of 5 (K = 5 int64 → 40 bytes on a 16-byte bus, padded by 2 beats):
    // row 51 starts 16 bytes before a page boundary.
    padBeats: 2,
  },
  {
    name: 'a wrong WLAST: every write beat is marked last',
    file: 'sbe_g_writer.v',
    from: /assign w_last = w_last_beat;/,
    to: "assign w_last = 1'b1;",
    rule: 'AXI4-WLAST',
    mode: 'weight',
  },
];

describe('sim: protocol faults injected into the tiny sparse engine are caught', function () {
  const cfg = getPreset('tiny');
  const problem = syntheticStimulus(cfg, 'dense', 3).problem;
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sg-engine-faults-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A copy of the committed sparse engine with one line replaced; the folder holds one top, as --rtl takes. */
  function faultyCopy(f: Fault, name: string): string[] {
    const out = join(dir, name, 'sparse_bwd_engine');
    mkdirSync(out, { recursive: true });
    const files = rtlFiles('tiny', 'sparse_bwd_engine').map((src) => {
      const to = join(out, basename(src));
      copyFileSync(src, to);
      return to;
    });
    // The manifest travels with the Verilog: the harness takes the top's interfaces from it.
    copyFileSync(join(dirname(rtlFiles('tiny', 'sparse_bwd_engine')[0]!), 'manifest.json'), join(out, 'manifest.json'));
    const target = files.find((x) => basename(x) === f.file)!;
    const text = readFileSync(target, 'utf8');
    assert.match(text, f.from, `${f.file} still has the line the fault replaces`);
    writeFileSync(target, text.replace(f.from, f.to));
    return files;
  }

  FAULTS.forEach((f, i) => {
    it(`${f.name} → ${f.rule}`, async () => {
      const tb = await prepareTestbench({ top: 'sparse_bwd_engine', rtlFiles: faultyCopy(f, `f${i}`) });
      const m = await measureLayer(cfg, problem, f.mode, (job) => runSimJob(tb, job), {
        memLatency: 12, stallProbability: f.stall ?? 0, backpressure: 'random', seed: 5, padBeats: f.padBeats,
      });
      assert.equal(m.pass, false);
      assert.ok(m.violations.some((v) => v.rule === f.rule), `no ${f.rule} among ${m.violations.map((v) => v.rule).join(', ') || 'nothing'}`);
    });
  });

  it('the committed engine passes the same jobs (the faults, not the jobs, trip the monitors)', async () => {
    const tb = await prepareTestbench({ top: 'sparse_bwd_engine', rtlFiles: rtlFiles('tiny', 'sparse_bwd_engine') });
    for (const f of FAULTS) {
      const m = await measureLayer(cfg, problem, f.mode, (job) => runSimJob(tb, job), {
        memLatency: 12, stallProbability: f.stall ?? 0, backpressure: 'random', seed: 5, padBeats: f.padBeats,
      });
      assert.deepEqual(m.violations, [], f.name);
      assert.ok(m.pass, f.name);
    }
  });

  it('cosim reports a violation with its rule, channel, cycle and values, and writes a VCD around it', async () => {
    const rtl = join(dir, 'cosim-rtl');
    const f = FAULTS[0]!;
    const files = faultyCopy(f, 'cosim-rtl');
    assert.ok(files.length > 0);
    const out = join(dir, 'cosim-out');
    const { report } = await runCosim({ preset: 'tiny', synthetic: 'dense', rtl, mode: 'weight', backpressure: 'none', memLatency: 12, seed: 3, dense: false, vcdWindow: 50, out });
    assert.equal(report.pass, false);
    assert.equal(report.mismatches, 0, 'a premature DONE still leaves the right G in memory by the end');
    assert.ok(report.violations > 0);
    const v = report.violationList[0]!;
    assert.equal(v.rule, 'DONE-WRITES');
    assert.equal(v.channel, 'm_axi_b');
    assert.match(v.detail, /write bursts/);
    assert.ok(v.cycle > 0 && v.ref.length > 0 && /sparse weight/.test(v.run));
    assert.match(report.firstViolation ?? '', /DONE-WRITES .* m_axi_b cycle \d+/);
    assert.equal(report.violationVcd, 'cosim-violation.vcd');
    const vcd = readFileSync(join(out, 'cosim-violation.vcd'), 'utf8');
    const times = [...vcd.matchAll(/^#(\d+)$/gm)].map((x) => Number(x[1]));
    assert.ok(Math.min(...times) <= v.cycle * 10 && Math.max(...times) >= v.cycle * 10, 'the window covers the violation');
    assert.ok(existsSync(join(out, 'cosim-report.json')));
    assert.match(formatCosimReport(report, out), /protocol violations; first: sparse weight .*DONE-WRITES/);
  });
});
