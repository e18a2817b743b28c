/** Content hashes for the bundle manifest: what was built, and by which generator. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function walk(dir: string, accept: (path: string) => boolean, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, accept, out);
    else if (accept(p)) out.push(p);
  }
  return out;
}

/**
 * One hash over a source tree: the sorted (relative path, file hash) pairs, so
 * a renamed or edited file changes it and nothing else (mtimes, order) does.
 */
export function treeHash(root: string, dir: string, accept: (path: string) => boolean): { sha256: string; files: number } {
  const files = walk(join(root, dir), accept);
  const lines = files.map((f) => `${relative(root, f)} ${sha256(readFileSync(f))}`);
  return { sha256: sha256(lines.join('\n')), files: files.length };
}
