/**
 * A preset's RTL: the Verilog `sparsegrad generate` emitted into rtl/<preset>/
 * (committed, so it is what an FPGA engineer picks up), with the engine
 * configuration and the generator's manifest recorded as provenance.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../util/errors.ts';
import { getPreset, type EngineConfig } from '../engine/config.ts';
import type { DesignSpec } from './bundle.ts';
import { designsFromDir } from './designs.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ResolvedDesigns {
  specs: DesignSpec[];
  /** The preset's engine configuration, when the designs are a preset's. */
  config?: EngineConfig;
  provenance?: Record<string, unknown>;
}

function generatorManifests(dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const visit = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) visit(join(d, e.name), rel ? `${rel}/${e.name}` : e.name);
      else if (e.name === 'manifest.json') out[rel ? `${rel}/manifest.json` : 'manifest.json'] = JSON.parse(readFileSync(join(d, e.name), 'utf8'));
    }
  };
  visit(dir, '');
  return out;
}

export async function presetDesigns(preset: string, tops: string[] | undefined): Promise<ResolvedDesigns> {
  const config = getPreset(preset);
  const dir = join(REPO_ROOT, 'rtl', preset);
  if (!existsSync(dir)) throw new UserError(`no emitted RTL for preset '${preset}' in rtl/${preset}/: run sparsegrad generate --preset ${preset} first, or give --rtl DIR`);
  const specs = await designsFromDir(dir, tops, `rtl/${preset}`);
  return { specs, config, provenance: { preset, engineConfig: config, generatorManifests: generatorManifests(dir) } };
}
