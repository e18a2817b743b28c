/**
 * Board-level co-simulation: the Verilated icebreaker_top (the flashed design with the
 * hard-block stand-ins), its UART driven bit by bit through the pins by the same host
 * program that drives the real board. Preset tiny: the one that fits the UP5K (docs/board.md).
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { getPreset } from '../../engine/config.ts';
import { REG, ENGINE_ID } from '../../engine/registers.ts';
import { BoardLink, encodeRequest } from '../../board/protocol.ts';
import { SimulatedBoard } from '../../board/sim-board.ts';
import { boardRun } from '../../board/run.ts';
import type { Transport } from '../../board/transport.ts';
import { CMD, MEM_WORD_BYTES, RESP_SYNC, STATUS, checkByte } from '../../generator/boards/icebreaker/protocol.ts';
import { ICEBREAKER_DEFAULTS, boardClocking } from '../../generator/boards/icebreaker/index.ts';
import { writeSyntheticDump } from '../engine-model/synthetic-dump.ts';

process.env.SPARSEGRAD_CACHE ??= join(tmpdir(), 'sparsegrad-test-cache');
const bin = fileURLToPath(new URL('../../bin/sparsegrad', import.meta.url));
const cfg = getPreset(ICEBREAKER_DEFAULTS.preset);
const opts = { clockMHz: ICEBREAKER_DEFAULTS.clockMHz, baud: ICEBREAKER_DEFAULTS.baud };

/** Sends raw bytes and reads one response frame. */
async function raw(t: Transport, bytes: number[]): Promise<{ status: number; payload: number[] }> {
  await t.write(Uint8Array.from(bytes));
  for (;;) if ((await t.read(1, 5000))[0] === RESP_SYNC) break;
  const [status, len] = await t.read(2, 5000);
  const rest = [...(await t.read(len! + 1, 5000))];
  assert.equal(checkByte([status!, len!, ...rest.slice(0, len)]), rest[len!], 'the board computes its check byte as documented');
  return { status: status!, payload: rest.slice(0, len) };
}

describe('board: the bridge at bit level on the simulated board', function () {
  this.timeout(600_000);
  let sb: SimulatedBoard;
  let link: BoardLink;
  before(async () => {
    sb = await SimulatedBoard.start(cfg, opts);
    link = new BoardLink(sb, 5000);
  });
  after(async () => sb && (await sb.close()));

  it('PING reports the protocol version and the engine\'s beat sizes', async () => {
    const info = await link.ping();
    assert.deepEqual(info, { version: 1, gradBytes: (cfg.P * cfg.gBits) / 8, actBytes: (cfg.P * cfg.aBits) / 8, resBytes: (cfg.N * cfg.accBits) / 8, memWords: 16384, divisor: boardClocking(opts).divisor, busBytes: cfg.axiDataBits / 8 });
  });

  it('reads the engine\'s ID register through AXI4-Lite', async () => {
    assert.deepEqual(await link.readReg(REG.ID), { data: ENGINE_ID, resp: 0 });
  });

  it('a register written reads back (THETA), and the write is answered OKAY', async () => {
    assert.equal(await link.writeReg(REG.THETA, 0x1234), 0);
    assert.equal((await link.readReg(REG.THETA)).data, 0x1234);
  });

  it('SPRAM words written read back, in every one of the four blocks\' lanes and at both ends', async () => {
    for (const word of [0, 1, 8191, 16383]) {
      const data = Uint8Array.from({ length: MEM_WORD_BYTES }, (_, i) => (word * 7 + i * 37 + 1) & 0xff);
      await link.writeWord(word, data);
      assert.deepEqual([...(await link.readWord(word))], [...data]);
    }
  });

  it('a frame with a wrong check byte is refused with BAD_CHECK and does nothing', async () => {
    await link.writeReg(REG.THETA, 7);
    const f = [...encodeRequest(CMD.REG_WRITE, [REG.THETA, 9, 0, 0, 0])];
    f[f.length - 1] ^= 0x40;
    assert.equal((await raw(sb, f)).status, STATUS.BAD_CHECK);
    assert.equal((await link.readReg(REG.THETA)).data, 7, 'the refused write changed nothing');
  });

  it('an unknown command, and a known one with the wrong length, are refused with BAD_FRAME', async () => {
    assert.equal((await raw(sb, [...encodeRequest(0x3f, [])])).status, STATUS.BAD_FRAME);
    assert.equal((await raw(sb, [...encodeRequest(CMD.REG_READ, [REG.ID, 0])])).status, STATUS.BAD_FRAME);
  });

  it('a frame cut short is dropped after the line stays quiet, and a later frame is answered', async () => {
    await sb.write(Uint8Array.from([0xa5, CMD.REG_READ]));
    // The next request's sync byte would be read as a length of 165; without the quiet
    // timeout the bridge would swallow some 33 requests before answering anything. With
    // it, a request sent after a quiet second of wall time (far more than 40 bit times of
    // simulation) is answered: retried a few times so the test does not depend on speed.
    const patient = new BoardLink(sb, 1000);
    let answer: { data: number; resp: number } | undefined;
    for (let attempt = 0; attempt < 4 && !answer; attempt++) {
      answer = await patient.readReg(REG.ID).catch(() => (sb.drain(), undefined));
    }
    assert.deepEqual(answer, { data: ENGINE_ID, resp: 0 });
  });

  it('PULL_RES with no result waiting answers EMPTY; a second PUSH before the engine takes the first answers FULL', async () => {
    assert.equal(await link.pull((cfg.N * cfg.accBits) / 8), undefined);
    // The engine is idle (no START): it takes no gradient beat, so the held one stays.
    assert.equal(await link.push('grad', new Uint8Array(8), true), true);
    assert.equal(await link.push('grad', new Uint8Array(8), true), false);
  });
});

