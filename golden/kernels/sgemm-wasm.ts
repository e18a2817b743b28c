/**
 * Float32 GEMM through the WebAssembly SIMD micro-kernel: pack op(A) and op(B)
 * into linear memory (this is also where transposes, offsets and leading
 * dimensions are absorbed), run the kernel, then apply alpha/beta while
 * copying C back. Packing is O(MK + KN), the kernel O(MNK).
 */
import type { GemmArgs } from './gemm.ts';
import { emitSgemmModule } from './sgemm-wasm-module.ts';

/** Register block: 4 rows × 16 columns = 16 f32x4 accumulators. */
export const MR = 4;
export const NR = 16;
/** k-block: an NR-wide panel slice of KC·NR·4 = 16 KiB stays in L1. */
export const KC = 256;

const PAGE = 65536;
const MAX_PAGES = 16384; // 1 GiB of address space reserved, committed only as used
/** Bytes at the start of memory reserved for the worker control block. */
export const CONTROL_BYTES = 256;

export interface SgemmKernel {
  memory: WebAssembly.Memory;
  sgemmPacked: (ap: number, bp: number, c: number, ib0: number, ib1: number, nPanels: number, K: number, ldc: number, KC: number) => void;
}

let moduleCache: WebAssembly.Module | undefined;

export function sgemmModule(): WebAssembly.Module {
  moduleCache ??= new WebAssembly.Module(emitSgemmModule({ MR, NR }, { initialPages: 1, maximumPages: MAX_PAGES }));
  return moduleCache;
}

/** Instantiates the kernel over `memory` (the main thread's, or shared with a worker). */
export function instantiateSgemm(memory: WebAssembly.Memory): SgemmKernel {
  const instance = new WebAssembly.Instance(sgemmModule(), { env: { memory } });
  return { memory, sgemmPacked: instance.exports.sgemm_packed as SgemmKernel['sgemmPacked'] };
}

let kernel: SgemmKernel | undefined;
let view = new Float32Array(0);

export function mainKernel(): SgemmKernel {
  if (!kernel) kernel = instantiateSgemm(new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true }));
  return kernel;
}

function ensureBytes(bytes: number): Float32Array {
  const k = mainKernel();
  const have = k.memory.buffer.byteLength;
  if (bytes > have) {
    const pages = Math.ceil((bytes - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) throw new Error(`sgemm workspace of ${bytes} bytes exceeds ${MAX_PAGES * PAGE} bytes`);
    k.memory.grow(pages);
  }
  if (view.buffer !== k.memory.buffer || view.length * 4 !== k.memory.buffer.byteLength) view = new Float32Array(k.memory.buffer);
  return view;
}

const align16 = (floats: number): number => Math.ceil(floats / 16) * 16;

/** Workspace layout (float indices) for an M×N×K product. */
export interface Workspace {
  mBlocks: number;
  nPanels: number;
  ap: number;
  bp: number;
  c: number;
  ldc: number;
}

export function workspaceFor(M: number, N: number, K: number): Workspace {
  const mBlocks = Math.ceil(M / MR), nPanels = Math.ceil(N / NR);
  const ap = CONTROL_BYTES / 4;
  const bp = ap + align16(mBlocks * MR * K);
  const c = bp + align16(nPanels * NR * K);
  const ldc = nPanels * NR;
  return { mBlocks, nPanels, ap, bp, c, ldc };
}

function packA(g: GemmArgs<Float32Array>, mem: Float32Array, ws: Workspace): void {
  const { transA, M, K, A, lda } = g;
  const ao = g.aOffset ?? 0;
  for (let ib = 0; ib < ws.mBlocks; ib++) {
    const base = ws.ap + ib * K * MR;
    const rows = Math.min(MR, M - ib * MR);
    if (transA) {
      for (let k = 0; k < K; k++) {
        const src = ao + k * lda + ib * MR, dst = base + k * MR;
        let r = 0;
        for (; r < rows; r++) mem[dst + r] = A[src + r];
        for (; r < MR; r++) mem[dst + r] = 0;
      }
    } else {
      for (let r = 0; r < MR; r++) {
        if (r < rows) {
          const src = ao + (ib * MR + r) * lda;
          for (let k = 0; k < K; k++) mem[base + k * MR + r] = A[src + k];
        } else {
          for (let k = 0; k < K; k++) mem[base + k * MR + r] = 0;
        }
      }
    }
  }
}

function packB(g: GemmArgs<Float32Array>, mem: Float32Array, ws: Workspace): void {
  const { transB, N, K, B, ldb } = g;
  const bo = g.bOffset ?? 0;
  for (let jp = 0; jp < ws.nPanels; jp++) {
    const base = ws.bp + jp * K * NR;
    const cols = Math.min(NR, N - jp * NR);
    if (transB) {
      for (let cc = 0; cc < NR; cc++) {
        if (cc < cols) {
          const src = bo + (jp * NR + cc) * ldb;
          for (let k = 0; k < K; k++) mem[base + k * NR + cc] = B[src + k];
        } else {
          for (let k = 0; k < K; k++) mem[base + k * NR + cc] = 0;
        }
      }
    } else {
      for (let k = 0; k < K; k++) {
        const src = bo + k * ldb + jp * NR, dst = base + k * NR;
        if (cols === NR) mem.set(B.subarray(src, src + NR), dst);
        else {
          let cc = 0;
          for (; cc < cols; cc++) mem[dst + cc] = B[src + cc];
          for (; cc < NR; cc++) mem[dst + cc] = 0;
        }
      }
    }
  }
}

function unpackC(g: GemmArgs<Float32Array>, mem: Float32Array, ws: Workspace): void {
  const { M, N, alpha, beta, C, ldc } = g;
  const co = g.cOffset ?? 0;
  for (let i = 0; i < M; i++) {
    const src = ws.c + i * ws.ldc, dst = co + i * ldc;
    if (beta === 0) {
      if (alpha === 1) C.set(mem.subarray(src, src + N), dst);
      else for (let j = 0; j < N; j++) C[dst + j] = alpha * mem[src + j];
    } else {
      for (let j = 0; j < N; j++) C[dst + j] = alpha * mem[src + j] + beta * C[dst + j];
    }
  }
}

/** Computes row blocks [ib0, ib1) of the packed product (on whichever thread runs it). */
export function runRowBlocks(k: SgemmKernel, ws: Workspace, K: number, ib0: number, ib1: number): void {
  if (ib1 > ib0) k.sgemmPacked(ws.ap * 4, ws.bp * 4, ws.c * 4, ib0, ib1, ws.nPanels, K, ws.ldc * 4, KC);
}

/** Runs all row blocks of a packed product, possibly split across threads. */
export type PackedRunner = (ws: Workspace, K: number) => void;

const inline: PackedRunner = (ws, K) => runRowBlocks(mainKernel(), ws, K, 0, ws.mBlocks);

/** C = alpha·op(A)·op(B) + beta·C in Float32 arithmetic (K ≥ 1, M, N ≥ 1). */
export function sgemmWasm(g: GemmArgs<Float32Array>, runner: PackedRunner = inline): void {
  const { M, N, K } = g;
  const ws = workspaceFor(M, N, K);
  const mem = ensureBytes((ws.c + ws.mBlocks * MR * ws.ldc) * 4);
  packA(g, mem, ws);
  packB(g, mem, ws);
  runner(ws, K);
  unpackC(g, mem, ws);
}
