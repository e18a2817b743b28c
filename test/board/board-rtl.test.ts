/** The board top's Verilog: deterministic, lint-clean with its stand-in models, and wired as documented. */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getPreset } from '../../engine/config.ts';
import { lintVerilator } from '../../toolchain/index.ts';
import { ICEBREAKER_DEFAULTS, SIM_MODELS, TOP_NAME, emitBoard, boardClocking } from '../../generator/boards/icebreaker/index.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const opts = { clockMHz: ICEBREAKER_DEFAULTS.clockMHz, baud: ICEBREAKER_DEFAULTS.baud };

describe('board: the emitted board top', function () {
  this.timeout(300_000);

  it('is byte-identical when emitted twice (the black boxes\' scratch files leave no trace)', () => {
    const a = emitBoard(getPreset('tiny'), opts);
    const b = emitBoard(getPreset('tiny'), opts);
    assert.deepEqual([...a.files.keys()].sort(), [...b.files.keys()].sort());
    for (const [f, t] of a.files) assert.equal(b.files.get(f), t, f);
    assert.equal(JSON.stringify(a.manifest), JSON.stringify(b.manifest));
    assert.deepEqual(a.manifest.designs.top!.blackBoxes.map((x) => x.file), [SIM_MODELS[0], 'board_reset_sync.v', 'icebreaker_core.v']);
  });

  for (const preset of ['tiny', 'default']) {
    it(`${preset}: passes Verilator -Wall with the stand-in models (no waiver in the emitted Verilog)`, async () => {
      const board = emitBoard(getPreset(preset), opts);
      const dir = mkdtempSync(join(tmpdir(), 'sparsegrad-board-lint-'));
      try {
        const files = [...board.files].map(([f, t]) => (writeFileSync(join(dir, f), t), join(dir, f)));
        await lintVerilator([...files, ...SIM_MODELS.map((m) => join(repo, m))], TOP_NAME);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('the PLL cell carries the computed dividers and the core runs on its global output', () => {
    const top = emitBoard(getPreset('tiny'), opts).files.get(`${TOP_NAME}.v`)!;
    const p = boardClocking(opts).pll;
    for (const [k, v] of Object.entries({ DIVR: p.divr, DIVF: p.divf, DIVQ: p.divq, FILTER_RANGE: p.filterRange })) assert.match(top, new RegExp(`\\.${k}\\(${v}\\)`));
    assert.match(top, /\.FEEDBACK_PATH\("SIMPLE"\)/);
    assert.match(top, /assign u_core_pll_clk = u_pll_PLLOUTGLOBAL;/);
    assert.match(top, /assign u_core_sync_resetn = u_reset_aresetn_out;/);
  });

  it('a baud rate the PLL clock cannot divide within 2 % is refused', () => {
    assert.throws(() => boardClocking({ clockMHz: 24, baud: 4_600_000 }), /4600000 baud is 4\.3 % off at 24 MHz \(divisor 5\)/);
    assert.equal(boardClocking({ clockMHz: 24, baud: 115_200 }).divisor, 208);
  });
});
