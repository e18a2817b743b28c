/**
 * The engine tops' manifest.json describes their port groups from the typed interface
 * declarations (generator/designs/engine.ts): what sim/ and fpga/ read instead of
 * patterns on port names. Checked on the committed RTL of every preset.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { JOB_REGS, REG } from '../../engine/registers.ts';
import { PRESET_NAMES, getPreset } from '../../engine/config.ts';
import type { Manifest, ManifestInterface } from '../../generator/backend/design.ts';
import { parseManifest, topOf } from '../../generator/backend/manifest.ts';
import { AxiLite, axiPort, declareRegisters, defineModule } from '../../generator/index.ts';
import { rtlFiles } from './helpers.ts';

const TOPS = ['sparse_bwd_engine', 'dense_bwd_engine'] as const;

function manifestOf(preset: string, top: (typeof TOPS)[number]): Manifest {
  const file = join(dirname(rtlFiles(preset, top)[0]!), 'manifest.json');
  return parseManifest(readFileSync(file, 'utf8'), file);
}

describe('engine manifest: interface metadata of the tops', () => {
  for (const preset of PRESET_NAMES) {
    for (const top of TOPS) {
      it(`${preset}/${top}: streams, AXI4-Lite slave with the register map, AXI4 master, clock and reset`, () => {
        const cfg = getPreset(preset, { dense: top === 'dense_bwd_engine' });
        const mod = topOf(manifestOf(preset, top), top)!;
        assert.equal(mod.clock, 'aclk');
        assert.deepEqual(mod.reset, { port: 'aresetn', activeLow: true });
        const byName = new Map((mod.interfaces ?? []).map((i) => [i.name, i as ManifestInterface & Record<string, any>]));
        assert.deepEqual([...byName.keys()], ['grad', 'act', 'res', 'axil', 'axi']);

        const lanes = (i: ManifestInterface & Record<string, any>, n: number, bits: number): void => {
          assert.deepEqual(i.payload.fields, Array.from({ length: n }, (_, k) => ({ name: String(k), offset: k * bits, width: bits, signed: true })));
          assert.equal(i.widths.tdata, n * bits);
        };
        const grad = byName.get('grad')!;
        assert.deepEqual([grad.kind, grad.role, grad.ports.tdata, grad.ports.tlast], ['axis', 'slave', 's_axis_grad_tdata', 's_axis_grad_tlast']);
        lanes(grad, cfg.P, cfg.gBits);
        lanes(byName.get('act')!, cfg.P, cfg.aBits);
        const res = byName.get('res')!;
        assert.deepEqual([res.kind, res.role, res.ports.tvalid], ['axis', 'master', 'm_axis_res_tvalid']);
        lanes(res, cfg.N, cfg.accBits);

        const axi = byName.get('axi')!;
        assert.deepEqual([axi.kind, axi.role, axi.widths.data, axi.ports.rdata, axi.ports.awlen], ['axi4', 'master', cfg.axiDataBits, 'm_axi_rdata', 'm_axi_awlen']);

        const lite = byName.get('axil')!;
        assert.deepEqual([lite.kind, lite.role, lite.widths.addr, lite.widths.data, lite.ports.wstrb], ['axilite', 'slave', 8, 32, 's_axil_wstrb']);
        // The map the hardware decodes is the contract's REG, every address of it, with the contract's names.
        const regs = lite.registers as { name: string; offset: number; width: number; access: string }[];
        assert.deepEqual(regs.map((r) => [r.name, r.offset]), Object.entries(REG).sort(([, a], [, b]) => a - b));
        const access = Object.fromEntries(regs.map((r) => [r.offset, r.access]));
        // Without jobReadback (the default preset) the wide job registers are write-only; MODE reads back.
        for (const a of JOB_REGS) assert.equal(access[a], cfg.jobReadback || a === REG.MODE ? 'rw' : 'wo', `job register 0x${a.toString(16)}`);
        assert.equal(access[REG.CTRL], 'wo');
        for (const a of [REG.STATUS, REG.CYCLES_BUSY, REG.ID, REG.GEOMETRY]) assert.equal(access[a], 'ro');
        assert.equal(regs.find((r) => r.name === 'THETA')!.width, cfg.gBits);
      });
    }
  }

  it('a register map with two registers at one offset is refused where it is declared', () => {
    // Would be accepted (and the manifest would hold an ambiguous map) without declareRegisters' check.
    assert.throws(() => defineModule('two_at_one', (m) => {
      const bus = axiPort(m, 'axil', AxiLite({ addrWidth: 8, dataWidth: 32 }).flip());
      declareRegisters(bus, [{ name: 'A', offset: 4, width: 32, access: 'rw' }, { name: 'B', offset: 4, width: 32, access: 'ro' }]);
      return { bus };
    }), /registers A and B share offset 4/);
  });
});
