/**
 * safetensors read/write (https://github.com/huggingface/safetensors):
 * 8-byte little-endian header length, a JSON header naming each tensor's dtype,
 * shape and byte range, then the little-endian data. Files written here are
 * deterministic: tensors sorted by name, data in that order, header padded with
 * spaces to an 8-byte boundary (as the reference implementation does), so the
 * data section is aligned for zero-copy typed-array views.
 *
 * Every defect of a file read here is a UserError naming the file (and the
 * tensor, where there is one), because these files come from users (--init) or
 * from other tools (torch), never only from us.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../util/errors.ts';
import { writeFileAtomicSync } from '../util/atomic.ts';

export type Dtype = 'F64' | 'F32' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8';
export type TensorData = Float64Array | Float32Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

const BYTES: Record<Dtype, number> = { F64: 8, F32: 4, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1 };

export interface Tensor {
  dtype: Dtype;
  shape: number[];
  data: TensorData;
}

export interface SafetensorsFile {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

export function dtypeOf(data: TensorData): Dtype {
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof BigInt64Array) return 'I64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Int16Array) return 'I16';
  if (data instanceof Int8Array) return 'I8';
  return 'U8';
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Serialises tensors (sorted by name) and string metadata into safetensors bytes. */
export function encodeSafetensors(tensors: Map<string, Tensor> | Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const entries = [...(tensors instanceof Map ? tensors.entries() : Object.entries(tensors))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  const metaKeys = Object.keys(metadata).sort();
  if (metaKeys.length > 0) header.__metadata__ = Object.fromEntries(metaKeys.map((k) => [k, metadata[k]]));
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new Error('tensor name __metadata__ is reserved');
    const n = elementCount(t.shape);
    if (n !== t.data.length) throw new Error(`tensor ${name}: shape [${t.shape}] has ${n} elements but data has ${t.data.length}`);
    if (dtypeOf(t.data) !== t.dtype) throw new Error(`tensor ${name}: dtype ${t.dtype} does not match its data (${dtypeOf(t.data)})`);
    const bytes = n * BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const [, t] of entries) {
    // Typed arrays are little-endian on every platform Node supports.
    const src = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(src, pos);
    pos += src.length;
  }
  return out;
}

/** Writes the file whole or not at all (temp file, fsync, rename: util/atomic.ts). */
export function writeSafetensors(path: string, tensors: Map<string, Tensor> | Record<string, Tensor>, metadata: Record<string, string> = {}): void {
  writeFileAtomicSync(path, encodeSafetensors(tensors, metadata));
}

const headerEntry = (file: string, name: string, raw: unknown): { dtype: Dtype; shape: number[]; begin: number; end: number } => {
  const bad = (why: string) => new UserError(`${file}: tensor '${name}' ${why}; the file is not valid safetensors (re-export it)`);
  if (typeof raw !== 'object' || raw === null) throw bad('has no header entry object');
  const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof e.dtype !== 'string' || !(e.dtype in BYTES)) throw bad(`has unsupported dtype ${JSON.stringify(e.dtype)} (supported: ${Object.keys(BYTES).join(', ')})`);
  if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad('has a malformed shape');
  const off = e.data_offsets;
  if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[1] < off[0]) throw bad('has malformed data_offsets');
  const dtype = e.dtype as Dtype;
  const shape = e.shape as number[];
  if ((off[1] - off[0]) !== elementCount(shape) * BYTES[dtype]) {
    throw bad(`holds ${off[1] - off[0]} bytes but ${dtype}[${shape.join(', ')}] needs ${elementCount(shape) * BYTES[dtype]}`);
  }
  return { dtype, shape, begin: off[0], end: off[1] };
};

