import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { getPreset, presetNames } from '../../engine/config.ts';
import { diffCount, diffFolder, presetFiles } from '../../generator/rtl-files.ts';
import { RTL_DIR } from './helpers.ts';

describe('engine rtl/: committed Verilog', () => {
  for (const preset of presetNames()) {
    it(`rtl/${preset} is exactly what the generator emits now`, () => {
      const d = diffFolder(join(RTL_DIR, preset), presetFiles(getPreset(preset)));
      assert.equal(diffCount(d), 0, `rtl/${preset} is stale (${JSON.stringify(d)}); run 'sparsegrad generate' and commit rtl/`);
    });
  }

  it('emits byte-identical files on a second elaboration', () => {
    const a = presetFiles(getPreset('tiny'));
    const b = presetFiles(getPreset('tiny'));
    assert.deepEqual([...a.entries()], [...b.entries()]);
  });

  it('the sparse and dense engines differ only where skipping is decided', () => {
    const files = presetFiles(getPreset('tiny'));
    const sparse = [...files.keys()].filter((f) => f.startsWith('sparse_bwd_engine/'));
    const dense = [...files.keys()].filter((f) => f.startsWith('dense_bwd_engine/'));
    assert.equal(sparse.length, dense.length);
    // Submodules carry their top's prefix, so both engines can be read into one project.
    const modules = (list: string[]) => list.filter((f) => f.endsWith('.v')).map((f) => f.split('/')[1]!.replace(/^(sbe|dbe)_/, '').replace(/^(sparse|dense)_bwd_engine/, 'top'));
    assert.deepEqual(modules(sparse).sort(), modules(dense).sort());
    const strip = (t: string) => t.replace(/\b(sbe|dbe)_/g, 'X_').replace(/(sparse|dense)_bwd_engine/g, 'TOP');
    const differing = sparse.filter((f) => f.endsWith('.v') && strip(files.get(f)!) !== strip(files.get(f.replace(/^sparse_bwd_engine\/sbe_/, 'dense_bwd_engine/dbe_').replace(/^sparse_bwd_engine\/sparse_bwd_engine/, 'dense_bwd_engine/dense_bwd_engine'))!));
    assert.deepEqual(differing.map((f) => f.split('/')[1]).sort(), ['sbe_regs.v', 'sbe_threshold.v', 'sparse_bwd_engine.v'].sort());
  });
});
