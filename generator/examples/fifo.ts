/** The guide's FIFO example: a block-RAM FIFO of bytes with packet boundaries. */
import { UInt } from '../index.ts';
import { fifo } from '../lib/fifo.ts';

export const byteFifo = (depth = 16) => fifo({ data: UInt(8), depth, last: true });
