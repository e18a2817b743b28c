/** Shared by the Verilator-backed generator tests: a scratch folder and emit+simulate. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runVectors, type ResetSpec, type Vector } from '../../sim/vectors/index.ts';
import { emitDesign, type ModuleDef } from '../../generator/index.ts';

/** A temp folder made before the suite's tests and removed after them. */
export function useScratchDir(prefix: string): () => string {
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), prefix));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}

/** Emit `def` into dir, build it with Verilator (cached) and run the vectors. */
export async function simulate(dir: string, def: ModuleDef, inputs: Vector[], reset?: string | ResetSpec): Promise<Vector[]> {
  const out = path.join(dir, def.name);
  const design = emitDesign(def, out, { printWarnings: false });
  const files = [...design.files.keys()].map((f) => path.join(out, f));
  return runVectors({ files, top: design.manifest.top, inputs, ...(reset ? { reset } : {}) });
}
