/**
 * A minimal WebAssembly binary emitter, enough to write numeric loop kernels
 * by hand. No wasm toolchain is installed on the target machines and the
 * project adds no npm dependencies, so the kernels are assembled from
 * TypeScript at load time (a few hundred bytes, microseconds to build).
 *
 * Only the opcodes the kernels use are here; each is named as in the spec's
 * text format so a body reads like WAT in postfix order.
 */

export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof F64 | typeof V128;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

function utf8(s: string): number[] {
  const bytes = [...Buffer.from(s, 'utf8')];
  return [...uleb(bytes.length), ...bytes];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** Builds one function body; locals are declared up front and referred to by index. */
export class FunctionBody {
  readonly code: number[] = [];
  private readonly localTypes: ValType[] = [];

  constructor(readonly params: ValType[], readonly results: ValType[] = []) {}

  /** Declares a local and returns its index (after the parameters). */
  local(type: ValType): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  private op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }
  private simd(opcode: number, ...imm: number[]): this {
    return this.op(0xfd, ...uleb(opcode), ...imm);
  }
  private memarg(alignLog2: number, offset: number): number[] {
    return [...uleb(alignLog2), ...uleb(offset)];
  }

  get(i: number): this { return this.op(0x20, ...uleb(i)); }
  set(i: number): this { return this.op(0x21, ...uleb(i)); }
  tee(i: number): this { return this.op(0x22, ...uleb(i)); }

  i32(n: number): this { return this.op(0x41, ...sleb(n | 0)); }
  i32Add(): this { return this.op(0x6a); }
  i32Sub(): this { return this.op(0x6b); }
  i32Mul(): this { return this.op(0x6c); }
  i32Shl(): this { return this.op(0x74); }
  i32LtU(): this { return this.op(0x49); }
  i32GeU(): this { return this.op(0x4f); }
  i32Eqz(): this { return this.op(0x45); }
  i32GtU(): this { return this.op(0x4b); }
  /** Pops c, b, a; pushes c ? a : b. */
  select(): this { return this.op(0x1b); }

  f32Load(offset = 0): this { return this.op(0x2a, ...this.memarg(2, offset)); }
  f32Store(offset = 0): this { return this.op(0x38, ...this.memarg(2, offset)); }

  v128Load(offset = 0): this { return this.simd(0x00, ...this.memarg(4, offset)); }
  v128Store(offset = 0): this { return this.simd(0x0b, ...this.memarg(4, offset)); }
  v128Load32Splat(offset = 0): this { return this.simd(0x09, ...this.memarg(2, offset)); }
  v128Load64Splat(offset = 0): this { return this.simd(0x0a, ...this.memarg(3, offset)); }
  v128Zero(): this { return this.simd(0x0c, ...new Array<number>(16).fill(0)); }
  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Mul(): this { return this.simd(0xe6); }
  f64x2Add(): this { return this.simd(0xf0); }
  f64x2Mul(): this { return this.simd(0xf2); }

  /** `block … end`; `br 0` inside jumps past the end. */
  block(body: () => void): this {
    this.op(0x02, 0x40);
    body();
    return this.op(0x0b);
  }
  /** `loop … end`; `br 0` inside jumps back to the start. */
  loop(body: () => void): this {
    this.op(0x03, 0x40);
    body();
    return this.op(0x0b);
  }
  /** `if … else … end` on the i32 popped from the stack. */
  ifElse(then: () => void, otherwise?: () => void): this {
    this.op(0x04, 0x40);
    then();
    if (otherwise) {
      this.op(0x05);
      otherwise();
    }
    return this.op(0x0b);
  }
  br(depth: number): this { return this.op(0x0c, ...uleb(depth)); }
  brIf(depth: number): this { return this.op(0x0d, ...uleb(depth)); }

  /** Adds an i32 constant to local i in place. */
  incr(i: number, by: number): this {
    return this.get(i).i32(by).i32Add().set(i);
  }

  encode(): number[] {
    // Runs of equal types compress the locals declaration.
    const groups: number[][] = [];
    for (const t of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    const body = [...vec(groups.map(([n, t]) => [...uleb(n), t])), ...this.code, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

export interface ExportedFunction {
  name: string;
  body: FunctionBody;
}

/**
 * A module that imports its memory as `env.memory` (shared when `shared`, so
 * worker threads can instantiate the same code over the same memory) and
 * exports the given functions.
 */
export function emitModule(fns: ExportedFunction[], memory: { initialPages: number; maximumPages: number; shared: boolean }): Uint8Array<ArrayBuffer> {
  const types = fns.map((f) => [0x60, ...vec(f.body.params.map((p) => [p])), ...vec(f.body.results.map((r) => [r]))]);
  const limits = memory.shared
    ? [0x03, ...uleb(memory.initialPages), ...uleb(memory.maximumPages)]
    : [0x01, ...uleb(memory.initialPages), ...uleb(memory.maximumPages)];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...utf8('env'), ...utf8('memory'), 0x02, ...limits]])),
    ...section(3, vec(fns.map((_, i) => uleb(i)))),
    ...section(7, vec(fns.map((f, i) => [...utf8(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(fns.map((f) => f.body.encode()))),
  ];
  return new Uint8Array(bytes);
}
