/**
 * One error format and no silent acceptance: the argument parser's own errors,
 * conflicting flags, misspelled config keys, non-finite tensors, dumps whose
 * metadata disagrees with their shapes, binary corpora, and the exit codes of
 * README.md "Exit codes". Each case failed before: commander printed its own
 * two-line format, and the inputs were accepted (a NaN in dz_l0 gave a
 * relative error of 0 and exit 0).
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../util/errors.ts';
import { decodeSafetensors, encodeSafetensors } from '../../streams/safetensors.ts';
import { nearest } from '../../util/suggest.ts';
import { userPath } from '../../util/fs-errors.ts';
import { assertOneLineError, cli, CORPUS } from './helpers.ts';

const tiny = ['--hidden', '4', '--batch', '2', '--seq', '4', '--steps', '1', '--valid-chars', '64', '--quiet'];

describe('reliability: one error format, no silent acceptance', function () {
  let dir: string;
  let dump: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sg-rel-err-'));
    const t = await cli(['train', ...tiny, '--corpus', CORPUS, '--out', join(dir, 't'), '--dump-streams', join(dir, 'd'), '--dump-steps', '1']);
    assert.equal(t.exitCode, 0, t.all);
    dump = join(dir, 'd', 'step-1.safetensors');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("the argument parser's errors are one line with the way to help, exit code usage", async () => {
    const cases: [string[], RegExp][] = [
      [['bogus'], /unknown command 'bogus'; see 'sparsegrad --help'$/],
      [['train', '--hiden', '3'], /unknown option '--hiden' \(Did you mean --hidden\?\); see 'sparsegrad train --help'$/],
      [['train', '--precision', 'float16'], /argument 'float16' is invalid\. Allowed choices are float32, float64; see 'sparsegrad train --help'$/],
      [['fpga'], /required option '--out <dir>' not specified; see 'sparsegrad fpga --help'$/],
      [['train', '--hidden'], /option '--hidden <n>' argument missing/],
      [['train', '--seed', 'x'], /--seed expects a number, got 'x'/],
      [['cosim', '--out', join(dir, 'c'), '--backpressure', 'sometimes'], /--backpressure: .*; see --help/],
      [[], /no command given/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(args)));
    cases.forEach(([, pattern], i) => assertOneLineError(results[i]!, EXIT.usage, pattern));
  });

  it('conflicting flags are errors, not a silent winner', async () => {
    assertOneLineError(await cli(['train', '--threshold', '0', '--target-sparsity', '0.5', '--out', join(dir, 'x')]), EXIT.usage, /--threshold and --target-sparsity exclude each other/);
    const cfg = join(dir, 'both.json');
    writeFileSync(cfg, JSON.stringify({ threshold: 1e-4, targetSparsity: 0.8 }));
    assertOneLineError(await cli(['train', '--config', cfg]), EXIT.input, /--config .*both\.json: keys 'threshold' and 'targetSparsity' exclude each other/);
    // The flag would have won silently over the file's other setting.
    const theta = join(dir, 'theta.json');
    writeFileSync(theta, JSON.stringify({ threshold: 1e-4 }));
    assertOneLineError(await cli(['train', '--config', theta, '--target-sparsity', '0.5']), EXIT.input, /--config .*theta\.json: key 'threshold' and --target-sparsity exclude each other/);
  });

  it('unknown config keys are errors naming the nearest valid key', async () => {
    const cfg = join(dir, 'typo.json');
    writeFileSync(cfg, JSON.stringify({ hidden: 8, lrDecy: 0.2 }));
    assertOneLineError(await cli(['train', '--config', cfg]), EXIT.input, /--config .*typo\.json: unknown key 'lrDecy' \(did you mean 'lrDecay'\?\)/);
    const engine = join(dir, 'engine.json');
    writeFileSync(engine, JSON.stringify({ preset: 'tiny', queueDepht: 8 }));
    assertOneLineError(await cli(['engine-model', '--streams', dump, '--preset', engine, '--out', join(dir, 'em')]), EXIT.input, /unknown key 'queueDepht' \(did you mean 'queueDepth'\?\)/);
    assert.equal(nearest('zzzzzz', ['hidden', 'layers']), undefined, 'no suggestion when nothing is close');
  });

  it('a NaN in one tensor of a dump is an error naming the tensor and the index', async () => {
    const f = decodeSafetensors(readFileSync(dump), dump);
    const dz = f.tensors.get('dz_l0')!;
    // Only dz_l0 (the thresholded copy) is poisoned: before, the engine model ignored it and reported a relative error of 0.
    (dz.data as Float32Array)[1 * 2 * 16 + 1 * 16 + 5] = Number.NaN;
    const bad = join(dir, 'nan.safetensors');
    writeFileSync(bad, encodeSafetensors(f.tensors, f.metadata));
    const r = await cli(['engine-model', '--streams', bad, '--preset', 'tiny', '--out', join(dir, 'em-nan')]);
    assertOneLineError(r, EXIT.input, /nan\.safetensors: tensor 'dz_l0' holds NaN at index \[1, 1, 5\]/);
    // The same check guards every tensor read through requireTensor, e.g. weights given to --init.
    const ck = decodeSafetensors(readFileSync(join(dir, 't', 'model.safetensors')), 'ck');
    (ck.tensors.get('head.bias')!.data as Float32Array)[2] = Number.POSITIVE_INFINITY;
    const init = join(dir, 'inf.safetensors');
    writeFileSync(init, encodeSafetensors(ck.tensors, ck.metadata));
    assertOneLineError(await cli(['train', ...tiny, '--corpus', CORPUS, '--init', init, '--out', join(dir, 'x')]), EXIT.input, /tensor 'head\.bias' holds Infinity at index \[2\]/);
  });

  it('a dump whose metadata disagrees with its shapes is refused', async () => {
    for (const [key, value, pattern] of [['T', '5', /metadata says T = 5 but the tensors say 4/], ['precision', 'float64', /metadata says precision = float64 but the tensors say F32/], ['H', '8', /metadata says H = 8 but the tensors say 4/]] as const) {
      const f = decodeSafetensors(readFileSync(dump), dump);
      const bad = join(dir, `meta-${key}.safetensors`);
      writeFileSync(bad, encodeSafetensors(f.tensors, { ...f.metadata, [key]: value }));
      assertOneLineError(await cli(['engine-model', '--streams', bad, '--preset', 'tiny', '--out', join(dir, 'em-meta')]), EXIT.input, pattern);
    }
  });

  it('a binary corpus is an error; a mostly-text one trains with a warning', async () => {
    const bin = join(dir, 'binary.dat');
    const bytes = Buffer.alloc(20000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    writeFileSync(bin, bytes);
    assertOneLineError(await cli(['train', ...tiny, '--corpus', bin, '--out', join(dir, 'x')]), EXIT.input, /corpus .*binary\.dat is not text \(\d+\.\d% of its characters are binary bytes or control characters\)/);
    const mostly = join(dir, 'mostly.txt');
    writeFileSync(mostly, readFileSync(CORPUS, 'utf8').slice(0, 20000) + '\u0000\u0001\u0002');
    const r = await cli(['train', ...tiny, '--corpus', mostly, '--out', join(dir, 'mostly')]);
    assert.equal(r.exitCode, 0, r.all);
    assert.match(r.stderr, /^sparsegrad: warning: corpus .*mostly\.txt: 3 characters \(0\.015%\) are binary bytes or control characters/m);
  });

  it('file-system errors say what to do; a missing tool has its own exit code', async () => {
    mkdirSync(join(dir, 'afolder'));
    assertOneLineError(await cli(['engine-model', '--streams', join(dir, 'afolder'), '--preset', 'tiny', '--out', join(dir, 'x')]), EXIT.input, /afolder/);
    const under = join(dir, 'a-file-2');
    writeFileSync(under, '');
    assertOneLineError(await cli(['train', ...tiny, '--corpus', CORPUS, '--out', join(under, 'sub')]), EXIT.input, /a-file-2\/sub: a part of this path is a file, not a folder: fix the path|a-file-2.*already exists and is not a folder/);
    assert.equal(userPath('/x/.out.partial-123-abcdef/model.safetensors'), '/x/out/model.safetensors');
    // A PATH with node and the shell tools bin/sparsegrad needs, but no verilator.
    const binDir = join(dir, 'bin');
    mkdirSync(binDir);
    for (const tool of ['sh', 'dirname', 'readlink']) symlinkSync(`/usr/bin/${tool}`, join(binDir, tool));
    symlinkSync(process.execPath, join(binDir, 'node'));
    const { execa } = await import('execa');
    const { BIN } = await import('./helpers.ts');
    const r = await execa(BIN, ['cosim', '--preset', 'tiny', '--out', join(dir, 'nov')], { reject: false, env: { PATH: binDir, HOME: process.env.HOME }, extendEnv: false });
    assertOneLineError(r, EXIT.missingTool, /verilator is not installed/);
  });
});
