/** Energy tables load, validate and price counts as a hand computation does. */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTIONS, energyModelNames, loadEnergyModel } from '../../energy/model.ts';
import { energyRatio, estimateEnergy } from '../../energy/estimate.ts';
import type { ActionCounts } from '../../energy/actions.ts';

describe('energy tables', () => {
  it('ships the 45 nm table and the normalised one, each with a source and a derivation per action', () => {
    assert.deepEqual(energyModelNames(), ['eyeriss-65nm', 'horowitz-45nm']);
    for (const name of energyModelNames()) {
      const m = loadEnergyModel(name);
      assert.equal(m.name, name);
      assert.ok(m.source.length > 20);
      for (const a of ACTIONS) assert.ok(m.actions[a].derivation.length > 10, `${name}.${a}`);
    }
  });

  it('prices counts exactly as a hand computation does', () => {
    const m = loadEnergyModel('horowitz-45nm');
    const counts: ActionCounts = { mul: 1000, add: 1000, compare: 64, sram_read_bit: 9600, sram_write_bit: 4800, dram_byte: 512, bus_bit: 8192 };
    const e = estimateEnergy(m, counts);
    const hand = 1000 * 0.79 + 1000 * 0.15 + 64 * 0.05 + 9600 * 0.156 + 4800 * 0.156 + 512 * 162.5 + 8192 * 0.156;
    assert.ok(Math.abs(e.total - hand) / hand < 1e-5, `${e.total} vs ${hand}`);
    assert.ok(Math.abs(e.memoryShare - (512 * 162.5) / hand) < 1e-5);
    assert.equal(e.unit, 'pJ');
    const half = estimateEnergy(m, Object.fromEntries(ACTIONS.map((a) => [a, counts[a] / 2])) as ActionCounts);
    assert.ok(Math.abs(energyRatio(e, half)! - 2) < 1e-5);
  });

  describe('bad tables get one-line errors', () => {
    let dir = '';
    before(() => { dir = mkdtempSync(join(tmpdir(), 'sparsegrad-energy-')); });
    after(() => rmSync(dir, { recursive: true, force: true }));
    const write = (name: string, body: unknown): string => {
      const f = join(dir, name);
      writeFileSync(f, typeof body === 'string' ? body : JSON.stringify(body));
      return f;
    };
    const base = () => JSON.parse(JSON.stringify(loadEnergyModel('horowitz-45nm')));

    it('unknown name lists the shipped ones', () => assert.throws(() => loadEnergyModel('7nm'), /unknown energy model '7nm'; shipped: eyeriss-65nm, horowitz-45nm/));
    it('missing file', () => assert.throws(() => loadEnergyModel(join(dir, 'none.json')), /no such file/));
    it('not JSON', () => assert.throws(() => loadEnergyModel(write('bad.json', '{')), /not valid JSON/));
    it('a missing action names it', () => {
      const t = base();
      delete t.actions.dram_byte;
      assert.throws(() => loadEnergyModel(write('missing.json', t)), /actions\.dram_byte/);
    });
    it('a misspelt action is refused', () => {
      const t = base();
      t.actions.dram_bytes = t.actions.dram_byte;
      assert.throws(() => loadEnergyModel(write('extra.json', t)), /dram_bytes/);
    });
    it('a negative energy is refused', () => {
      const t = base();
      t.actions.mul.energy = -1;
      assert.throws(() => loadEnergyModel(write('neg.json', t)), /actions\.mul\.energy/);
    });
  });
});
