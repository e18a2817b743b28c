/**
 * Every example design emits Verilog that Verilator -Wall (no waivers), Icarus -g2005
 * and Yosys synth accept without a single warning, and emission is deterministic.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkIverilog, lintVerilator, synthYosys } from '../../toolchain/lint.ts';
import { runTool } from '../../toolchain/tools.ts';
import { emitDesign, emitVerilog } from '../../generator/index.ts';
import { exampleDesigns } from '../../generator/examples/index.ts';

describe('generator emission: lint-clean, synthesizable, deterministic', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sg-gen-lint-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const ex of exampleDesigns) {
    it(`${ex.name}: verilator -Wall, iverilog -g2005, yosys synth`, async () => {
      const out = path.join(dir, ex.name);
      const design = emitDesign(ex.build(), out);
      assert.deepEqual(design.warnings.map((w) => w.message), []);
      const files = [...design.files.keys()].map((f) => path.join(out, f));
      const top = design.manifest.top;
      await lintVerilator(files, top);
      const iv = await checkIverilog(files, top);
      assert.deepEqual(iv.diagnostics, []);
      const ys = await synthYosys(files, top);
      assert.deepEqual(ys.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.message), []);
      assert.ok(ys.stat.cells > 0, 'synthesis kept some logic');
    });
  }

  it('same design twice: byte-identical files and manifest', () => {
    for (const ex of exampleDesigns) {
      const a = emitVerilog(ex.build());
      const b = emitVerilog(ex.build());
      assert.deepEqual([...a.files], [...b.files]);
      assert.equal(JSON.stringify(a.manifest), JSON.stringify(b.manifest));
    }
  });

  it('writes one file per module plus a manifest with ports, widths and a source hash', () => {
    const out = path.join(dir, 'manifest');
    emitDesign(exampleDesigns.find((e) => e.name === 'fifo')!.build(), out);
    assert.deepEqual(readdirSync(out).sort(), ['fifo_u8_d16_last.v', 'manifest.json']);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    assert.equal(manifest.top, 'fifo_u8_d16_last');
    const ports = manifest.modules[0].ports.map((p: { name: string; direction: string; width: number }) => `${p.direction} ${p.width} ${p.name}`);
    assert.deepEqual(ports, [
      'input 1 aclk', 'input 1 aresetn',
      'input 1 s_axis_in_tvalid', 'output 1 s_axis_in_tready', 'input 8 s_axis_in_tdata', 'input 1 s_axis_in_tlast',
      'output 1 m_axis_out_tvalid', 'input 1 m_axis_out_tready', 'output 8 m_axis_out_tdata', 'output 1 m_axis_out_tlast',
      'output 5 count',
    ]);
    assert.match(manifest.sourceHash, /^[0-9a-f]{64}$/);
    assert.ok(manifest.sources.includes('generator/lib/fifo.ts'));
  });

  it('the FIFO memory becomes block RAM in synth_ice40', async () => {
    const out = path.join(dir, 'fifo-ice40');
    const design = emitDesign(exampleDesigns.find((e) => e.name === 'fifo')!.build(), out);
    const ys = await synthYosys([...design.files.keys()].map((f) => path.join(out, f)), design.manifest.top, { target: 'ice40' });
    assert.ok((ys.stat.cellsByType.SB_RAM40_4K ?? 0) >= 1, `cells: ${JSON.stringify(ys.stat.cellsByType)}`);
  });

  it('Yosys keeps the TypeScript source locations on the synthesized cells', async () => {
    const out = path.join(dir, 'src-attrs');
    const design = emitDesign(exampleDesigns.find((e) => e.name === 'counter')!.build(), out);
    const json = path.join(out, 'netlist.json');
    const r = await runTool('yosys', ['-q', '-p', `read_verilog ${path.join(out, 'counter_w8.v')}; synth -top counter_w8; write_json ${json}`]);
    assert.equal(r.exitCode, 0, String(r.all));
    const netlist = JSON.parse(readFileSync(json, 'utf8')) as { modules: Record<string, { cells: Record<string, { type: string; attributes: { src?: string } }> }> };
    const cells = Object.values(netlist.modules.counter_w8!.cells);
    const flops = cells.filter((c) => /DFF/.test(c.type));
    assert.ok(flops.length >= 8);
    for (const f of flops) assert.match(f.attributes.src ?? '', /^generator\/examples\/counter\.ts:\d+\.\d+/);
    assert.ok(design.files.size === 1);
  });
});