describe('board: board run on the simulated board', function () {
  this.timeout(600_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sparsegrad-board-run-'));
    writeSyntheticDump(join(dir, 'step.safetensors'), 11);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a gradient dump through the engine on the board is bit-exact with the model in both modes', async () => {
    const r = await boardRun({ preset: ICEBREAKER_DEFAULTS.preset, streams: dir, layer: 0, mode: 'both', baud: ICEBREAKER_DEFAULTS.baud, timeoutMs: 5000 });
    assert.equal(r.results.length, 2);
    for (const x of r.results) {
      assert.ok(x.pass, `${x.mode}: ${[...x.formatErrors, ...x.violations, ...x.firstMismatches].join('; ')}`);
      assert.ok(x.counters.macsSkipped > 0 && x.counters.macsIssued > 0, 'the dump is sparse and the engine skipped');
    }
  });

  it('a memory load corrupted on the way (one W byte, check byte recomputed) is caught as a mismatch', async () => {
    // The board does what it is told; only the comparison with the model can catch this.
    const sb = await SimulatedBoard.start(cfg, opts);
    let corrupted = false;
    const evil: Transport = {
      label: sb.label,
      write: async (b) => {
        if (!corrupted && b[1] === CMD.MEM_WRITE) {
          const body = [...b.subarray(1, b.length - 1)];
          body[4]! ^= 0x01;
          corrupted = true;
          return sb.write(Uint8Array.from([b[0]!, ...body, checkByte(body)]));
        }
        return sb.write(b);
      },
      read: (n, t) => sb.read(n, t),
      drain: () => sb.drain(),
      close: () => sb.close(),
    };
    const { measureLayer } = await import('../../sim/engine/measure.ts');
    const { dumpStimulus } = await import('../../sim/stimulus.ts');
    const { runOnBoard } = await import('../../board/runner.ts');
    const link = new BoardLink(evil, 5000);
    const info = await link.ping();
    const st = dumpStimulus(cfg, join(dir, 'step.safetensors'), 0);
    const m = await measureLayer(cfg, st.problem, 'data', (job) => runOnBoard(link, info, job));
    await evil.close();
    assert.ok(corrupted);
    assert.equal(m.pass, false);
    assert.ok(m.comparison.mismatchCount > 0);
  });

  it('the command line: --sim runs it; neither --port nor --sim is a usage error (exit 2); a missing dump exits 3', async () => {
    const ok = await execa(bin, ['board', 'run', '--sim', '--streams', dir, '--mode', 'data'], { reject: false, env: { SPARSEGRAD_CACHE: process.env.SPARSEGRAD_CACHE } });
    assert.equal(ok.exitCode, 0, ok.stderr);
    assert.match(ok.stdout, /PASS {2}step\.safetensors#l0 data/);
    const none = await execa(bin, ['board', 'run', '--streams', dir], { reject: false });
    assert.equal(none.exitCode, 2);
    assert.match(none.stderr, /^sparsegrad: error: give either --port DEVICE .* or --sim/);
    const missing = await execa(bin, ['board', 'run', '--sim', '--streams', join(dir, 'nope')], { reject: false });
    assert.equal(missing.exitCode, 3);
    assert.match(missing.stderr, /^sparsegrad: error: --streams .*no such file/);
    // No such device: one line and no stack trace, whether or not the serialport package is installed (3: input, 4: missing package).
    const port = await execa(bin, ['board', 'run', '--port', join(dir, 'no-tty'), '--streams', dir], { reject: false });
    assert.ok(port.exitCode === 3 || port.exitCode === 4, port.stderr);
    assert.match(port.stderr, /^sparsegrad: error: [^\n]+\n?$/);
  });
});
