/**
 * GEMM through the WebAssembly SIMD micro-kernels (Float32 and Float64): copy
 * A and B into linear memory (row windows copied as they are, the kernel takes
 * strides; only a transposed op(B) is reordered into NR-wide panels), run the
 * kernel, then apply alpha/beta while copying C back. Copies are O(MK + KN),
 * the kernel O(MNK).
 */
import type { FloatArray, GemmArgs, PackedGemmArgs } from './gemm.ts';
import { emitGemmModule } from './sgemm-wasm-module.ts';

/** An element type's kernel and register block. */
export interface ElementKernel {
  element: 'f32' | 'f64';
  bytes: 4 | 8;
  MR: number;
  NR: number;
  /** index of the kernel in the module's exports (and in the worker's table) */
  fn: 0 | 1;
}

/**
 * Register blocks: 8 accumulators + the B vectors + 1 splat fit the 16 SIMD
 * registers V8 allocates on x86-64. For Float32, 4×16 (16 accumulators)
 * spills and measured 10–40% slower; 2×16 measured within noise of 4×8,
 * which pads N less (the head's N = 65). Float64 has 2 lanes: 4×4.
 */
export const F32_KERNEL: ElementKernel = { element: 'f32', bytes: 4, MR: 4, NR: 8, fn: 0 };
export const F64_KERNEL: ElementKernel = { element: 'f64', bytes: 8, MR: 4, NR: 4, fn: 1 };
/** k-block: an NR-wide panel slice of KC·NR·s = 8 KiB stays in L1 next to the A rows. */
export const KC = 256;

const PAGE = 65536;
const MAX_PAGES = 16384; // 1 GiB of address space reserved, committed only as used
/** Bytes at the start of memory reserved for the worker control block. */
export const CONTROL_BYTES = 256;

type KernelFn = (ap: number, rsA: number, csA: number, bp: number, psB: number, ksB: number, c: number, ldc: number, ib0: number, ib1: number, nPanels: number, K: number, KC: number) => void;

export interface GemmKernels {
  memory: WebAssembly.Memory;
  /** indexed by ElementKernel.fn */
  fns: [KernelFn, KernelFn];
}

let moduleCache: WebAssembly.Module | undefined;

export function gemmModule(): WebAssembly.Module {
  moduleCache ??= new WebAssembly.Module(emitGemmModule(
    [F32_KERNEL, F64_KERNEL].map((k) => ({ name: k.element === 'f32' ? 'sgemm' : 'dgemm', shape: { MR: k.MR, NR: k.NR, element: k.element } })),
    { initialPages: 1, maximumPages: MAX_PAGES },
  ));
  return moduleCache;
}

/** Instantiates the kernels over `memory` (the main thread's, or shared with a worker). */
export function instantiateGemm(memory: WebAssembly.Memory): GemmKernels {
  const e = new WebAssembly.Instance(gemmModule(), { env: { memory } }).exports;
  return { memory, fns: [e.sgemm as KernelFn, e.dgemm as KernelFn] };
}

let kernels: GemmKernels | undefined;
let view32 = new Float32Array(0);
let view64 = new Float64Array(0);

export function mainKernels(): GemmKernels {
  kernels ??= instantiateGemm(new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true }));
  return kernels;
}

/** Grows the memory to at least `bytes`. */
function ensureBytes(bytes: number): void {
  const k = mainKernels();
  const have = k.memory.buffer.byteLength;
  if (bytes <= have) return;
  const pages = Math.ceil((bytes - have) / PAGE);
  if (have / PAGE + pages > MAX_PAGES) throw new RangeError(`gemm needs ${bytes} bytes of WebAssembly memory, more than the ${MAX_PAGES * PAGE} reserved`);
  k.memory.grow(pages);
}

/** A view of the whole memory in the element type (views are replaced after growth). */
function viewOf(e: ElementKernel): FloatArray {
  const buf = mainKernels().memory.buffer;
  if (e.bytes === 4) {
    if (view32.buffer !== buf || view32.byteLength !== buf.byteLength) view32 = new Float32Array(buf);
    return view32;
  }
  if (view64.buffer !== buf || view64.byteLength !== buf.byteLength) view64 = new Float64Array(buf);
  return view64;
}

const align64 = (bytes: number): number => Math.ceil(bytes / 64) * 64;

/**
 * Memory layout, in bytes: [control block | pre-packed operands (first-fit
 * heap) | per-call workspace from heapTop]. The workspace is only live during
 * one call, so it can always start at the current top of the heap.
 */
let heapTop = CONTROL_BYTES;
const freeBlocks: Array<{ at: number; size: number }> = [];

