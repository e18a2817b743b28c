/** The host's framing: requests as documented, responses checked, reads served exactly. */
import { strict as assert } from 'node:assert';
import { BoardLink, encodeRequest } from '../../board/protocol.ts';
import { ByteQueue, type Transport } from '../../board/transport.ts';
import { CMD, RESP_SYNC, STATUS, checkByte } from '../../generator/boards/icebreaker/protocol.ts';

/** A transport that answers every request with the frames a test gives it. */
class Scripted implements Transport {
  readonly label = 'scripted board';
  readonly sent: Uint8Array[] = [];
  private readonly q = new ByteQueue();
  constructor(private readonly answers: number[][]) {}
  async write(b: Uint8Array): Promise<void> {
    this.sent.push(b);
    const a = this.answers.shift();
    if (a) this.q.push(Uint8Array.from(a));
  }
  read(n: number, t: number): Promise<Uint8Array> {
    return this.q.read(n, t, this.label);
  }
  drain(): void {
    this.q.drain();
  }
  async close(): Promise<void> {}
}

const frame = (status: number, payload: number[]): number[] => [RESP_SYNC, status, payload.length, ...payload, checkByte([status, payload.length, ...payload])];

describe('board: protocol framing', () => {
  it('a request is sync, command, length, payload and a check byte that zeroes the sum', () => {
    const f = encodeRequest(CMD.REG_WRITE, [0x10, 1, 2, 3, 4]);
    assert.deepEqual([...f], [0xa5, 0x01, 5, 0x10, 1, 2, 3, 4, (256 - ((1 + 5 + 0x10 + 1 + 2 + 3 + 4) & 0xff)) & 0xff]);
    assert.equal([...f.subarray(1)].reduce((s, b) => (s + b) & 0xff, 0), 0);
  });

  it('reads a register from a well-formed response, skipping noise before the sync byte', async () => {
    const t = new Scripted([[0x00, 0xff, ...frame(STATUS.OK, [0x45, 0x42, 0x47, 0x53, 0])]]);
    const r = await new BoardLink(t, 500).readReg(0x60);
    assert.equal(r.data, 0x53474245);
    assert.equal(r.resp, 0);
  });

  it('a response whose check byte is wrong is an error (a corrupted line is never taken as data)', async () => {
    const good = frame(STATUS.OK, [1, 2, 3, 4, 0]);
    good[good.length - 1] ^= 0x01;
    await assert.rejects(new BoardLink(new Scripted([good]), 500).request(CMD.REG_READ, [0]), /fails its check byte/);
  });

  it('a status other than OK is an error naming it', async () => {
    await assert.rejects(new BoardLink(new Scripted([frame(STATUS.BAD_FRAME, [])]), 500).readReg(0), /BAD_FRAME/);
  });

  it('FULL and EMPTY are answers, not errors, for pushes and pulls', async () => {
    const link = new BoardLink(new Scripted([frame(STATUS.FULL, []), frame(STATUS.EMPTY, [])]), 500);
    assert.equal(await link.push('grad', new Uint8Array(8), false), false);
    assert.equal(await link.pull(12), undefined);
  });

  it('no answer is a timeout naming the transport', async () => {
    await assert.rejects(new BoardLink(new Scripted([]), 50).readReg(0), /scripted board: no answer within 50 ms/);
  });
});

describe('board: the board must carry the preset\'s engine', () => {
  it('beat sizes of another preset are refused, naming the preset to flash (default against a tiny bitstream)', async () => {
    const { checkBoardMatches } = await import('../../board/run.ts');
    const { getPreset } = await import('../../engine/config.ts');
    const tinyBoard = { version: 1, gradBytes: 8, actBytes: 8, resBytes: 12, memWords: 16384, divisor: 208, busBytes: 16 };
    checkBoardMatches(tinyBoard, getPreset('tiny'), 'tiny', 'board');
    assert.throws(() => checkBoardMatches(tinyBoard, getPreset('default'), 'default', 'board'), /board carries an engine with resBytes = 12, preset default has 24; flash the bitstream of --preset default/);
  });
});

describe('board: repeating a request after a lost answer', () => {
  const corrupted = (): number[] => {
    const f = frame(STATUS.OK, [1, 2, 3, 4, 5, 6, 7, 8]);
    f[3]! ^= 0xff;
    return f;
  };
  it('a memory read whose answer is corrupted is sent again and succeeds', async () => {
    const t = new Scripted([corrupted(), frame(STATUS.OK, [1, 2, 3, 4, 5, 6, 7, 8])]);
    const link = new BoardLink(t, 500);
    assert.deepEqual([...(await link.readWord(3))], [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(link.retries, 1);
    assert.equal(t.sent.length, 2);
  });
  it('a register write is never repeated: it may have started a job (the corrupted answer is an error)', async () => {
    const t = new Scripted([corrupted(), frame(STATUS.OK, [0])]);
    await assert.rejects(new BoardLink(t, 500).writeReg(0, 1), /fails its check byte/);
    assert.equal(t.sent.length, 1);
  });
  it('a request the board received corrupted (BAD_CHECK: nothing done) is sent again, even a register write', async () => {
    const t = new Scripted([frame(STATUS.BAD_CHECK, []), frame(STATUS.OK, [0])]);
    const link = new BoardLink(t, 500);
    assert.equal(await link.writeReg(0, 1), 0);
    assert.equal(t.sent.length, 2);
    assert.deepEqual([...t.sent[0]!], [...t.sent[1]!]);
  });
  it('gives up after two repeats', async () => {
    const t = new Scripted([corrupted(), corrupted(), corrupted(), frame(STATUS.OK, [1, 2, 3, 4, 5, 6, 7, 8])]);
    await assert.rejects(new BoardLink(t, 500).readWord(3), /fails its check byte/);
    assert.equal(t.sent.length, 3);
  });
});
