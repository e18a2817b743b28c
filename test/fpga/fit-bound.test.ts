/**
 * The lower bound that lets `sparsegrad fpga` skip place and route must stay below what
 * nextpnr-ice40 itself packs, or a design that fits would be called "does not fit". Random
 * netlists of LUTs, flip-flops and carry chains go through the real packer (--pack-only),
 * and its logic-cell count and LUT+FF pairs are compared with fit-bound.ts.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { runTool } from '../../toolchain/index.ts';
import { exceeds, ice40Bounds, lutFfPairs } from '../../fpga/fit-bound.ts';
import { resolveDevices } from '../../fpga/targets.ts';

const seed = process.env.SPARSEGRAD_SEED !== undefined ? Number(process.env.SPARSEGRAD_SEED) : Math.floor(Math.random() * 2 ** 31);
const up5k = resolveDevices('ice40', ['up5k'])[0]!;

type Bit = number | '0';
interface Cell {
  type: string;
  port_directions: Record<string, 'input' | 'output'>;
  connections: Record<string, Bit[]>;
  parameters?: Record<string, string>;
}

/** A netlist as Yosys's write_json gives it: one flat top `t` with a clock, four inputs and some outputs. */
function netlist(cells: Record<string, Cell>, outputs: Bit[]): string {
  return JSON.stringify({
    creator: 'test/fpga/fit-bound.test.ts',
    modules: {
      t: {
        attributes: { top: '00000000000000000000000000000001' },
        ports: { clk: { direction: 'input', bits: [2] }, i: { direction: 'input', bits: [3, 4, 5, 6] }, o: { direction: 'output', bits: outputs } },
        cells,
        netnames: {},
      },
    },
  });
}

const lut = (ins: Bit[], o: number): Cell => ({
  type: 'SB_LUT4',
  parameters: { LUT_INIT: '0110100110010110' },
  port_directions: { I0: 'input', I1: 'input', I2: 'input', I3: 'input', O: 'output' },
  connections: { I0: [ins[0]!], I1: [ins[1]!], I2: [ins[2]!], I3: [ins[3]!], O: [o] },
});
const ff = (type: string, d: Bit, q: number): Cell => ({
  type,
  port_directions: { C: 'input', D: 'input', Q: 'output', ...(type === 'SB_DFFE' ? { E: 'input' } : {}) },
  connections: { C: [2], D: [d], Q: [q], ...(type === 'SB_DFFE' ? { E: [3] } : {}) },
});
const carry = (i0: Bit, i1: Bit, ci: Bit, co: number): Cell => ({
  type: 'SB_CARRY',
  port_directions: { I0: 'input', I1: 'input', CI: 'input', CO: 'output' },
  connections: { I0: [i0], I1: [i1], CI: [ci], CO: [co] },
});

/** A random netlist: every cell reads bits made before it (no loops); some bits go out. */
const netlistArb = fc
  .record({
    steps: fc.array(
      fc.record({
        kind: fc.constantFrom('lut', 'lut', 'pair', 'pair', 'ff', 'ffe', 'carry'),
        picks: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
        // Most flip-flops take the newest bit, a LUT just made, so pairs happen often.
        newest: fc.boolean(),
      }),
      { minLength: 10, maxLength: 80 },
    ),
    outs: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
  })
  .map(({ steps, outs }) => {
    const bits: number[] = [3, 4, 5, 6];
    const cells: Record<string, Cell> = {};
    let next = 10;
    let lastCo: number | undefined;
    steps.forEach((s, k) => {
      const pick = (i: number): number => bits[s.picks[i]! % bits.length]!;
      const o = next++;
      if (s.kind === 'lut') cells[`l${k}`] = lut([pick(0), pick(1), pick(2), pick(3)], o);
      else if (s.kind === 'pair') {
        // A LUT only its flip-flop reads (unless a later output port picks the flip-flop's Q instead).
        const q = next++;
        cells[`l${k}`] = lut([pick(0), pick(1), pick(2), pick(3)], o);
        cells[`f${k}`] = ff('SB_DFF', o, q);
        bits.push(q);
        return;
      } else if (s.kind === 'carry') {
        cells[`c${k}`] = carry(pick(0), pick(1), lastCo ?? '0', o);
        lastCo = o;
        return; // a carry out feeds only the next carry in, as Yosys's chains do
      } else cells[`f${k}`] = ff(s.kind === 'ffe' ? 'SB_DFFE' : 'SB_DFF', s.newest ? bits.at(-1)! : pick(0), o);
      bits.push(o);
    });
    return { text: netlist(cells, outs.map((i) => bits[i % bits.length]!)), cells };
  });

