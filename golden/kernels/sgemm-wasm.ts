/**
 * Float32 GEMM through the WebAssembly SIMD micro-kernel: pack op(A) and op(B)
 * into linear memory (this is also where transposes, offsets and leading
 * dimensions are absorbed), run the kernel, then apply alpha/beta while
 * copying C back. Packing is O(MK + KN), the kernel O(MNK).
 */
import type { GemmArgs, PackedGemmArgs } from './gemm.ts';
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

/** A Float32 view of the whole memory, after growing it to at least `floats` elements. */
function memoryView(floats: number): Float32Array {
  const k = mainKernel();
  const bytes = floats * 4, have = k.memory.buffer.byteLength;
  if (bytes > have) {
    const pages = Math.ceil((bytes - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) throw new RangeError(`sgemm needs ${bytes} bytes of WebAssembly memory, more than the ${MAX_PAGES * PAGE} reserved`);
    k.memory.grow(pages);
  }
  if (view.buffer !== k.memory.buffer || view.length * 4 !== k.memory.buffer.byteLength) view = new Float32Array(k.memory.buffer);
  return view;
}

const align16 = (floats: number): number => Math.ceil(floats / 16) * 16;

/**
 * Memory layout, in floats: [control block | pre-packed operands (first-fit
 * heap) | per-call workspace from heapTop]. The workspace is only live during
 * one call, so it can always start at the current top of the heap.
 */
let heapTop = CONTROL_BYTES / 4;
const freeBlocks: Array<{ at: number; size: number }> = [];

function heapAlloc(floats: number): number {
  const size = align16(floats);
  const i = freeBlocks.findIndex((b) => b.size >= size);
  if (i >= 0) {
    const b = freeBlocks[i], at = b.at;
    if (b.size === size) freeBlocks.splice(i, 1);
    else { b.at += size; b.size -= size; }
    return at;
  }
  const at = heapTop;
  heapTop += size;
  memoryView(heapTop);
  return at;
}

function heapFree(at: number, floats: number): void {
  freeBlocks.push({ at, size: align16(floats) });
  freeBlocks.sort((a, b) => a.at - b.at);
  // Merge neighbours, then give a free block at the top back to the workspace.
  for (let i = freeBlocks.length - 1; i > 0; i--) {
    const a = freeBlocks[i - 1], b = freeBlocks[i];
    if (a.at + a.size === b.at) { a.size += b.size; freeBlocks.splice(i, 1); }
  }
  const last = freeBlocks[freeBlocks.length - 1];
  if (last && last.at + last.size === heapTop) { heapTop = last.at; freeBlocks.pop(); }
}

/** Workspace layout (float indices) of one product. */
export interface Workspace {
  mBlocks: number;
  nPanels: number;
  ap: number;
  bp: number;
  c: number;
  ldc: number;
}

/** Lays out Ap, Bp (unless pre-packed at `packedB`) and C from heapTop and grows memory to hold them. */
function workspaceFor(M: number, N: number, K: number, packedB?: number): { ws: Workspace; mem: Float32Array } {
  const mBlocks = Math.ceil(M / MR), nPanels = Math.ceil(N / NR);
  const ap = heapTop;
  const bp = packedB ?? ap + align16(mBlocks * MR * K);
  const c = (packedB === undefined ? bp + align16(nPanels * NR * K) : ap + align16(mBlocks * MR * K));
  const ldc = nPanels * NR;
  const mem = memoryView(c + mBlocks * MR * ldc);
  return { ws: { mBlocks, nPanels, ap, bp, c, ldc }, mem };
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

/** The op(B) operand of a product: what pre-packing needs from GemmArgs. */
export type BOperand = Pick<GemmArgs<Float32Array>, 'transB' | 'N' | 'K' | 'B' | 'bOffset' | 'ldb'>;

function packB(g: BOperand, mem: Float32Array, bp: number): void {
  const { transB, N, K, B, ldb } = g;
  const bo = g.bOffset ?? 0;
  const nPanels = Math.ceil(N / NR);
  for (let jp = 0; jp < nPanels; jp++) {
    const base = bp + jp * K * NR;
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
        let cc = 0;
        for (; cc < cols; cc++) mem[dst + cc] = B[src + cc];
        for (; cc < NR; cc++) mem[dst + cc] = 0;
      }
    }
  }
}

function unpackC(g: GemmArgs<Float32Array> | PrepackedArgs, mem: Float32Array, ws: Workspace, N: number): void {
  const { M, alpha, beta, C, ldc } = g;
  const co = g.cOffset ?? 0;
  for (let i = 0; i < M; i++) {
    const src = ws.c + i * ws.ldc, dst = co + i * ldc;
    if (beta === 0) {
      if (alpha === 1) for (let j = 0; j < N; j++) C[dst + j] = mem[src + j];
      else for (let j = 0; j < N; j++) C[dst + j] = alpha * mem[src + j];
    } else {
      for (let j = 0; j < N; j++) C[dst + j] = alpha * mem[src + j] + beta * C[dst + j];
    }
  }
}

/**
 * op(B) packed once into WebAssembly memory for many products, e.g. W_hh for
 * the T recurrent steps of one pass: it saves re-packing B on every call.
 * The pack is a snapshot: after B changes, `repack` it. `free` releases it.
 */
export class PackedB32 {
  private at: number;
  private floats: number;
  readonly N: number;
  readonly K: number;

  constructor(b: BOperand) {
    this.N = b.N;
    this.K = b.K;
    this.floats = Math.ceil(b.N / NR) * NR * b.K;
    this.at = heapAlloc(this.floats);
    packB(b, memoryView(heapTop), this.at);
  }

  /** Packs new contents of the same N×K shape into the same memory. */
  repack(b: BOperand): void {
    if (this.at < 0) throw new Error('PackedB used after free()');
    if (b.N !== this.N || b.K !== this.K) throw new RangeError(`repack needs a ${this.K}×${this.N} op(B), got ${b.K}×${b.N}`);
    packB(b, memoryView(heapTop), this.at);
  }

  /** Float index of the packed panels in WebAssembly memory. */
  get offset(): number {
    if (this.at < 0) throw new Error('PackedB used after free()');
    return this.at;
  }

  free(): void {
    if (this.at < 0) return;
    heapFree(this.at, this.floats);
    this.at = -1;
  }
}

/** A product whose op(B) is pre-packed: GemmArgs without the B fields. */
export type PrepackedArgs = PackedGemmArgs<Float32Array>;

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
  const { ws, mem } = workspaceFor(M, N, K);
  packA(g, mem, ws);
  packB(g, mem, ws.bp);
  runner(ws, K);
  unpackC(g, mem, ws, N);
}

/** The same product with op(B) from a pack (A is [M×K] or its transpose as in GemmArgs). */
export function sgemmWasmPrepacked(g: PrepackedArgs, b: PackedB32, runner: PackedRunner = inline): void {
  const { ws, mem } = workspaceFor(g.M, b.N, b.K, b.offset);
  packA({ ...g, K: b.K } as GemmArgs<Float32Array>, mem, ws);
  runner(ws, b.K);
  unpackC(g, mem, ws, b.N);
}
