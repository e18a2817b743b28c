/**
 * Finding and running the external EDA tools.
 *
 * API
 *   type ToolName = 'verilator' | 'iverilog' | 'vvp' | 'yosys' | 'nextpnr-ice40' | 'icepack' | 'icetime'
 *                 | 'yosys-abc' (the formal flow's model checker, shipped with yosys)
 *   findTool(name)        => absolute path, or undefined when the tool is not installed
 *   requireTool(name)     => absolute path; throws a one-line UserError saying how to install it
 *   toolVersion(name)     => version string (e.g. '5.006'), probed once per binary (cached on disk, keyed by
 *                            the binary's path, size and mtime, so an upgrade is noticed)
 *   toolVersionLine(name) => the tool's full first version line (goes into cache keys)
 *   probeVersionLine(command, args, pattern?) => a version line of any command (e.g. g++), cached the same way
 *   runTool(name, args, opts) => execa result (never rejects on a non-zero exit; check exitCode)
 *
 * A tool is looked up as $SPARSEGRAD_<NAME> (upper case, '-' -> '_', e.g.
 * SPARSEGRAD_NEXTPNR_ICE40) when set, which lets users point at a newer build
 * than the distribution's, and otherwise on $PATH.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Options, type Result } from 'execa';
import { EXIT, UserError } from '../util/errors.ts';

export const TOOL_NAMES = ['verilator', 'iverilog', 'vvp', 'yosys', 'nextpnr-ice40', 'icepack', 'icetime', 'yosys-abc', 'sbatch', 'squeue', 'scancel'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** Debian package providing each tool; scripts/setup installs the same ones. */
const DEBIAN_PACKAGE: Record<ToolName, string> = {
  verilator: 'verilator',
  iverilog: 'iverilog',
  vvp: 'iverilog',
  yosys: 'yosys',
  'nextpnr-ice40': 'nextpnr-ice40',
  icepack: 'fpga-icestorm',
  icetime: 'fpga-icestorm',
  'yosys-abc': 'yosys',
  // The Slurm clients of `--executor slurm` (scripts/slurm-local brings up a one-node cluster).
  sbatch: 'slurm-wlm',
  squeue: 'slurm-wlm',
  scancel: 'slurm-wlm',
};

/** Arguments that print a version line, and how to pick the version out of it. */
const VERSION_PROBE: Record<ToolName, { args: string[]; pattern: RegExp }> = {
  verilator: { args: ['--version'], pattern: /Verilator\s+(\S+)/ },
  iverilog: { args: ['-V'], pattern: /version\s+(\S+)/ },
  vvp: { args: ['-V'], pattern: /version\s+(\S+)/ },
  yosys: { args: ['-V'], pattern: /Yosys\s+(\S+)/ },
  'nextpnr-ice40': { args: ['--version'], pattern: /Version\s+([^)\s]+)/ },
  // icestorm tools have no version flag; their help banner is the best identity we get.
  icepack: { args: ['-h'], pattern: /(icepack)/ },
  icetime: { args: ['-h'], pattern: /(icetime)/ },
  'yosys-abc': { args: ['-c', 'version'], pattern: /UC Berkeley, (ABC \S+)/ },
  sbatch: { args: ['--version'], pattern: /slurm\s+(\S+)/ },
  squeue: { args: ['--version'], pattern: /slurm\s+(\S+)/ },
  scancel: { args: ['--version'], pattern: /slurm\s+(\S+)/ },
};

export function envOverrideName(name: ToolName): string {
  return `SPARSEGRAD_${name.toUpperCase().replace(/-/g, '_')}`;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

const pathCache = new Map<string, string | undefined>();

/** Absolute path of the tool, or undefined. `env` defaults to process.env (tests pass their own). */
export function findTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const override = env[envOverrideName(name)];
  if (override) {
    const path = resolve(override);
    if (!isExecutableFile(path)) {
      throw new UserError(`${envOverrideName(name)}=${override} is not an executable file: fix the path or unset it`);
    }
    return path;
  }
  return findOnPath(name, env.PATH ?? '');
}

