/**
 * A byte pipe to a board: the real iCEBreaker's serial port (serial.ts) or the
 * Verilated board top (sim-board.ts). The host program sees nothing else.
 */
export interface Transport {
  write(bytes: Uint8Array): Promise<void>;
  /** Exactly `n` bytes, or a rejection after `timeoutMs` without them. */
  read(n: number, timeoutMs: number): Promise<Uint8Array>;
  /** Drops bytes received and not yet read (after a timeout, before a retry). */
  drain(): void;
  close(): Promise<void>;
  /** How the transport names itself in errors: `/dev/ttyUSB1`, `simulated board`. */
  readonly label: string;
}

/** Buffers incoming chunks and serves exact-length reads; the base of both transports. */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private waiter: { n: number; resolve: (b: Uint8Array) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;
  private failure: Error | undefined;

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    this.serve();
  }

  /** Every later read fails with `e` (the port closed, the simulator died). */
  fail(e: Error): void {
    this.failure = e;
    if (this.waiter) {
      clearTimeout(this.waiter.timer);
      const w = this.waiter;
      this.waiter = undefined;
      w.reject(e);
    }
  }

  read(n: number, timeoutMs: number, label: string): Promise<Uint8Array> {
    if (this.waiter) return Promise.reject(new Error('one read at a time'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`${label}: no answer within ${timeoutMs} ms (${this.size} of ${n} bytes)`));
      }, timeoutMs);
      this.waiter = { n, resolve, reject, timer };
      if (this.failure) this.fail(this.failure);
      else this.serve();
    });
  }

  drain(): void {
    this.chunks = [];
    this.size = 0;
  }

  private serve(): void {
    const w = this.waiter;
    if (!w || this.size < w.n) return;
    const all = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      all.set(c, at);
      at += c.length;
    }
    this.chunks = all.length > w.n ? [all.subarray(w.n)] : [];
    this.size = all.length - w.n;
    clearTimeout(w.timer);
    this.waiter = undefined;
    w.resolve(all.slice(0, w.n));
  }
}
