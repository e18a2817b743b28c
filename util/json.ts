import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
/** JSON with recursively sorted object keys, so artifacts are byte-identical across runs. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + '\n';
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object' && !ArrayBuffer.isView(v)) {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().map((k) => [k, sortKeys(o[k])]));
  }
  return v;
}

/**
 * The bytes stableJson(items) would give, written element by element: an array
 * of results too large for one string (a JavaScript string holds at most
 * ~512 MiB; 100,000 regress points are more) still goes to disk. Returns the bytes written.
 */
export function writeJsonArray(path: string, items: readonly unknown[]): number {
  const fd = openSync(path, 'w');
  let bytes = 0;
  const put = (s: string) => {
    bytes += writeSync(fd, s);
  };
  try {
    if (items.length === 0) put('[]\n');
    else {
      put('[\n');
      items.forEach((item, i) => put(`${JSON.stringify(sortKeys(item), null, 2).replace(/^/gm, '  ')}${i + 1 < items.length ? ',' : ''}\n`));
      put(']\n');
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return bytes;
}
