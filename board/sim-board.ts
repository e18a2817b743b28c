/**
 * The simulated iCEBreaker: the board top emitted for a preset, Verilated with the
 * hard-block stand-ins (generator/boards/icebreaker/models/) and board/sim_main.cpp,
 * run as a child process whose stdin/stdout are the FTDI's two wires. The UART is
 * bit-banged on the pins at the bitstream's own divisor, so the bridge's receiver and
 * transmitter run exactly as on the chip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../util/errors.ts';
import type { EngineConfig } from '../engine/config.ts';
import { requireTool } from '../toolchain/index.ts';
import { buildVerilated } from '../sim/build/index.ts';
import { emitBoard, SIM_MODELS, TOP_NAME, type BoardOptions, type EmittedBoard } from '../generator/boards/icebreaker/top.ts';
import { ByteQueue, type Transport } from './transport.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SIM_MAIN = path.join(REPO, 'board', 'sim_main.cpp');

/** The executable of the Verilated board top (cached by content like every Verilator build). */
export async function buildSimulatedBoard(board: EmittedBoard, onBuild?: () => void): Promise<string> {
  requireTool('verilator');
  const dir = mkdtempSync(path.join(tmpdir(), 'sparsegrad-board-rtl-'));
  try {
    const files: string[] = [];
    for (const [f, text] of [...board.files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      writeFileSync(path.join(dir, f), text);
      files.push(path.join(dir, f));
    }
    return await buildVerilated({
      top: TOP_NAME,
      files: [...files, ...SIM_MODELS.map((f) => path.join(REPO, f))],
      cppFiles: [SIM_MAIN],
      flags: ['-Wno-fatal', '-Wno-lint', '-Wno-style'],
      ...(onBuild ? { onBuild } : {}),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export class SimulatedBoard implements Transport {
  readonly label = 'simulated board';
  private readonly queue = new ByteQueue();
  private readonly exited: Promise<number | null>;
  private stderr = '';

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (b: Buffer) => this.queue.push(new Uint8Array(b)));
    child.stderr!.on('data', (b: Buffer) => (this.stderr += b.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => {
      this.queue.fail(new UserError(`the simulated board exited (status ${code})${this.stderr ? `: ${this.stderr.trim().split('\n')[0]}` : ''}`));
      resolve(code);
    }));
    child.stdin!.on('error', () => undefined);
  }

  static async start(cfg: EngineConfig, opts: BoardOptions, onBuild?: () => void): Promise<SimulatedBoard> {
    const board = emitBoard(cfg, opts);
    const exe = await buildSimulatedBoard(board, onBuild);
    return new SimulatedBoard(spawn(exe, [String(board.manifest.clocking.divisor)], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  async write(bytes: Uint8Array): Promise<void> {
    await new Promise<void>((resolve, reject) => this.child.stdin!.write(bytes, (e) => (e ? reject(e) : resolve())));
  }

  read(n: number, timeoutMs: number): Promise<Uint8Array> {
    return this.queue.read(n, timeoutMs, this.label);
  }

  drain(): void {
    this.queue.drain();
  }

  async close(): Promise<void> {
    this.child.stdin!.end();
    const code = await this.exited;
    if (code !== 0) throw new UserError(`the simulated board ended with status ${code}${this.stderr ? `: ${this.stderr.trim().split('\n')[0]}` : ''}`);
  }
}
