/** writeJsonArray gives stableJson's bytes for any array, written element by element. */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stableJson, writeJsonArray } from '../../util/json.ts';

describe('util/json', () => {
  it('writeJsonArray writes exactly what stableJson returns (property)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparsegrad-json-'));
    const seed = Number(process.env.SPARSEGRAD_SEED ?? Date.now() % 2 ** 31);
    console.log(`      seed ${seed} (SPARSEGRAD_SEED=${seed} replays it)`);
    try {
      fc.assert(
        fc.property(fc.array(fc.jsonValue()), (items) => {
          const f = join(dir, 'a.json');
          writeJsonArray(f, items);
          return readFileSync(f, 'utf8') === stableJson(items);
        }),
        { seed, numRuns: 300 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
