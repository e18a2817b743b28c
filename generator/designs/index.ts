/**
 * The project's hardware, per preset: the sparse engine and its dense baseline,
 * elaborated from the one engine configuration (engine/).
 */
import { getPreset, presetNames, type EngineConfig } from '../../engine/config.ts';
import { emitVerilog, type EmittedDesign } from '../backend/design.ts';
import { engineTop } from './engine.ts';

export { engineTop } from './engine.ts';
export { engineParams } from './params.ts';

export type EngineVariant = 'sparse' | 'dense';
export const ENGINE_VARIANTS: readonly EngineVariant[] = ['sparse', 'dense'];

/** Folder of a variant inside a preset's output folder: the top's name. */
export function variantDir(variant: EngineVariant): string {
  return variant === 'sparse' ? 'sparse_bwd_engine' : 'dense_bwd_engine';
}

export function variantConfig(cfg: EngineConfig, variant: EngineVariant): EngineConfig {
  return { ...cfg, skipping: variant === 'sparse' };
}

/** Checked Verilog (one file per module) and manifest of one engine variant. */
export function emitEngine(cfg: EngineConfig, variant: EngineVariant): EmittedDesign {
  return emitVerilog(engineTop(variantConfig(cfg, variant)));
}

/** Every file of a preset's folder, keyed by path relative to it (`<top>/<module>.v`, `<top>/manifest.json`). */
export function emitPresetFiles(cfg: EngineConfig): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of ENGINE_VARIANTS) {
    const d = emitEngine(cfg, v);
    for (const [file, text] of d.files) out.set(`${variantDir(v)}/${file}`, text);
    out.set(`${variantDir(v)}/manifest.json`, `${JSON.stringify(d.manifest, null, 2)}\n`);
  }
  return out;
}

export function presetConfigs(): { name: string; cfg: EngineConfig }[] {
  return presetNames().map((name) => ({ name, cfg: getPreset(name) }));
}
