/** Port grouping and the beat codec: no simulator needed. */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { parseVerilogHeaders } from '../../generator/verilog-header/index.ts';
import { decodeBeats, encodeBeats } from '../../sim/harness/beats.ts';
import { parseScript, scriptText } from '../../sim/harness/job-files.ts';
import { classifyPorts, type HarnessPort } from '../../sim/harness/ports.ts';
import { generateTestbench } from '../../sim/harness/testbench.ts';
import { AXI_COPY } from './fixtures.ts';
import { testSeed } from './seed.ts';

const p = (name: string, direction: 'input' | 'output', width = 1): HarnessPort => ({ name, direction, width });

describe('sim harness: ports and formats', () => {
  it('groups the fixture DMA’s ports into Lite slave, AXI4 master and a result stream', () => {
    const [h] = parseVerilogHeaders(readFileSync(AXI_COPY, 'utf8'), AXI_COPY);
    const ifc = classifyPorts('axi_copy', h!.ports);
    assert.equal(ifc.clock, 'aclk');
    assert.equal(ifc.reset, 'aresetn');
    assert.deepEqual(ifc.inputs, []);
    assert.deepEqual(ifc.outputs.map((s) => [s.name, s.width, s.tlast]), [['sum', 64, 'm_axis_sum_tlast']]);
    assert.equal(ifc.axi?.dataBits, 64);
    assert.ok(ifc.lite?.wstrb);
    assert.deepEqual(ifc.tiedOff, []);
    const cpp = generateTestbench('axi_copy', ifc);
    assert.match(cpp, /put_port\(t->m_axi_rdata, h\.mem\.rdata\.data\(\), 64\)/);
    assert.match(cpp, /t->s_axil_wstrb = 0xF;/);
  });

  it('names a missing handshake port in a one-line error', () => {
    const ports = [p('aclk', 'input'), p('aresetn', 'input'), p('s_axis_g_tdata', 'input', 32), p('s_axis_g_tvalid', 'input')];
    assert.throws(() => classifyPorts('t', ports), /port s_axis_g_tready is missing/);
    assert.throws(() => classifyPorts('t', [p('clk2', 'input')]), /no clock port \(aclk\)/);
    assert.throws(
      () => classifyPorts('t', [p('aclk', 'input'), p('aresetn', 'input'), p('s_axis_g_tdata', 'output', 8), p('s_axis_g_tvalid', 'input'), p('s_axis_g_tready', 'output')]),
      /s_axis_g_tdata must be an input/,
    );
  });

  it('ties unknown inputs to zero', () => {
    const ifc = classifyPorts('t', [p('aclk', 'input'), p('aresetn', 'input'), p('mode', 'input', 3), p('status', 'output', 2)]);
    assert.deepEqual(ifc.tiedOff, ['mode']);
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