/** Absolute path of an executable named `name` on the search path (cached per process). */
export function findOnPath(name: string, searchPath: string): string | undefined {
  const key = `${name}\0${searchPath}`;
  if (pathCache.has(key)) return pathCache.get(key);
  let found: string | undefined;
  for (const dir of searchPath.split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) {
      found = candidate;
      break;
    }
  }
  pathCache.set(key, found);
  return found;
}

export function notInstalledMessage(name: ToolName): string {
  return `${name} is not installed: run scripts/setup (or apt-get install ${DEBIAN_PACKAGE[name]})`;
}

export function requireTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): string {
  const path = findTool(name, env);
  if (!path) throw new UserError(notInstalledMessage(name), EXIT.missingTool);
  return path;
}

const versionCache = new Map<string, Promise<{ line: string; version: string }>>();

/**
 * Version lines survive across processes in <cache>/tool-versions.json, keyed by
 * the binary's real path, size and mtime (an upgrade changes them), so that a
 * fresh process need not spawn every tool to learn its version: a build-cache
 * hit then costs milliseconds rather than a few hundred of them.
 */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function versionCacheFile(): string {
  return process.env.SPARSEGRAD_CACHE ? join(resolve(process.env.SPARSEGRAD_CACHE), 'tool-versions.json') : join(REPO_ROOT, '.cache', 'tool-versions.json');
}

function binaryIdentity(path: string): string | undefined {
  try {
    const real = realpathSync(path);
    const st = statSync(real);
    // verilator is a Perl wrapper around verilator_bin: both change on an upgrade, but check the binary too.
    const companion = join(dirname(real), `${basename(real)}_bin`);
    const extra = existsSync(companion) ? `|${statSync(companion).size}|${statSync(companion).mtimeMs}` : '';
    return `${real}|${st.size}|${st.mtimeMs}${extra}`;
  } catch {
    return undefined;
  }
}

function readVersionFile(): Record<string, string> {
  try {
    return JSON.parse(readFileSync(versionCacheFile(), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

function rememberVersion(identity: string, line: string): void {
  try {
    const file = versionCacheFile();
    mkdirSync(dirname(file), { recursive: true });
    const all = { ...readVersionFile(), [identity]: line };
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(all, Object.keys(all).sort(), 1)}\n`);
    renameSync(tmp, file);
  } catch {
    // A read-only cache folder only costs the spawn next time.
  }
}

/** First line of `command args` matching `pattern` (the first line when none given), cached on disk by binary identity. */
export function probeVersionLine(command: string, args: readonly string[], pattern?: RegExp): Promise<string | undefined> {
  const path = isAbsolute(command) ? command : findOnPath(command, process.env.PATH ?? '');
  if (!path) return Promise.resolve(undefined);
  const identity = binaryIdentity(path);
  const key = identity ? `${identity}|${args.join(' ')}` : undefined;
  const cached = key ? readVersionFile()[key] : undefined;
  if (cached) return Promise.resolve(cached);
  return execa(path, args, { reject: false, all: true }).then((r) => {
    const lines = String(r.all ?? '').split('\n').map((l) => l.trim());
    const line = pattern ? lines.find((l) => pattern.test(l)) : lines.find((l) => l);
    if (line && key) rememberVersion(key, line);
    return line;
  });
}

function probeVersion(name: ToolName): Promise<{ line: string; version: string }> {
  const path = requireTool(name);
  let probe = versionCache.get(path);
  if (!probe) {
    const { args, pattern } = VERSION_PROBE[name];
    probe = probeVersionLine(path, args, pattern).then((line) => {
      if (!line) throw new UserError(`could not read the version of ${path} (ran '${name} ${args.join(' ')}'): reinstall ${name}`);
      return { line, version: pattern.exec(line)![1]! };
    });
    versionCache.set(path, probe);
  }
  return probe;
}

export async function toolVersion(name: ToolName): Promise<string> {
  return (await probeVersion(name)).version;
}

export async function toolVersionLine(name: ToolName): Promise<string> {
  return (await probeVersion(name)).line;
}

/** Runs a tool found by requireTool. Resolves with the result whatever the exit status. */
export async function runTool(name: ToolName, args: readonly string[], opts: Options = {}): Promise<Result> {
  const path = requireTool(name);
  return (await execa(path, args, { reject: false, all: true, ...opts })) as Result;
}
