/**
 * The host ↔ board UART protocol (docs/board.md, "Protocol"): the one source for the
 * bridge's hardware (bridge.ts) and the host program (board/protocol.ts).
 *
 * Request  = 0xA5, CMD, LEN, LEN payload bytes, CHECK
 * Response = 0x5A, STATUS, LEN, LEN payload bytes, CHECK
 * CHECK makes the 8-bit sum of every byte after the sync byte zero. Multi-byte fields
 * are little-endian. The host sends one request and waits for its response.
 */

export const REQ_SYNC = 0xa5;
export const RESP_SYNC = 0x5a;
export const PROTOCOL_VERSION = 1;

export const CMD = {
  /** → version, grad beat bytes, act beat bytes, res beat bytes, log2 memory words, divisor (2 bytes), memory bus bytes. */
  PING: 0x00,
  /** addr(1) data(4) → bresp(1). */
  REG_WRITE: 0x01,
  /** addr(1) → data(4) rresp(1). */
  REG_READ: 0x02,
  /** word(2) data(8) → nothing. A word is 8 bytes at byte address 8·word. */
  MEM_WRITE: 0x03,
  /** word(2) → data(8). */
  MEM_READ: 0x04,
  /** flags(1: bit0 tlast) data(grad beat bytes) → nothing, or FULL when the previous beat is still waiting. */
  PUSH_GRAD: 0x05,
  /** flags(1) data(act beat bytes) → nothing, or FULL. */
  PUSH_ACT: 0x06,
  /** nothing → flags(1: bit0 tlast) data(res beat bytes), or EMPTY when the engine offers no beat. */
  PULL_RES: 0x07,
} as const;

export const STATUS = {
  OK: 0,
  /** The request's CHECK byte did not match: nothing was done. */
  BAD_CHECK: 1,
  /** Unknown command, or a length that is not the command's: nothing was done. */
  BAD_FRAME: 2,
  /** PULL_RES: no result beat is waiting. */
  EMPTY: 3,
  /** PUSH_*: the previous beat has not been taken by the engine yet; send it again later. */
  FULL: 4,
} as const;

export const PING_BYTES = 8;
export const MEM_WORD_BYTES = 8;

/** The 8-bit two's-complement sum that zeroes the frame. */
export function checkByte(bytes: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < bytes.length; i++) s = (s + bytes[i]!) & 0xff;
  return (256 - s) & 0xff;
}
