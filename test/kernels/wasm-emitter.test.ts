/** The hand-written WebAssembly emitter: encodings the kernels rely on, checked by running them. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { emitModule, FunctionBody, I32, V128 } from '../../golden/kernels/wasm-emitter.ts';
import { testSeed } from './gemm-cases.ts';

const seed = testSeed();

function instantiate(fns: Array<{ name: string; body: FunctionBody }>): { exports: Record<string, (...a: number[]) => number>; memory: WebAssembly.Memory } {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
  const bytes = emitModule(fns, { initialPages: 1, maximumPages: 4, shared: true });
  assert.ok(WebAssembly.validate(bytes), 'module does not validate');
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  return { exports: instance.exports as Record<string, (...a: number[]) => number>, memory };
}

describe('kernels: wasm emitter', function () {
  before(() => console.log(`      seed ${seed} (replay with SPARSEGRAD_SEED=${seed})`));

  it('encodes any i32 constant (signed LEB128)', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 20 }), (values) => {
      const fns = values.map((v, i) => ({ name: `c${i}`, body: new FunctionBody([], [I32]).i32(v) }));
      const { exports } = instantiate(fns);
      values.forEach((v, i) => assert.equal(exports[`c${i}`](), v));
    }), { seed, numRuns: 50 });
  });

  it('addresses locals past 127 and memory offsets past 127 (unsigned LEB128)', () => {
    const f = new FunctionBody([I32], [I32]);
    const locals = Array.from({ length: 200 }, () => f.local(I32));
    f.get(0).set(locals[199]);
    // mem[300] = x as f32 via a v128 splat store, read back as an f32 → i32 through memory.
    const v = f.local(V128);
    f.i32(0).v128Load32Splat(4000).set(v);
    f.i32(0).get(v).v128Store(300 * 4);
    f.get(locals[199]);
    const { exports, memory } = instantiate([{ name: 'f', body: f }]);
    new Float32Array(memory.buffer)[1000] = 2.5;
    assert.equal(exports.f(77), 77);
    assert.deepEqual([...new Float32Array(memory.buffer, 300 * 4, 4)], [2.5, 2.5, 2.5, 2.5]);
  });

  it('runs loops, blocks with br_if, select and if/else as written', () => {
    // sum of 1..n by a loop, clamped to 100 with select; n = 0 goes to the else branch.
    const f = new FunctionBody([I32], [I32]);
    const acc = f.local(I32), i = f.local(I32);
    f.get(0).ifElse(() => {
      f.i32(1).set(i);
      f.loop(() => {
        f.get(acc).get(i).i32Add().set(acc);
        f.incr(i, 1).get(i).get(0).i32GtU().i32Eqz().brIf(0);
      });
    }, () => { f.i32(7).set(acc); });
    f.i32(100).get(acc).get(acc).i32(100).i32GtU().select();
    const { exports } = instantiate([{ name: 'sum', body: f }]);
    assert.equal(exports.sum(10), 55);
    assert.equal(exports.sum(13), 91);
    assert.equal(exports.sum(14), 100);
    assert.equal(exports.sum(0), 7);
  });
});
