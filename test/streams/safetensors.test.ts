import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { encodeSafetensors, decodeSafetensors, readSafetensors, writeSafetensors, requireTensor, type Tensor } from '../../streams/safetensors.ts';
import { UserError } from '../../util/errors.ts';
import { testSeed } from '../golden/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'sg-safetensors-'));

function sample(): Record<string, Tensor> {
  return {
    'lstm.weight_ih_l0': { dtype: 'F32', shape: [4, 3], data: Float32Array.from({ length: 12 }, (_, i) => i / 7 - 0.5) },
    scalar: { dtype: 'F64', shape: [], data: Float64Array.of(Math.PI) },
    ids: { dtype: 'I32', shape: [2, 2], data: Int32Array.of(-1, 2, 3, 2 ** 31 - 1) },
    empty: { dtype: 'F32', shape: [0, 5], data: new Float32Array(0) },
  };
}

function expectUserError(f: () => unknown, pattern: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.doesNotMatch(e.message, /\n/, 'one line');
    return true;
  });
}

describe('streams: safetensors', () => {
  it('round-trips tensors of every dtype, shape and metadata, bit for bit', () => {
    const seed = testSeed('safetensors round trip');
    const dtypes = ['F32', 'F64', 'I32', 'I16', 'I8', 'U8', 'I64'] as const;
    fc.assert(
      fc.property(
        fc.array(fc.record({ dtype: fc.constantFrom(...dtypes), shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }), bytes: fc.uint8Array({ minLength: 512, maxLength: 512 }) }), { maxLength: 5 }),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }).filter((s) => s !== '__proto__'), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
        (specs, metadata) => {
          const tensors = new Map<string, Tensor>();
          specs.forEach((s, i) => {
            const n = s.shape.reduce((a, b) => a * b, 1);
            const width = { F32: 4, F64: 8, I32: 4, I16: 2, I8: 1, U8: 1, I64: 8 }[s.dtype];
            const buf = s.bytes.slice(0, n * width).buffer;
            const ctor = { F32: Float32Array, F64: Float64Array, I32: Int32Array, I16: Int16Array, I8: Int8Array, U8: Uint8Array, I64: BigInt64Array }[s.dtype];
            tensors.set(`t${i}.x`, { dtype: s.dtype, shape: s.shape, data: new ctor(buf) });
          });
          const bytes = encodeSafetensors(tensors, metadata);
          const back = decodeSafetensors(bytes, 'mem');
          assert.deepEqual({ ...back.metadata }, { ...metadata });
          assert.equal(back.tensors.size, tensors.size);
          for (const [name, t] of tensors) {
            const b = back.tensors.get(name)!;
            assert.equal(b.dtype, t.dtype);
            assert.deepEqual(b.shape, t.shape);
            assert.deepEqual(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
          }
          // Deterministic: encoding the decoded file gives the same bytes.
          assert.deepEqual(encodeSafetensors(back.tensors, back.metadata), bytes);
        },
      ),
      { seed, numRuns: 60 },
    );
  });

  it('writes the reference layout: u64 header length, 8-byte aligned data, sorted names', () => {
    const bytes = encodeSafetensors(sample(), { a: '1' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal((8 + n) % 8, 0);
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString());
    assert.deepEqual(Object.keys(header), ['__metadata__', 'empty', 'ids', 'lstm.weight_ih_l0', 'scalar']);
    assert.deepEqual(header['ids'], { dtype: 'I32', shape: [2, 2], data_offsets: [0, 16] });
    assert.deepEqual(header['lstm.weight_ih_l0'].data_offsets, [16, 64]);
    assert.equal(bytes.length, 8 + n + 72);
  });

  it('reports truncation, bad headers and dtype/shape mismatches as one-line UserErrors naming file and tensor', () => {
    const file = join(dir, 'good.safetensors');
    writeSafetensors(file, sample());
    const good = readFileSync(file);
    const bad = (name: string, bytes: Uint8Array) => { const p = join(dir, name); writeFileSync(p, bytes); return p; };
    expectUserError(() => readSafetensors(bad('short.safetensors', good.subarray(0, 5))), /short\.safetensors: truncated/);
    expectUserError(() => readSafetensors(bad('cut.safetensors', good.subarray(0, good.length - 4))), /cut\.safetensors: truncated safetensors file: tensor 'scalar'/);
    expectUserError(() => readSafetensors(bad('cuthdr.safetensors', good.subarray(0, 40))), /cuthdr\.safetensors: truncated or corrupt/);
    const garbled = Uint8Array.from(good);
    garbled[9] = 0x7b; garbled[10] = 0x7b; // '{{' is not JSON
    expectUserError(() => readSafetensors(bad('garbled.safetensors', garbled)), /garbled\.safetensors: bad safetensors header/);
    const n = Number(new DataView(good.buffer, good.byteOffset).getBigUint64(0, true));
    const hdr = Buffer.from(good.subarray(8, 8 + n)).toString().replace('"dtype":"I32","shape":[2,2]', '"dtype":"I32","shape":[2,3]');
    const reshaped = Buffer.concat([good.subarray(0, 8), Buffer.from(hdr), good.subarray(8 + n)]);
    expectUserError(() => readSafetensors(bad('shape.safetensors', reshaped)), /shape\.safetensors: tensor 'ids' holds 16 bytes but I32\[2, 3\] needs 24/);
    const weird = Buffer.from(Buffer.from(good.subarray(8, 8 + n)).toString().replace('"dtype":"I32"', '"dtype":"Q99"'));
    expectUserError(() => readSafetensors(bad('dtype.safetensors', Buffer.concat([good.subarray(0, 8), weird, good.subarray(8 + n)]))), /dtype\.safetensors: tensor 'ids' has unsupported dtype "Q99"/);
    expectUserError(() => readSafetensors(join(dir, 'missing.safetensors')), /missing\.safetensors: cannot read/);
    expectUserError(() => readSafetensors(bad('extra.safetensors', Buffer.concat([good, Buffer.alloc(8)]))), /extra\.safetensors: .*8 bytes after the last tensor/);
  });

  it('requireTensor names the file, the tensor and both shapes or dtypes', () => {
    const f = decodeSafetensors(encodeSafetensors(sample()), 'w.safetensors');
    expectUserError(() => requireTensor(f, 'w.safetensors', 'lstm.weight_ih_l0', [4, 4], ['F32']), /w\.safetensors: tensor 'lstm\.weight_ih_l0' has shape \[4, 3\], expected \[4, 4\]/);
    expectUserError(() => requireTensor(f, 'w.safetensors', 'ids', [2, 2], ['F32', 'F64']), /tensor 'ids' has dtype I32, expected F32 or F64/);
    expectUserError(() => requireTensor(f, 'w.safetensors', 'nope', [1], ['F32']), /tensor 'nope' is missing/);
    assert.equal(requireTensor(f, 'w.safetensors', 'ids', [2, 2], ['I32']).data[3], 2 ** 31 - 1);
  });
});
