/**
 * Float32 GEMM through the WebAssembly SIMD micro-kernel: copy A and B into
 * linear memory (row windows copied as they are, the kernel takes strides;
 * only a transposed op(B) is reordered into NR-wide panels), run the kernel,
 * then apply alpha/beta while copying C back. Copies are O(MK + KN), the
 * kernel O(MNK).
 */
import type { GemmArgs, PackedGemmArgs } from './gemm.ts';
import { emitSgemmModule } from './sgemm-wasm-module.ts';

/**
 * Register block: 4 rows × 8 columns = 8 f32x4 accumulators, + 2 B vectors + 1
 * splat fit the 16 SIMD registers V8 allocates on x86-64. 4×16 (16 accumulators)
 * spills and measured 20–40% slower; 2×16 measured the same as 4×8, which pads
 * N less (the head's N = 65).
 */
export const MR = 4;
export const NR = 8;
/** k-block: an NR-wide panel slice of KC·NR·4 = 8 KiB stays in L1 next to the A rows. */
export const KC = 256;

const PAGE = 65536;
const MAX_PAGES = 16384; // 1 GiB of address space reserved, committed only as used
/** Bytes at the start of memory reserved for the worker control block. */
export const CONTROL_BYTES = 256;

export interface SgemmKernel {
  memory: WebAssembly.Memory;
  sgemm: (ap: number, rsA: number, csA: number, bp: number, psB: number, ksB: number, c: number, ldc: number, ib0: number, ib1: number, nPanels: number, K: number, KC: number) => void;
}

let moduleCache: WebAssembly.Module | undefined;

export function sgemmModule(): WebAssembly.Module {
  moduleCache ??= new WebAssembly.Module(emitSgemmModule({ MR, NR }, { initialPages: 1, maximumPages: MAX_PAGES }));
  return moduleCache;
}

