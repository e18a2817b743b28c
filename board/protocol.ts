/**
 * The host's side of the board protocol (generator/boards/icebreaker/protocol.ts,
 * docs/board.md): one request, one response, checked; a response that does not
 * arrive or does not check is sent again only for requests that are safe to repeat (`ok`).
 */
import { UserError } from '../util/errors.ts';
import { CMD, MEM_WORD_BYTES, PING_BYTES, PROTOCOL_VERSION, REQ_SYNC, RESP_SYNC, STATUS, checkByte } from '../generator/boards/icebreaker/protocol.ts';
import type { Transport } from './transport.ts';

export interface BoardInfo {
  version: number;
  gradBytes: number;
  actBytes: number;
  resBytes: number;
  memWords: number;
  divisor: number;
  busBytes: number;
}

export interface Response {
  status: number;
  payload: Uint8Array;
}

/** Repeats of a request that is safe to repeat. */
const RETRIES = 2;

const STATUS_NAMES = Object.fromEntries(Object.entries(STATUS).map(([k, v]) => [v, k]));

export function encodeRequest(cmd: number, payload: ArrayLike<number> = []): Uint8Array {
  const body = [cmd, payload.length, ...Array.from(payload)];
  return Uint8Array.from([REQ_SYNC, ...body, checkByte(body)]);
}

export class BoardLink {
  /** Requests sent, and how many of them were repeats after a lost or corrupted answer. */
  requests = 0;
  retries = 0;
  constructor(private readonly t: Transport, private readonly timeoutMs = 2000) {}

  get label(): string {
    return this.t.label;
  }

  /**
   * One request; its response (any status but BAD_CHECK) or an error naming what went wrong.
   * BAD_CHECK says the board received the request corrupted and did nothing, so any
   * request is sent again then, up to RETRIES times.
   */
  async request(cmd: number, payload: ArrayLike<number> = []): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const r = await this.once(cmd, payload);
      if (r.status !== STATUS.BAD_CHECK || attempt >= RETRIES) return r;
      this.retries++;
    }
  }

  private async once(cmd: number, payload: ArrayLike<number>): Promise<Response> {
    this.requests++;
    await this.t.write(encodeRequest(cmd, payload));
    // Skip anything before the sync byte (line noise at power-up).
    for (let skipped = 0; ; skipped++) {
      const [b] = await this.t.read(1, this.timeoutMs);
      if (b === RESP_SYNC) break;
      if (skipped > 64) throw new UserError(`${this.label}: no response frame (bytes without the 0x5a sync); is the board running the sparsegrad bitstream?`);
    }
    const [status, len] = await this.t.read(2, this.timeoutMs);
    const rest = await this.t.read(len! + 1, this.timeoutMs);
    const body = rest.subarray(0, len);
    if (checkByte([status!, len!, ...body]) !== rest[len!]) {
      throw new UserError(`${this.label}: response to command 0x${cmd.toString(16)} fails its check byte (a corrupted byte on the line)`);
    }
    return { status: status!, payload: body };
  }

  /**
   * A request that must succeed (status OK) with a payload of `len` bytes. Requests that
   * are safe to repeat (PING, REG_READ, MEM_WRITE, MEM_READ) are sent again, up to
   * RETRIES times, when the answer is lost or corrupted; a register write may start a job
   * and is never repeated, nor are pushes and pulls (a lost answer would lose a beat).
   */
  async ok(cmd: number, payload: ArrayLike<number>, len: number, what: string): Promise<Uint8Array> {
    const repeatable = cmd === CMD.PING || cmd === CMD.REG_READ || cmd === CMD.MEM_WRITE || cmd === CMD.MEM_READ;
    let r: Response | undefined;
    for (let attempt = 0; !r; attempt++) {
      try {
        r = await this.request(cmd, payload);
      } catch (e) {
        if (!repeatable || attempt >= RETRIES) throw e;
        this.retries++;
        this.t.drain();
      }
    }
    if (r.status !== STATUS.OK) throw new UserError(`${this.label}: ${what} answered ${STATUS_NAMES[r.status] ?? `status ${r.status}`}`);
    if (r.payload.length !== len) throw new UserError(`${this.label}: ${what} answered ${r.payload.length} bytes, expected ${len}`);
    return r.payload;
  }

  async ping(): Promise<BoardInfo> {
    const p = await this.ok(CMD.PING, [], PING_BYTES, 'PING');
    const info = { version: p[0]!, gradBytes: p[1]!, actBytes: p[2]!, resBytes: p[3]!, memWords: 2 ** p[4]!, divisor: p[5]! | (p[6]! << 8), busBytes: p[7]! };
    if (info.version !== PROTOCOL_VERSION) throw new UserError(`${this.label}: the board speaks protocol version ${info.version}, this program ${PROTOCOL_VERSION}; rebuild the bitstream with this sparsegrad`);
    return info;
  }

  /** The engine's AXI4-Lite BRESP. */
  async writeReg(addr: number, data: number): Promise<number> {
    const p = await this.ok(CMD.REG_WRITE, [addr & 0xff, ...le(data >>> 0, 4)], 1, `REG_WRITE 0x${addr.toString(16)}`);
    return p[0]!;
  }

  async readReg(addr: number): Promise<{ data: number; resp: number }> {
    const p = await this.ok(CMD.REG_READ, [addr & 0xff], 5, `REG_READ 0x${addr.toString(16)}`);
    return { data: (p[0]! | (p[1]! << 8) | (p[2]! << 16) | (p[3]! << 24)) >>> 0, resp: p[4]! };
  }

  async writeWord(word: number, data: Uint8Array): Promise<void> {
    await this.ok(CMD.MEM_WRITE, [...le(word, 2), ...data], 0, `MEM_WRITE word ${word}`);
  }

  async readWord(word: number): Promise<Uint8Array> {
    return await this.ok(CMD.MEM_READ, le(word, 2), MEM_WORD_BYTES, `MEM_READ word ${word}`);
  }

  /** Whether the beat was taken (false: the previous one is still held; send again). */
  async push(stream: 'grad' | 'act', beat: Uint8Array, last: boolean): Promise<boolean> {
    const r = await this.request(stream === 'grad' ? CMD.PUSH_GRAD : CMD.PUSH_ACT, [last ? 1 : 0, ...beat]);
    if (r.status === STATUS.FULL) return false;
    if (r.status !== STATUS.OK) throw new UserError(`${this.label}: PUSH ${stream} answered ${STATUS_NAMES[r.status] ?? `status ${r.status}`}`);
    return true;
  }

  /** A result beat (flags byte, then data), or undefined when none is waiting. */
  async pull(resBytes: number): Promise<{ last: boolean; data: Uint8Array } | undefined> {
    const r = await this.request(CMD.PULL_RES);
    if (r.status === STATUS.EMPTY) return undefined;
    if (r.status !== STATUS.OK || r.payload.length !== 1 + resBytes) throw new UserError(`${this.label}: PULL_RES answered ${STATUS_NAMES[r.status] ?? `status ${r.status}`} with ${r.payload.length} bytes`);
    return { last: (r.payload[0]! & 1) === 1, data: r.payload.slice(1) };
  }
}

function le(v: number, bytes: number): number[] {
  return Array.from({ length: bytes }, (_, i) => Math.floor(v / 2 ** (8 * i)) & 0xff);
}
