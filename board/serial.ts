/**
 * The real board: the iCEBreaker's FTDI serial port through the `serialport`
 * package (8N1, no flow control, at the bitstream's baud rate).
 */
import { EXIT, UserError } from '../util/errors.ts';
import { ByteQueue, type Transport } from './transport.ts';

interface Port {
  write(b: Buffer, cb: (e?: Error | null) => void): void;
  drain(cb: (e?: Error | null) => void): void;
  close(cb: (e?: Error | null) => void): void;
  on(ev: 'data', cb: (b: Buffer) => void): void;
  on(ev: 'error' | 'close', cb: (e?: Error) => void): void;
}

export class SerialBoard implements Transport {
  private readonly queue = new ByteQueue();
  private constructor(private readonly port: Port, readonly label: string) {
    port.on('data', (b) => this.queue.push(new Uint8Array(b)));
    port.on('error', (e) => this.queue.fail(new UserError(`${label}: ${e?.message ?? 'serial port error'}`)));
    port.on('close', () => this.queue.fail(new UserError(`${label}: the serial port closed (board unplugged?)`)));
  }

  static async open(path: string, baud: number): Promise<SerialBoard> {
    let mod: { SerialPort: new (o: Record<string, unknown>, cb: (e?: Error | null) => void) => Port };
    try {
      // Named through a variable: the package's own types are not needed, and a checkout
      // without it still type-checks and runs everything but a real board.
      const name = 'serialport';
      mod = (await import(name)) as typeof mod;
    } catch {
      throw new UserError("the 'serialport' package is not installed: run 'npm ci' in the sparsegrad folder", EXIT.missingTool);
    }
    const port = await new Promise<Port>((resolve, reject) => {
      const p: Port = new mod.SerialPort({ path, baudRate: baud, dataBits: 8, stopBits: 1, parity: 'none', rtscts: false }, (e) => (e ? reject(e) : resolve(p)));
    }).catch((e: Error) => {
      throw new UserError(`--port ${path}: ${e.message}; the iCEBreaker's UART is the FTDI's second interface (often /dev/ttyUSB1)`);
    });
    return new SerialBoard(port, path);
  }

  async write(bytes: Uint8Array): Promise<void> {
    await new Promise<void>((resolve, reject) => this.port.write(Buffer.from(bytes), (e) => (e ? reject(e) : resolve())));
    await new Promise<void>((resolve, reject) => this.port.drain((e) => (e ? reject(e) : resolve())));
  }

  read(n: number, timeoutMs: number): Promise<Uint8Array> {
    return this.queue.read(n, timeoutMs, this.label);
  }

  drain(): void {
    this.queue.drain();
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }
}
