/**
 * The hostile host (sim/engine/hostile.ts) on the committed tiny engines: random
 * writes to every register right after each START, under backpressure. The engine
 * must answer SLVERR exactly while BUSY, keep every bus rule, and stay bit-exact.
 * The same stimulus on an engine whose register block takes writes while BUSY and
 * answers OKAY (the engine before writes were refused, re-made by patching the
 * committed RTL) must fail: that is what makes the check worth having.
 */
import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { CTRL_CLEAR_COUNTERS, CTRL_START, JOB_REGS, LITE_SLVERR, REG } from '../../engine/registers.ts';
import { getPreset } from '../../engine/config.ts';
import type { EngineMode } from '../../engine/jobs.ts';
import { measureLayer } from '../../sim/engine/measure.ts';
import { checkPokes, READ_ONLY, UNMAPPED } from '../../sim/engine/hostile.ts';
import { describeViolation } from '../../sim/harness/rules.ts';
import { prepareTestbench, runSimJob, type Testbench } from '../../sim/harness/run.ts';
import { syntheticStimulus } from '../../sim/stimulus.ts';
import { rtlFiles } from '../engine-rtl/helpers.ts';
import { testSeed } from './seed.ts';

describe('sim: the hostile host against the tiny engines', function () {
  const cfg = getPreset('tiny');
  let tb: Testbench;
  /** Refuses writes while BUSY but answers OKAY. */
  let silent: Testbench;
  /** Takes writes while BUSY and answers OKAY (the engine before writes were refused). */
  let yielding: Testbench;
  let dir: string;
  const seed = testSeed('hostile host');

  before(async () => {
    tb = await prepareTestbench({ top: 'sparse_bwd_engine', rtlFiles: rtlFiles('tiny', 'sparse_bwd_engine') });
    dir = mkdtempSync(join(tmpdir(), 'sg-hostile-'));
    // A copy of the committed RTL with sbe_regs.v patched by `edits` (each must match).
    const faulty = async (name: string, edits: [RegExp, string][]): Promise<Testbench> => {
      const files = rtlFiles('tiny', 'sparse_bwd_engine').map((f) => {
        const to = join(dir, name, basename(f));
        mkdirSync(join(dir, name), { recursive: true });
        copyFileSync(f, to);
        return to;
      });
      // The manifest travels with the Verilog: the harness takes the top's interfaces from it.
      copyFileSync(join(dirname(rtlFiles('tiny', 'sparse_bwd_engine')[0]!), 'manifest.json'), join(dir, name, 'manifest.json'));
      const regs = files.find((f) => f.endsWith('sbe_regs.v'))!;
      let text = readFileSync(regs, 'utf8');
      for (const [from, to] of edits) {
        assert.match(text, from, `sbe_regs.v has ${from}`);
        text = text.replace(from, to);
      }
      writeFileSync(regs, text);
      return prepareTestbench({ top: 'sparse_bwd_engine', rtlFiles: files });
    };
    const okay: [RegExp, string] = [/assign bresp = \{refused_r, 1'b0\};/, "assign bresp = 2'b00;"];
    silent = await faulty('silent', [okay]);
    yielding = await faulty('yielding', [okay, [/assign w_take = \(w_pending & \(~busy_r\)\);/, 'assign w_take = w_pending;']]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (bench: Testbench, mode: EngineMode, backpressure: 'random' | 'bursty') => {
    const st = syntheticStimulus(cfg, 'hostile', seed);
    assert.equal(st.hostile, true);
    let pokes: Awaited<ReturnType<typeof runSimJob>>['pokes'] = [];
    return measureLayer(cfg, st.problem, mode, async (job) => {
      const r = await runSimJob(bench, job);
      pokes = r.pokes;
      return r;
    }, { memLatency: 5, backpressure, seed, hostile: { seed } }).then((m) => ({ m, pokes }));
  };

  for (const [mode, bp] of [['data', 'random'], ['weight', 'bursty']] as const) {
    it(`refuses every write while BUSY with SLVERR and stays bit-exact and within the bus rules (${mode} mode, ${bp} backpressure)`, async () => {
      const { m, pokes } = await run(tb, mode, bp);
      assert.deepEqual(m.comparison.formatErrors, []);
      assert.equal(m.comparison.mismatchCount, 0);
      assert.deepEqual(m.violations.map(describeViolation), []);
      assert.ok(m.pass);
      // The stimulus did what it is for: refused writes, accepted ones, and START / CLEAR_COUNTERS while busy.
      assert.ok(pokes.some((p) => p.resp === LITE_SLVERR), 'some pokes were refused');
      assert.ok(pokes.some((p) => p.resp === 0 && !(p.addr === REG.CTRL && p.data === CTRL_START)), 'some pokes found the engine idle');
      assert.ok(pokes.some((p) => p.resp === LITE_SLVERR && p.addr === REG.CTRL && (p.data & (CTRL_START | CTRL_CLEAR_COUNTERS)) !== 0), 'START or CLEAR_COUNTERS was poked while busy');
      const hit = (addrs: readonly number[]) => pokes.some((p, i) => i > 0 && p.resp === LITE_SLVERR && addrs.includes(p.addr));
      assert.ok(hit(JOB_REGS), 'a job register was poked while busy');
      assert.ok(hit(READ_ONLY), 'a read-only register was poked while busy');
      assert.ok(hit([...UNMAPPED]), 'an unmapped address was poked while busy');
    });
  }

  it('flags an engine that refuses writes while BUSY but answers them OKAY', async () => {
    const { m } = await run(silent, 'data', 'random');
    assert.equal(m.pass, false);
    assert.ok(m.comparison.formatErrors.some((e) => /^hostile: job \d+ poke \d+ .* answered BRESP=0, expected SLVERR/.test(e)), m.comparison.formatErrors.join('\n'));
    // Nothing else is wrong with it: the refused writes changed nothing.
    assert.equal(m.comparison.mismatchCount, 0);
  });

  it('fails on an engine that takes writes while BUSY (the engine before writes were refused)', async () => {
    // Which way it fails depends on the pokes (a hang, wrong results, a broken bus rule or wrong answers); it must fail.
    const { m } = await run(yielding, 'data', 'random');
    assert.equal(m.pass, false);
  });

  it('checks each poke against the busy window of its job', () => {
    const pokes = [
      { addr: 0, data: 1, cycle: 100, resp: 0, bCycle: 101 }, // START: c0 = 100
      { addr: 0x0c, data: 5, cycle: 101, resp: 2, bCycle: 103 }, // first busy cycle: SLVERR
      { addr: 0x0c, data: 5, cycle: 110, resp: 2, bCycle: 111 }, // last busy cycle (CYCLES_BUSY 10): SLVERR
      { addr: 0x0c, data: 5, cycle: 111, resp: 0, bCycle: 112 }, // after DONE: OKAY
    ];
    assert.deepEqual(checkPokes(pokes, [4], [10]), []);
    // Off by one either way is caught.
    assert.equal(checkPokes(pokes, [4], [9]).length, 1);
    assert.equal(checkPokes(pokes, [4], [11]).length, 1);
    assert.match(checkPokes([{ ...pokes[0]!, resp: 2 }, ...pokes.slice(1)], [4], [10])[0]!, /START answered BRESP=2/);
    assert.match(checkPokes(pokes.slice(0, 3), [4], [10])[0]!, /logged 3 of its 4 pokes/);
  });
});
