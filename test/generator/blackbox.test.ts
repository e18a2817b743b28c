/** Black boxes: the declared ports are checked against the parsed Verilog header. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lintVerilator, synthYosys } from '../../toolchain/lint.ts';
import { DesignError, emitDesign } from '../../generator/index.ts';
import { ramUser, wrongBlackBoxes } from './fixtures/blackbox-designs.ts';

const fixture = 'test/generator/fixtures/blackbox-designs.ts';
const lines = readFileSync(new URL('./fixtures/blackbox-designs.ts', import.meta.url), 'utf8').split('\n');

describe('generator black boxes', () => {
  it('a matching black box instantiates with its parameters and passes verilator -Wall and yosys', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sg-gen-bb-'));
    try {
      const d = emitDesign(ramUser(), dir);
      assert.deepEqual(d.manifest.blackBoxes, [{ module: 'vendor_dp_ram', file: 'test/generator/fixtures/vendor_dp_ram.v' }]);
      const text = d.files.get('ram_user.v')!;
      assert.match(text, /vendor_dp_ram #\(\n {4}\.WIDTH\(12\),\n {4}\.DEPTH\(64\)\n {2}\) u_ram \(\n {4}\.clk\(aclk\),/);
      const files = [path.join(dir, 'ram_user.v'), path.resolve('test/generator/fixtures/vendor_dp_ram.v')];
      await lintVerilator(files, 'ram_user');
      const ys = await synthYosys(files, 'ram_user');
      assert.ok(ys.stat.cells > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const [name, build] of Object.entries(wrongBlackBoxes)) {
    it(`${name} mismatch: one error at the blackBox() line naming the Verilog line`, () => {
      const start = lines.findIndex((l) => l.startsWith(`  ${name}: () =>`));
      const kind = /expect: ([a-z-]+)/.exec(lines[start]!)![1];
      try {
        build();
        assert.fail('no error');
      } catch (e) {
        assert.ok(e instanceof DesignError, String(e));
        assert.equal(e.diagnostics.length, 1, e.message);
        const d = e.diagnostics[0]!;
        assert.equal(d.kind, kind, d.message);
        assert.equal(`${d.loc.file}:${d.loc.line}`, `${fixture}:${start + 1}`);
        assert.match(d.message, /vendor_dp_ram\.v:\d+/);
      }
    });
  }
});