async function packLcs(dir: string, text: string): Promise<{ lcs: number; pairs: number }> {
  const file = join(dir, 'n.json');
  await writeFile(file, text);
  const r = await runTool('nextpnr-ice40', ['--up5k', '--package', 'sg48', '--json', file, '--top', 't', '--pack-only'], { cwd: dir });
  const log = String(r.all ?? '');
  assert.equal(r.exitCode, 0, log.split('\n').filter((l) => /ERROR/.test(l)).join('\n'));
  const lcs = /ICESTORM_LC:\s*(\d+)\//.exec(log);
  const pairs = /(\d+) LCs used as LUT4 and DFF/.exec(log);
  assert.ok(lcs && pairs, `nextpnr printed its packing figures:\n${log}`);
  return { lcs: Number(lcs[1]), pairs: Number(pairs[1]) };
}

function counts(cells: Record<string, Cell>): Record<string, number> {
  const c: Record<string, number> = {};
  for (const x of Object.values(cells)) c[x.type] = (c[x.type] ?? 0) + 1;
  return c;
}

describe('fpga lower bound on placement against nextpnr-ice40 packing', function () {
  // Each case loads the UP5K chip database: about a second of CPU.
  this.timeout(300_000);
  let dir: string;
  before(async () => {
    console.log(`    seed ${seed} (SPARSEGRAD_SEED=${seed} replays it)`);
    dir = await mkdtemp(join(tmpdir(), 'sg-fit-bound-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('counts exactly the LUT+FF pairs nextpnr packs, and never more cells than it packs', async () => {
    await fc.assert(
      fc.asyncProperty(netlistArb, async ({ text, cells }) => {
        const packed = await packLcs(dir, text);
        const pairs = lutFfPairs(text, 't');
        assert.equal(pairs, packed.pairs, 'LUTs whose one load is a flip-flop D');
        const lc = ice40Bounds(counts(cells), pairs, up5k)[0]!;
        assert.ok(lc.need <= packed.lcs, `bound ${lc.need} ≤ nextpnr's ${packed.lcs} logic cells (${lc.cells})`);
      }),
      { seed, numRuns: 12 },
    );
  });

  it('does not pair a LUT whose output also goes elsewhere: nextpnr gives its flip-flop a cell of its own', async () => {
    // l0 drives f0's D and the output port; l1 drives f1's D alone. A bound counting every
    // LUT-driven flip-flop as packable would say 2 cells where nextpnr needs 3.
    const cells = { l0: lut([3, 4, 5, 6], 10), f0: ff('SB_DFF', 10, 11), l1: lut([3, 4, 11, 6], 12), f1: ff('SB_DFF', 12, 13) };
    const text = netlist(cells, [10, 13]);
    assert.equal(lutFfPairs(text, 't'), 1);
    assert.equal(ice40Bounds(counts(cells), 1, up5k)[0]!.need, 3);
    const packed = await packLcs(dir, text);
    assert.equal(packed.pairs, 1);
    assert.ok(packed.lcs >= 3, `nextpnr packs ${packed.lcs} cells`);
  });

  it('falls back to counting alone when the top is not flat, and bounds BRAM and DSP by count', () => {
    const text = JSON.stringify({ modules: { t: { cells: { u: { type: 'sub', connections: {} } } }, sub: { cells: {} } } });
    assert.equal(lutFfPairs(text, 't'), undefined, 'pairs inside a submodule would go uncounted');
    const b = ice40Bounds({ SB_LUT4: 100, SB_DFF: 80 }, undefined, up5k);
    assert.equal(b[0]!.need, 100, 'as if every flip-flop shared a LUT cell');
    const over = ice40Bounds({ SB_LUT4: 1, SB_RAM40_4K: 31, SB_MAC16: 9 }, 0, up5k);
    assert.deepEqual(over.filter(exceeds).map((x) => [x.resource, x.need, x.available]), [['ICESTORM_RAM', 31, 30], ['ICESTORM_DSP', 9, 8]]);
  });
});
