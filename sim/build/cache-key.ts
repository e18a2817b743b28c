/**
 * The content key of a Verilator build: what could change the executable.
 *
 * Hashed: a format version, `verilator --version`, the C++ compiler's version,
 * the top, the flags (in order), and for every RTL and C++ file its base name
 * and contents, plus the contents of every file it `include`s / #include "..."s
 * (found next to the including file or in the -I folders). Paths are not
 * hashed, so a checkout anywhere, or the same RTL copied to another folder,
 * shares the build.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../util/errors.ts';
import { probeVersionLine, toolVersionLine } from '../../toolchain/index.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** cacheDir, else $SPARSEGRAD_CACHE/verilator, else <repo>/.cache/verilator (gitignored). */
export function verilatorCacheRoot(cacheDir?: string): string {
  if (cacheDir) return resolve(cacheDir);
  if (process.env.SPARSEGRAD_CACHE) return resolve(process.env.SPARSEGRAD_CACHE, 'verilator');
  return join(REPO_ROOT, '.cache', 'verilator');
}

/** Bump when the build recipe changes in a way the inputs do not show. */
const KEY_FORMAT = 'sparsegrad-verilated-v4'; // v2: the recipe adds -fno-const-bit-op-tree; v3: make OPT_FAST=-O2; v4: build.json records checksums (entries without them are rebuilt)

let compilerLine: Promise<string> | undefined;

/** Verilator's makefiles call $CXX (default g++); a compiler upgrade must not reuse old objects. */
export function compilerVersion(): Promise<string> {
  compilerLine ??= probeVersionLine(process.env.CXX || 'g++', ['--version']).then((l) => l ?? 'unknown');
  return compilerLine;
}

function readInput(path: string, role: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UserError(`cannot read ${role} ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'}): check the file list`);
  }
}

const VERILOG_INCLUDE = /`include\s+"([^"]+)"/g;
const CPP_INCLUDE = /^\s*#\s*include\s+"([^"]+)"/gm;

/** Every file reachable through quoted includes from `file`, in a stable order. */
function includedFiles(file: string, text: string, includeDirs: readonly string[], seen: Set<string>): string[] {
  const pattern = /\.(s?v|vh|svh)$/i.test(file) ? VERILOG_INCLUDE : CPP_INCLUDE;
  const out: string[] = [];
  for (const m of text.matchAll(pattern)) {
    const name = m[1]!;
    const candidates = isAbsolute(name) ? [name] : [join(dirname(file), name), ...includeDirs.map((d) => join(d, name))];
    const found = candidates.find((c) => existsSync(c));
    // Not found: a system header or one Verilator finds on its own path; its name is in the text already.
    if (!found || seen.has(resolve(found))) continue;
    seen.add(resolve(found));
    out.push(found, ...includedFiles(found, readFileSync(found, 'utf8'), includeDirs, seen));
  }
  return out;
}

export interface KeyInputs {
  top: string;
  files: readonly string[];
  cppFiles: readonly string[];
  flags: readonly string[];
}

export function includeDirsOf(flags: readonly string[]): string[] {
  const dirs: string[] = [];
  flags.forEach((f, i) => {
    if (f.startsWith('-I') && f.length > 2) dirs.push(f.slice(2));
    else if ((f === '-y' || f === '-I') && flags[i + 1]) dirs.push(flags[i + 1]!);
    else if (f.startsWith('+incdir+')) dirs.push(...f.slice(8).split('+').filter(Boolean));
  });
  return dirs;
}

export async function buildKey(b: KeyInputs): Promise<string> {
  const h = createHash('sha256');
  const field = (s: string | Buffer) => {
    h.update(String(s.length)).update(':').update(s).update(';');
  };
  field(KEY_FORMAT);
  field(await toolVersionLine('verilator'));
  field(await compilerVersion());
  field(b.top);
  field(JSON.stringify(b.flags));
  const includeDirs = includeDirsOf(b.flags);
  const seen = new Set<string>();
  for (const [role, list] of [['RTL file', b.files], ['C++ file', b.cppFiles]] as const) {
    field(role);
    for (const f of list) {
      const content = readInput(f, role);
      field(basename(f));
      field(content);
      for (const inc of includedFiles(f, content.toString('utf8'), includeDirs, seen)) {
        field(basename(inc));
        field(readFileSync(inc));
      }
    }
  }
  return h.digest('hex').slice(0, 32);
}
