/**
 * Property tests of the Verilog back end on random expression modules (every
 * operator, mixed widths and signedness): the emitted Verilog passes
 * `verilator --lint-only -Wall` with no waivers, and Icarus accepts it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkIverilog, lintVerilator } from '../../toolchain/lint.ts';
import { emitDesign } from '../../generator/index.ts';
import { rng, testSeed } from '../sim/seed.ts';
import { randomExprModule } from './random-expr.ts';

describe('generator back end on random expressions', () => {
  it('random expression modules are lint-clean under verilator -Wall and iverilog', async () => {
    const seed = testSeed('random expressions');
    const random = rng(seed);
    const dir = mkdtempSync(path.join(tmpdir(), 'sg-gen-prop-'));
    try {
      for (let k = 0; k < 4; k++) {
        const mod = randomExprModule(`rand_expr_${k}`, random, 24);
        const out = path.join(dir, String(k));
        const d = emitDesign(mod.def, out);
        const files = [...d.files.keys()].map((f) => path.join(out, f));
        await lintVerilator(files, d.manifest.top);
        await checkIverilog(files, d.manifest.top);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