function heapAlloc(bytes: number): number {
  const size = align64(bytes);
  const i = freeBlocks.findIndex((b) => b.size >= size);
  if (i >= 0) {
    const b = freeBlocks[i], at = b.at;
    if (b.size === size) freeBlocks.splice(i, 1);
    else { b.at += size; b.size -= size; }
    return at;
  }
  const at = heapTop;
  heapTop += size;
  ensureBytes(heapTop);
  return at;
}

function heapFree(at: number, bytes: number): void {
  freeBlocks.push({ at, size: align64(bytes) });
  freeBlocks.sort((a, b) => a.at - b.at);
  // Merge neighbours, then give a free block at the top back to the workspace.
  for (let i = freeBlocks.length - 1; i > 0; i--) {
    const a = freeBlocks[i - 1], b = freeBlocks[i];
    if (a.at + a.size === b.at) { a.size += b.size; freeBlocks.splice(i, 1); }
  }
  const last = freeBlocks[freeBlocks.length - 1];
  if (last && last.at + last.size === heapTop) { heapTop = last.at; freeBlocks.pop(); }
}

/** Where one product's operands sit in memory, everything in bytes as the kernel takes it. */
export interface Workspace {
  kernel: ElementKernel;
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
 * Copies rows×cols at src[off + r·ld + c] to mem[at…] (element indices) and
 * returns the leading dimension used there; zeroes [copied end, at + extent)
 * so the kernel's over-reads past the last row or column see zeros, not stale data.
 */
function copyWindow(src: FloatArray, off: number, rows: number, cols: number, ld: number, mem: FloatArray, at: number, extent: number): number {
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

type AOperand = Pick<GemmArgs<FloatArray>, 'transA' | 'M' | 'A' | 'aOffset' | 'lda'>;

/** Elements the copy of op(A) needs, padding for the last row block included. */
function aExtent(g: AOperand, K: number, e: ElementKernel): number {
  const rows = g.transA ? K : g.M, cols = g.transA ? g.M : K;
  const ld = keepsLd(rows, cols, g.lda) ? g.lda : cols;
  const mPad = Math.ceil(g.M / e.MR) * e.MR;
  return g.transA ? (K - 1) * ld + mPad : (mPad - 1) * ld + K;
}

/** Copies op(A) in; returns its row and column strides in elements. */
function placeA(g: AOperand, K: number, mem: FloatArray, at: number, e: ElementKernel): { rsA: number; csA: number } {
  const rows = g.transA ? K : g.M, cols = g.transA ? g.M : K;
  const ld = copyWindow(g.A, g.aOffset ?? 0, rows, cols, g.lda, mem, at, aExtent(g, K, e));
  return g.transA ? { rsA: 1, csA: ld } : { rsA: ld, csA: 1 };
}

/** The op(B) operand of a product: what pre-packing needs from GemmArgs. */
export type BOperand = Pick<GemmArgs<FloatArray>, 'transB' | 'N' | 'K' | 'B' | 'bOffset' | 'ldb'>;

function bExtent(b: BOperand, e: ElementKernel): number {
  const nPad = Math.ceil(b.N / e.NR) * e.NR;
  if (b.transB) return nPad * b.K;
  const ld = keepsLd(b.K, b.N, b.ldb) ? b.ldb : b.N;
  return (b.K - 1) * ld + nPad;
}

/** Row-major op(B) is copied (rows are contiguous in j); a transposed one is packed into NR-wide panels. Strides in elements. */
function placeB(b: BOperand, mem: FloatArray, at: number, e: ElementKernel): { psB: number; ksB: number } {
  const { N, K, B, ldb } = b;
  const NR = e.NR, bo = b.bOffset ?? 0;
  if (!b.transB) {
    const ld = copyWindow(B, bo, K, N, ldb, mem, at, bExtent(b, e));
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

/** op(B) already in memory: byte address and byte strides. */
interface PlacedB { at: number; psB: number; ksB: number }

/** Lays out A, B (unless already placed) and C from heapTop, grows memory, and copies A and B in. */
function prepare(g: AOperand, N: number, K: number, b: BOperand | PlacedB, e: ElementKernel): { ws: Workspace; mem: FloatArray } {
  const s = e.bytes;
  const mBlocks = Math.ceil(g.M / e.MR), nPanels = Math.ceil(N / e.NR);
  const ap = heapTop, aBytes = align64(aExtent(g, K, e) * s);
  const placed = 'at' in b;
  const bp = placed ? b.at : ap + aBytes;
  const c = placed ? ap + aBytes : bp + align64(bExtent(b, e) * s);
  const ldc = nPanels * e.NR;
  ensureBytes(c + mBlocks * e.MR * ldc * s);
  const mem = viewOf(e);
  const { rsA, csA } = placeA(g, K, mem, ap / s, e);
  const { psB, ksB } = placed ? { psB: b.psB / s, ksB: b.ksB / s } : placeB(b, mem, bp / s, e);
  return { ws: { kernel: e, mBlocks, nPanels, K, ap, rsA: rsA * s, csA: csA * s, bp, psB: psB * s, ksB: ksB * s, c, ldc: ldc * s }, mem };
}

function unpackC(g: PackedGemmArgs<FloatArray>, mem: FloatArray, ws: Workspace, N: number): void {
  const { M, alpha, beta, C, ldc } = g;
  const co = g.cOffset ?? 0, s = ws.kernel.bytes;
  const c0 = ws.c / s, ldw = ws.ldc / s;
  for (let i = 0; i < M; i++) {
    const src = c0 + i * ldw, dst = co + i * ldc;
    if (beta === 0) {
      if (alpha === 1) C.set(mem.subarray(src, src + N), dst);
      else for (let j = 0; j < N; j++) C[dst + j] = alpha * mem[src + j];
    } else {
      for (let j = 0; j < N; j++) C[dst + j] = alpha * mem[src + j] + beta * C[dst + j];
    }
  }
}

/** The kernel for an operand's element type. */
export const kernelFor = (x: FloatArray): ElementKernel => (x instanceof Float64Array ? F64_KERNEL : F32_KERNEL);

/**
 * op(B) placed once in WebAssembly memory for many products, e.g. W_hh for
 * the T recurrent steps of one pass: it saves re-packing B on every call.
 * The pack is a snapshot: after B changes, `repack` it. `free` releases it.
 */
export class PackedWasmB {
  private placed: PlacedB;
  private readonly bytes: number;
  readonly kernel: ElementKernel;
  readonly N: number;
  readonly K: number;

  constructor(b: BOperand) {
    this.kernel = kernelFor(b.B);
    this.N = b.N;
    this.K = b.K;
    this.bytes = bExtent(b, this.kernel) * this.kernel.bytes;
    const at = heapAlloc(this.bytes);
    this.placed = this.place(b, at);
  }

  private place(b: BOperand, at: number): PlacedB {
    const s = this.kernel.bytes;
    const { psB, ksB } = placeB(b, viewOf(this.kernel), at / s, this.kernel);
    return { at, psB: psB * s, ksB: ksB * s };
  }

  /** Packs new contents of the same N×K shape (and layout) into the same memory. */
  repack(b: BOperand): void {
    if (this.placed.at < 0) throw new Error('PackedB used after free()');
    if (b.N !== this.N || b.K !== this.K) throw new RangeError(`repack needs a ${this.K}×${this.N} op(B), got ${b.K}×${b.N}`);
    if (kernelFor(b.B) !== this.kernel || bExtent(b, this.kernel) * this.kernel.bytes !== this.bytes) {
      throw new RangeError('repack needs op(B) in the element type and layout it was packed with (transB and ldb)');
    }
    this.placed = this.place(b, this.placed.at);
  }

  /** Where the pack sits and its strides, in bytes. */
  get placement(): PlacedB {
    if (this.placed.at < 0) throw new Error('PackedB used after free()');
    return this.placed;
  }

  free(): void {
    if (this.placed.at < 0) return;
    heapFree(this.placed.at, this.bytes);
    this.placed = { at: -1, psB: 0, ksB: 0 };
  }
}

/** Computes row blocks [ib0, ib1) of a prepared product (on whichever thread runs it). */
export function runRowBlocks(k: GemmKernels, ws: Workspace, ib0: number, ib1: number): void {
  if (ib1 > ib0) k.fns[ws.kernel.fn](ws.ap, ws.rsA, ws.csA, ws.bp, ws.psB, ws.ksB, ws.c, ws.ldc, ib0, ib1, ws.nPanels, ws.K, KC);
}

/** Runs all row blocks of a prepared product, possibly split across threads. */
export type PackedRunner = (ws: Workspace) => void;

const inline: PackedRunner = (ws) => runRowBlocks(mainKernels(), ws, 0, ws.mBlocks);

/** C = alpha·op(A)·op(B) + beta·C in the arithmetic of the operands' element type (K ≥ 1, M, N ≥ 1). */
export function gemmWasm<T extends FloatArray>(g: GemmArgs<T>, runner: PackedRunner = inline): void {
  const { ws, mem } = prepare(g, g.N, g.K, g, kernelFor(g.C));
  runner(ws);
  unpackC(g, mem, ws, g.N);
}

/** The same product with op(B) from a pack. */
export function gemmWasmPrepacked<T extends FloatArray>(g: PackedGemmArgs<T>, b: PackedWasmB, runner: PackedRunner = inline): void {
  const { ws, mem } = prepare(g, b.N, b.K, b.placement, b.kernel);
  runner(ws);
  unpackC(g, mem, ws, b.N);
}
