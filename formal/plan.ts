/**
 * What `sparsegrad formal` proves: every module of a preset's engines (or the
 * ones asked for), each with its formal wrapper and the Verilog of it and its
 * children, emitted fresh from the generator.
 */
import { join } from 'node:path';
import { UserError } from '../util/errors.ts';
import { emitFormalWrappers, emitVerilog, type EmittedDesign } from '../generator/backend/design.ts';
import type { ModuleDef } from '../generator/core/module.ts';
import { emitEngine, ENGINE_VARIANTS, type EngineVariant } from '../generator/designs/index.ts';
import type { EngineConfig } from '../engine/config.ts';
import type { ProofJob } from './run.ts';

export interface PlanOptions {
  readonly variants: readonly EngineVariant[];
  /** Module names (as emitted, e.g. sbe_regs) or the top's name; all modules when empty. */
  readonly modules: readonly string[];
  readonly depth: number;
  /** BMC depth for the cover goals; 0 checks none. */
  readonly coverDepth: number;
  readonly unbounded: boolean;
  /** Check only the assertions whose message holds this text. */
  readonly only?: string;
  readonly timeout: number;
  readonly workDir: string;
}

/** A module's Verilog and that of every module below it. */
function filesOf(design: EmittedDesign, name: string, out = new Map<string, string>()): Map<string, string> {
  const mod = design.manifest.modules.find((m) => m.name === name)!;
  for (const inst of mod.instances) filesOf(design, inst.module, out);
  out.set(mod.file, design.files.get(mod.file)!);
  return out;
}

type JobOptions = Omit<PlanOptions, 'variants' | 'modules'>;

/** Jobs for the modules of one emitted design (all, or those `keep` selects), labelled `<prefix>/<module>`. */
function designJobs(design: EmittedDesign, prefix: string, o: JobOptions, keep: (module: string) => boolean): ProofJob[] {
  return emitFormalWrappers(design, o.only).filter((w) => keep(w.module)).map((wrapper) => ({
    label: `${prefix}/${wrapper.module}`,
    wrapper,
    files: filesOf(design, wrapper.module),
    depth: o.depth,
    coverDepth: o.coverDepth,
    unbounded: o.unbounded,
    timeout: o.timeout,
    dir: join(o.workDir, prefix, wrapper.module),
  }));
}

/** Jobs for any DSL design (every module of it): the formal flow on designs other than the engine. */
export function planDesignJobs(top: ModuleDef, prefix: string, o: JobOptions): ProofJob[] {
  return designJobs(emitVerilog(top), prefix, o, () => true);
}

export function planJobs(cfg: EngineConfig, o: PlanOptions): ProofJob[] {
  const jobs: ProofJob[] = [];
  const known: string[] = [];
  for (const variant of ENGINE_VARIANTS.filter((v) => o.variants.includes(v))) {
    const design = emitEngine(cfg, variant);
    known.push(...design.manifest.modules.map((m) => m.name));
    jobs.push(...designJobs(design, variant, o, (m) => !o.modules.length || o.modules.includes(m)));
  }
  const unknown = o.modules.filter((m) => !known.includes(m));
  if (unknown.length) throw new UserError(`--module ${unknown[0]}: no such module in the ${o.variants.join(' and ')} engine; modules: ${known.join(', ')}`);
  return jobs;
}