/** Parses safetensors bytes; `file` names the source in error messages. */
export function decodeSafetensors(bytes: Uint8Array, file: string): SafetensorsFile {
  if (bytes.length < 8) throw new UserError(`${file}: truncated safetensors file (${bytes.length} bytes, shorter than the 8-byte header length)`);
  const headerLen = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLen > BigInt(bytes.length - 8)) {
    throw new UserError(`${file}: truncated or corrupt safetensors file (header claims ${headerLen} bytes, file has ${bytes.length - 8} after the length)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, Number(headerLen)).toString('utf8'));
  } catch {
    throw new UserError(`${file}: bad safetensors header (not valid JSON); the file is corrupt or not safetensors`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new UserError(`${file}: bad safetensors header (not a JSON object); the file is corrupt or not safetensors`);
  }
  const dataStart = 8 + Number(headerLen);
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, Tensor>();
  const ranges: { name: string; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null) throw new UserError(`${file}: bad safetensors header (__metadata__ is not an object)`);
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string') throw new UserError(`${file}: bad safetensors header (metadata '${k}' is not a string)`);
        metadata[k] = v;
      }
      continue;
    }
    const e = headerEntry(file, name, raw);
    if (e.end > dataLen) {
      throw new UserError(`${file}: truncated safetensors file: tensor '${name}' ends at byte ${e.end} of the data but the data section has ${dataLen} bytes`);
    }
    ranges.push({ name, begin: e.begin, end: e.end });
    // Copy so the typed array is aligned and independent of the file buffer
    // (not bytes.slice: on a Node Buffer that is a view, not a copy).
    const copy = new Uint8Array(e.end - e.begin);
    copy.set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    tensors.set(name, { dtype: e.dtype, shape: e.shape, data: view(e.dtype, copy.buffer) });
  }
  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expect = 0;
  for (const r of ranges) {
    if (r.begin !== expect && !(r.begin === r.end && r.begin <= expect)) {
      throw new UserError(`${file}: bad safetensors header: tensor '${r.name}' starts at byte ${r.begin}, expected ${expect} (overlapping or gapped data)`);
    }
    expect = Math.max(expect, r.end);
  }
  if (expect !== dataLen) throw new UserError(`${file}: bad safetensors file: ${dataLen - expect} bytes after the last tensor`);
  return { tensors, metadata };
}

function view(dtype: Dtype, buf: ArrayBuffer): TensorData {
  switch (dtype) {
    case 'F64': return new Float64Array(buf);
    case 'F32': return new Float32Array(buf);
    case 'I64': return new BigInt64Array(buf);
    case 'I32': return new Int32Array(buf);
    case 'I16': return new Int16Array(buf);
    case 'I8': return new Int8Array(buf);
    case 'U8': return new Uint8Array(buf);
  }
}

export function readSafetensors(path: string): SafetensorsFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: cannot read safetensors file (${code ?? 'error'}); check the path`);
  }
  return decodeSafetensors(bytes, path);
}

/**
 * Looks up a tensor and checks its shape (and dtype family), so a mismatched
 * --init or dump fails with the file, the tensor, and both shapes.
 */
export function requireTensor(f: SafetensorsFile, file: string, name: string, shape: readonly number[], dtypes: readonly Dtype[]): Tensor {
  const t = f.tensors.get(name);
  if (!t) throw new UserError(`${file}: tensor '${name}' is missing (expected ${dtypes[0]}[${shape.join(', ')}])`);
  if (!dtypes.includes(t.dtype)) throw new UserError(`${file}: tensor '${name}' has dtype ${t.dtype}, expected ${dtypes.join(' or ')}`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new UserError(`${file}: tensor '${name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}] (does the file match --hidden/--layers and the corpus vocabulary?)`);
  }
  requireFinite(t, file, name);
  return t;
}

/** The index of flat element `i` in `shape`, as PyTorch prints it: [t, b, j]. */
export function indexOf(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

/**
 * A NaN or infinity in a float tensor would flow through quantization and
 * comparisons as if it were data (a NaN compares unequal to nothing the checks
 * look for), so every tensor a command reads is checked, naming the first bad element.
 */
export function requireFinite(t: Tensor, file: string, name: string): void {
  if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) return;
  const data = t.data;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new UserError(`${file}: tensor '${name}' holds ${data[i]} at index [${indexOf(i, t.shape).join(', ')}]; the file is corrupt or came from a diverged run: re-export it`);
    }
  }
}

/** Float tensor as a Float64Array or Float32Array of the requested kind (converting F32<->F64). */
export function floatData<T extends Float32Array | Float64Array>(t: Tensor, like: new (n: number) => T): T {
  if (t.data instanceof like) return t.data as T;
  const out = new like(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(t.data[i]);
  return out;
}
