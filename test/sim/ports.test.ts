/** Port grouping and the beat codec: no simulator needed. */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseVerilogHeaders } from '../../generator/verilog-header/index.ts';
import { decodeBeats, encodeBeats } from '../../sim/harness/beats.ts';
import { parseScript, scriptText } from '../../sim/harness/job-files.ts';
import { interfacesFromDescription, type HarnessPort } from '../../sim/harness/ports.ts';
import { readTopInterfaces } from '../../sim/harness/run.ts';
import type { TopDescription } from '../../generator/backend/manifest.ts';
import { UInt, blackBox, blackBoxManifest, streamIn, streamOut } from '../../generator/index.ts';
import { rtlFiles } from '../engine-rtl/helpers.ts';
import { generateTestbench } from '../../sim/harness/testbench.ts';
import { AXI_COPY, AXI_COPY_DESCRIPTION, AXIS_INCR, axisIncr } from './fixtures.ts';
import { testSeed } from './seed.ts';

const p = (name: string, direction: 'input' | 'output', width = 1): HarnessPort => ({ name, direction, width });
const clocked = { name: 't', clock: 'aclk', reset: { port: 'aresetn', activeLow: true } };
const stream = (name: string, role: 'master' | 'slave', prefix = role === 'slave' ? 's_axis' : 'm_axis') => ({
  kind: 'axis', name, role, ports: { tvalid: `${prefix}_${name}_tvalid`, tready: `${prefix}_${name}_tready`, tdata: `${prefix}_${name}_tdata` },
});
const gPorts = [p('aclk', 'input'), p('aresetn', 'input'), p('s_axis_g_tdata', 'input', 32), p('s_axis_g_tvalid', 'input'), p('s_axis_g_tready', 'output')];
const classify = (desc: TopDescription, ports: HarnessPort[]) => interfacesFromDescription('t', desc, ports, 'test');

