/**
 * The project's import graph, read from the sources: every static import,
 * `export … from` and dynamic `import('…')` of a relative .ts path.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ImportEdge {
  /** Repo-relative path of the importing file. */
  from: string;
  /** Repo-relative path of the imported file. */
  to: string;
  line: number;
}

const SKIP = new Set(['node_modules', '.git', 'out', 'rtl', 'data']);

export function sourceFiles(dir = REPO_ROOT, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name) || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (e.name.endsWith('.ts')) out.push(path.relative(REPO_ROOT, p));
  }
  return out.sort();
}

// `from '…'` covers import and export-from (both may span lines before it); import('…') the dynamic ones.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)'(\.[^']*)'/gm;

export function importsOf(file: string, text = readFileSync(path.join(REPO_ROOT, file), 'utf8')): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const to = path.relative(REPO_ROOT, path.resolve(REPO_ROOT, path.dirname(file), m[1]!));
    edges.push({ from: file, to, line: text.slice(0, m.index).split('\n').length });
  }
  return edges;
}