/** Instantiates the kernel over `memory` (the main thread's, or shared with a worker). */
export function instantiateSgemm(memory: WebAssembly.Memory): SgemmKernel {
  const instance = new WebAssembly.Instance(sgemmModule(), { env: { memory } });
  return { memory, sgemm: instance.exports.sgemm as SgemmKernel['sgemm'] };
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

/** Where one product's operands sit in memory: float indices and float strides (the kernel takes bytes). */
export interface Workspace {
  mBlocks: number;
  nPanels: number;
  K: number;
  ap: number;
  rsA: number;
  csA: number;
  bp: number;
  psB: number;
  ksB: number;
  c: number;
  ldc: number;
}

/** A row window is copied as one span (keeping ld) unless its rows are far apart, then compacted. */
const keepsLd = (rows: number, cols: number, ld: number): boolean => rows === 1 || ld <= 2 * cols + 16;

/**
 * Copies rows×cols at src[off + r·ld + c] to mem[at…] and returns the leading
 * dimension used there; zeroes [copied end, at + extent) so the kernel's
 * over-reads past the last row or column see zeros, not stale data.
 */
function copyWindow(src: Float32Array, off: number, rows: number, cols: number, ld: number, mem: Float32Array, at: number, extent: number): number {
  let ldOut: number, end: number;
  if (keepsLd(rows, cols, ld)) {
    ldOut = ld;
    end = at + (rows - 1) * ld + cols;
    mem.set(src.subarray(off, off + (rows - 1) * ld + cols), at);
  } else {
    ldOut = cols;
    end = at + rows * cols;
    for (let r = 0; r < rows; r++) mem.set(src.subarray(off + r * ld, off + r * ld + cols), at + r * cols);
  }
  if (at + extent > end) mem.fill(0, end, at + extent);
  return ldOut;
}

interface APlacement { rsA: number; csA: number }
type AOperand = Pick<GemmArgs<Float32Array>, 'transA' | 'M' | 'A' | 'aOffset' | 'lda'>;

/** Floats the copy of op(A) needs, padding for the last row block included. */
function aExtent(g: AOperand, K: number): number {
  const rows = g.transA ? K : g.M, cols = g.transA ? g.M : K;
  const ld = keepsLd(rows, cols, g.lda) ? g.lda : cols;
  const mPad = Math.ceil(g.M / MR) * MR;
  return g.transA ? (K - 1) * ld + mPad : (mPad - 1) * ld + K;
}

function placeA(g: AOperand, K: number, mem: Float32Array, at: number): APlacement {
  const rows = g.transA ? K : g.M, cols = g.transA ? g.M : K;
  const ld = copyWindow(g.A, g.aOffset ?? 0, rows, cols, g.lda, mem, at, aExtent(g, K));
  return g.transA ? { rsA: 1, csA: ld } : { rsA: ld, csA: 1 };
}

/** The op(B) operand of a product: what pre-packing needs from GemmArgs. */
export type BOperand = Pick<GemmArgs<Float32Array>, 'transB' | 'N' | 'K' | 'B' | 'bOffset' | 'ldb'>;
interface BPlacement { psB: number; ksB: number }

function bExtent(b: BOperand): number {
  const nPad = Math.ceil(b.N / NR) * NR;
  if (b.transB) return nPad * b.K;
  const ld = keepsLd(b.K, b.N, b.ldb) ? b.ldb : b.N;
  return (b.K - 1) * ld + nPad;
}

/** Row-major op(B) is copied (rows are contiguous in j); a transposed one is packed into NR-wide panels. */
function placeB(b: BOperand, mem: Float32Array, at: number): BPlacement {
  const { N, K, B, ldb } = b;
  const bo = b.bOffset ?? 0;
  if (!b.transB) {
    const ld = copyWindow(B, bo, K, N, ldb, mem, at, bExtent(b));
    return { psB: NR, ksB: ld };
  }
  const nPanels = Math.ceil(N / NR);
  for (let jp = 0; jp < nPanels; jp++) {
    const base = at + jp * K * NR;
    const cols = Math.min(NR, N - jp * NR);
    for (let cc = 0; cc < NR; cc++) {
      if (cc < cols) {
        const src = bo + (jp * NR + cc) * ldb;
        for (let k = 0; k < K; k++) mem[base + k * NR + cc] = B[src + k];
      } else {
        for (let k = 0; k < K; k++) mem[base + k * NR + cc] = 0;
      }
    }
  }
  return { psB: K * NR, ksB: NR };
}

interface PlacedB { at: number; psB: number; ksB: number }

/** Lays out A, B (unless already placed) and C from heapTop, grows memory, and copies A and B in. */
function prepare(g: AOperand, N: number, K: number, b: BOperand | PlacedB): { ws: Workspace; mem: Float32Array } {
  const mBlocks = Math.ceil(g.M / MR), nPanels = Math.ceil(N / NR);
  const ap = heapTop;
  const placed = 'at' in b;
  const bp = placed ? b.at : ap + align16(aExtent(g, K));
  const c = placed ? ap + align16(aExtent(g, K)) : bp + align16(bExtent(b));
  const ldc = nPanels * NR;
  const mem = memoryView(c + mBlocks * MR * ldc);
  const { rsA, csA } = placeA(g, K, mem, ap);
  const { psB, ksB } = placed ? b : placeB(b, mem, bp);
  return { ws: { mBlocks, nPanels, K, ap, rsA, csA, bp, psB, ksB, c, ldc }, mem };
}

function unpackC(g: PrepackedArgs, mem: Float32Array, ws: Workspace, N: number): void {
  const { M, alpha, beta, C, ldc } = g;
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

/**
 * op(B) placed once in WebAssembly memory for many products, e.g. W_hh for
 * the T recurrent steps of one pass: it saves re-packing B on every call.
 * The pack is a snapshot: after B changes, `repack` it. `free` releases it.
 */
export class PackedB32 {
  private placed: PlacedB;
  private readonly floats: number;
  readonly N: number;
  readonly K: number;

  constructor(b: BOperand) {
    this.N = b.N;
    this.K = b.K;
    this.floats = bExtent(b);
    const at = heapAlloc(this.floats);
    this.placed = { at, ...placeB(b, memoryView(heapTop), at) };
  }

  /** Packs new contents of the same N×K shape (and layout) into the same memory. */
  repack(b: BOperand): void {
    if (this.placed.at < 0) throw new Error('PackedB used after free()');
    if (b.N !== this.N || b.K !== this.K) throw new RangeError(`repack needs a ${this.K}×${this.N} op(B), got ${b.K}×${b.N}`);
    if (bExtent(b) !== this.floats) throw new RangeError('repack needs op(B) in the layout it was packed with (transB and ldb)');
    this.placed = { at: this.placed.at, ...placeB(b, memoryView(heapTop), this.placed.at) };
  }

  /** Where the pack sits (float index) and its strides. */
  get placement(): PlacedB {
    if (this.placed.at < 0) throw new Error('PackedB used after free()');
    return this.placed;
  }

  free(): void {
    if (this.placed.at < 0) return;
    heapFree(this.placed.at, this.floats);
    this.placed = { at: -1, psB: 0, ksB: 0 };
  }
}

/** A product whose op(B) is pre-packed: GemmArgs without the B fields. */
export type PrepackedArgs = PackedGemmArgs<Float32Array>;

/** Computes row blocks [ib0, ib1) of a prepared product (on whichever thread runs it). */
export function runRowBlocks(k: SgemmKernel, ws: Workspace, ib0: number, ib1: number): void {
  if (ib1 > ib0) k.sgemm(ws.ap * 4, ws.rsA * 4, ws.csA * 4, ws.bp * 4, ws.psB * 4, ws.ksB * 4, ws.c * 4, ws.ldc * 4, ib0, ib1, ws.nPanels, ws.K, KC);
}

/** Runs all row blocks of a prepared product, possibly split across threads. */
export type PackedRunner = (ws: Workspace) => void;

const inline: PackedRunner = (ws) => runRowBlocks(mainKernel(), ws, 0, ws.mBlocks);

/** C = alpha·op(A)·op(B) + beta·C in Float32 arithmetic (K ≥ 1, M, N ≥ 1). */
export function sgemmWasm(g: GemmArgs<Float32Array>, runner: PackedRunner = inline): void {
  const { ws, mem } = prepare(g, g.N, g.K, g);
  runner(ws);
  unpackC(g, mem, ws, g.N);
}

/** The same product with op(B) from a pack. */
export function sgemmWasmPrepacked(g: PrepackedArgs, b: PackedB32, runner: PackedRunner = inline): void {
  const { ws, mem } = prepare(g, b.N, b.K, b.placement);
  runner(ws);
  unpackC(g, mem, ws, b.N);
}
