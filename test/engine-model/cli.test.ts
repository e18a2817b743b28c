import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { register } from '../../golden/engine-model/cli.ts';
import { getPreset } from '../../engine/config.ts';
import { runEngine } from '../../golden/engine-model/model.ts';
import { decodeSafetensors } from '../../streams/safetensors.ts';
import { quantizeLayer, readDumpLayer, toEngineProblem } from '../../streams/quantize-layer.ts';
import { writeSyntheticDump } from './synthetic-dump.ts';
import { announceSeed, seed } from './seed.ts';

async function run(args: string[]): Promise<string> {
  const program = new Command('sparsegrad').exitOverride();
  register(program);
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'sparsegrad', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return out;
}

describe('engine-model: the engine-model command', () => {
  let dir: string;
  before(() => {
    announceSeed();
    dir = mkdtempSync(join(tmpdir(), 'sg-emcli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes test vectors and ideal cycles that match the model, byte-identically on a rerun', async () => {
    const dump = join(dir, 'step-1.safetensors');
    writeSyntheticDump(dump, seed);
    const out = join(dir, 'a');
    const text = await run(['engine-model', '--streams', dump, '--preset', 'tiny', '--out', out]);
    assert.match(text, /data\s+sparsity [\d.]+%\s+ideal cycles \d+ \(dense \d+/);
    const io = decodeSafetensors(new Uint8Array(readFileSync(join(out, 'engine-model-io.safetensors'))), 'io');
    const q = quantizeLayer(readDumpLayer(dump), getPreset('tiny'));
    const m = runEngine(getPreset('tiny'), toEngineProblem(q), 'data');
    assert.deepEqual(io.tensors.get('y')!.data, m.y);
    assert.deepEqual([...io.tensors.get('theta_q')!.data as Int32Array], q.thetaQ);
    assert.equal(io.metadata.exp_y, String(q.yExp));
    const report = JSON.parse(readFileSync(join(out, 'engine-model.json'), 'utf8'));
    assert.equal(report.modes.weight.counters.nonzeros, m.totals.nonzeros);
    assert.ok(report.modes.data.denseIdealCycles >= report.modes.data.idealCycles);
    await run(['engine-model', '--streams', dump, '--preset', 'tiny', '--out', join(dir, 'b')]);
    for (const f of readdirSync(out)) assert.deepEqual(readFileSync(join(dir, 'b', f)), readFileSync(join(out, f)), f);
  });

  it('fails with one-line errors and leaves nothing behind', async () => {
    const out = join(dir, 'bad');
    await assert.rejects(run(['engine-model', '--streams', join(dir, 'missing.safetensors'), '--out', out]), /cannot read gradient dump \(ENOENT\)/);
    const trunc = join(dir, 'trunc.safetensors');
    writeFileSync(trunc, new Uint8Array([1, 2, 3]));
    await assert.rejects(run(['engine-model', '--streams', trunc, '--out', out]), (e: Error) => e.name === 'UserError' && /truncated/.test(e.message) && !e.message.includes('\n'));
    await assert.rejects(run(['engine-model', '--streams', join(dir, 'step-1.safetensors'), '--preset', 'huge', '--out', out]), /unknown engine preset|no such preset or file/);
    assert.throws(() => readdirSync(out), /ENOENT/);
  });
});