describe('sim harness: ports and formats', () => {
  it('groups the fixture DMA’s ports into Lite slave, AXI4 master and a result stream, from its black-box declaration', () => {
    const [h] = parseVerilogHeaders(readFileSync(AXI_COPY, 'utf8'), AXI_COPY);
    const ifc = interfacesFromDescription('axi_copy', AXI_COPY_DESCRIPTION, h!.ports, 'the black box');
    assert.equal(ifc.clock, 'aclk');
    assert.equal(ifc.reset, 'aresetn');
    assert.equal(ifc.resetActiveLow, true);
    assert.deepEqual(ifc.inputs, []);
    assert.deepEqual(ifc.outputs.map((s) => [s.name, s.width, s.tlast]), [['sum', 64, 'm_axis_sum_tlast']]);
    assert.equal(ifc.axi?.dataBits, 64);
    assert.ok(ifc.lite?.wstrb);
    assert.deepEqual(ifc.tiedOff, []);
    const cpp = generateTestbench('axi_copy', ifc);
    assert.match(cpp, /put_port\(t->m_axi_rdata, h\.mem\.rdata\.data\(\), 64\)/);
    assert.match(cpp, /t->s_axil_wstrb = 0xF;/);
    assert.match(cpp, /t->aresetn = in_reset \? 0 : 1;/);
  });

  it('reads the engine’s port groups, clock and reset from the manifest.json the generator wrote', () => {
    const files = rtlFiles('tiny', 'sparse_bwd_engine');
    const ifc = readTopInterfaces({ top: 'sparse_bwd_engine', rtlFiles: files });
    assert.deepEqual(ifc.inputs.map((s) => [s.name, s.tdata, s.tlast]), [['act', 's_axis_act_tdata', 's_axis_act_tlast'], ['grad', 's_axis_grad_tdata', 's_axis_grad_tlast']]);
    assert.deepEqual(ifc.outputs.map((s) => s.name), ['res']);
    assert.equal(ifc.lite?.awaddr?.name, 's_axil_awaddr');
    assert.equal(ifc.axi?.ports.rlast?.name, 'm_axi_rlast');
    assert.deepEqual([ifc.clock, ifc.reset, ifc.resetActiveLow], ['aclk', 'aresetn', true]);
    assert.deepEqual(ifc.tiedOff, []);
  });

  it('uses the ports the metadata names, not their names: a stream called anything, an active-high reset', () => {
    const ports = [p('clk', 'input'), p('rst', 'input'), p('din', 'input', 8), p('din_ok', 'input'), p('din_take', 'output')];
    const ifc = classify({ name: 't', clock: 'clk', reset: { port: 'rst', activeLow: false }, interfaces: [{ kind: 'axis', name: 'x', role: 'slave', ports: { tdata: 'din', tvalid: 'din_ok', tready: 'din_take' } }] }, ports);
    assert.deepEqual(ifc.inputs, [{ name: 'x', width: 8, tdata: 'din', tvalid: 'din_ok', tready: 'din_take' }]);
    assert.match(generateTestbench('t', ifc), /t->rst = in_reset \? 1 : 0;/);
  });

  // Each broken description below would drive the wrong port (or none) if the check were missing.
  it('names what is wrong with broken metadata in a one-line error', () => {
    assert.throws(() => classify({ ...clocked, interfaces: [stream('g', 'slave')] }, gPorts.filter((q) => q.name !== 's_axis_g_tready')), /names port s_axis_g_tready, which the Verilog of t does not have \(interface metadata from test\)$/);
    assert.throws(() => classify({ ...clocked, interfaces: [stream('g', 'master', 's_axis')] }, gPorts), /needs s_axis_g_tdata to be an output/);
    assert.throws(() => classify({ name: 't', interfaces: [] }, gPorts), /no clock port is declared/);
    assert.throws(() => classify({ name: 't', clock: 'aclk', interfaces: [] }, gPorts), /no reset port is declared/);
    assert.throws(() => classify({ ...clocked, clock: 'clk2' }, gPorts), /the clock names port clk2/);
    assert.throws(() => classify({ ...clocked, interfaces: [{ kind: 'apb', name: 'x', role: 'slave', ports: {} }] }, gPorts), /not apb/);
    assert.throws(() => classify({ ...clocked, interfaces: [{ kind: 'axilite', name: 'l', role: 'master', ports: {} }] }, gPorts), /is a master/);
    assert.throws(() => classify({ ...clocked, interfaces: [{ kind: 'axi4', name: 'a', role: 'master', ports: { araddr: 'x' } }] }, gPorts), /axi4 interface a has no arvalid/);
  });

  it('ties inputs of no interface to zero', () => {
    const ifc = classify({ ...clocked, interfaces: [] }, [p('aclk', 'input'), p('aresetn', 'input'), p('mode', 'input', 3), p('status', 'output', 2)]);
    assert.deepEqual(ifc.tiedOff, ['mode']);
  });

  it('refuses a top without metadata, saying how to describe it, and a malformed manifest', async () => {
    assert.throws(() => readTopInterfaces({ top: 'axis_incr', rtlFiles: [AXIS_INCR] }), (e: Error) => /^axis_incr: no interface metadata .*blackBox\(/.test(e.message) && !e.message.includes('\n'));
    const dir = mkdtempSync(join(tmpdir(), 'sg-manifest-'));
    try {
      copyFileSync(AXIS_INCR, join(dir, 'axis_incr.v'));
      writeFileSync(join(dir, 'manifest.json'), '{"top": "axis_incr", "modules": [{"name": "axis_incr", "clock": 7}]}');
      assert.throws(() => readTopInterfaces({ top: 'axis_incr', rtlFiles: [join(dir, 'axis_incr.v')] }), /manifest\.json: modules\.0\.clock: /);
      writeFileSync(join(dir, 'manifest.json'), '{"top": ');
      assert.throws(() => readTopInterfaces({ top: 'axis_incr', rtlFiles: [join(dir, 'axis_incr.v')] }), /manifest\.json: not JSON/);
      // The black box's manifest, written beside the Verilog, is a manifest like the generator's.
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(blackBoxManifest(axisIncr)));
      assert.deepEqual(readTopInterfaces({ top: 'axis_incr', rtlFiles: [join(dir, 'axis_incr.v')] }).inputs.map((s) => s.name), ['in']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks a typed black-box declaration against the Verilog header', () => {
    // 64 bits declared where the fixture has 72: the declaration, not the harness, catches it.
    assert.throws(() => blackBox('axis_incr', {
      file: 'test/fixtures/harness/axis_incr.v', clock: 'aclk', reset: { port: 'aresetn', activeLow: true },
      ports: (m) => ({ in: streamIn(m, 'in', UInt(64), { last: true }), out: streamOut(m, 'out', UInt(72), { last: true }) }),
    }), /port s_axis_in_tdata is declared UInt\(64\) but is 72 bits wide/);
  });

  it('round-trips beats of any width (property)', () => {
    const seed = testSeed('beat codec');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.array(fc.tuple(fc.bigInt({ min: 0n, max: (1n << 300n) - 1n }), fc.boolean()), { maxLength: 20 }), (width, raw) => {
        const beats = raw.map(([d, last]) => ({ data: d & ((1n << BigInt(width)) - 1n), last }));
        const bytes = encodeBeats(beats, width);
        assert.equal(bytes.length, beats.length * (Math.ceil(width / 8) + 1));
        assert.deepEqual(decodeBeats(bytes, width), beats);
      }),
      { seed, numRuns: 200 },
    );
  });

  it('refuses tdata that does not fit the width', () => {
    assert.throws(() => encodeBeats([{ data: 256n, last: false }], 8), /does not fit 8 bits/);
  });

  it('writes and reads the AXI4-Lite script format', () => {
    const script = [
      { op: 'write', addr: 0x10, data: 0xdeadbeef },
      { op: 'read', addr: 0x60 },
      { op: 'wait', addr: 4, mask: 2, value: 2 },
      { op: 'idle', cycles: 7 },
      { op: 'wait', addr: 4, mask: 2, value: 2, quiescent: true },
      { op: 'poke', addr: 0x0c, data: 0xffffffff, bDelay: 3 },
      { op: 'expect', addr: 0x7c, mask: 0xffffffff, value: 0 },
    ] as const;
    assert.deepEqual(parseScript(scriptText([...script])), script);
    assert.throws(() => parseScript('frob 1 2'), /script line 1/);
    assert.throws(() => parseScript('wait 4 2 2 loudly'), /script line 1/);
  });
});

describe('sim output folders', () => {
  it('replace an earlier run’s entries whole and leave nothing staged behind', async () => {
    const { mkdtemp, readdir, readFile, rm, writeFile, mkdir } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { withStagedDir } = await import('../../sim/out-dir.ts');
    const root = await mkdtemp(join(tmpdir(), 'sg-staged-'));
    const out = join(root, 'out');
    try {
      await mkdir(join(out, 'cosim'), { recursive: true });
      await writeFile(join(out, 'cosim', 'stale.txt'), 'old');
      await writeFile(join(out, 'keep.txt'), 'mine');
      await withStagedDir(out, async (d) => {
        await d.write('cosim/report.json', '{}');
        await d.write('top.txt', 'new');
      });
      assert.deepEqual((await readdir(join(out, 'cosim'))).sort(), ['report.json']);
      assert.equal(await readFile(join(out, 'keep.txt'), 'utf8'), 'mine');
      await assert.rejects(withStagedDir(out, async (d) => {
        await d.write('top.txt', 'half');
        throw new Error('boom');
      }), /boom/);
      assert.equal(await readFile(join(out, 'top.txt'), 'utf8'), 'new');
      assert.deepEqual((await readdir(root)).filter((f) => f.includes('.partial-')), []);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
