/** scripts/compare-counters: the no-cycle-change check of engine refactors (docs/engine-microarchitecture.md). */
import { strict as assert } from 'node:assert';
import { compareCounters } from '../../scripts/compare-counters.ts';

const point = (name: string, cycles: number, rtl = 'rtl/') => ({ name, pass: true, report: { rtl, runs: [{ cycles, memory: { readBeats: 10 } }] } });

describe('compare-counters', () => {
  it('finds two runs identical when only their paths differ, and matches regress points by name', () => {
    const r = compareCounters([point('a', 5), point('b', 7)], [point('b', 7, '/tmp/x'), point('a', 5, '/tmp/x')]);
    assert.deepEqual(r.differences, []);
    assert.equal(r.compared, 8);
  });

  it('names every counter that moved, and points only one run has', () => {
    // A one-cycle change deep in a run is exactly what the check exists for.
    const r = compareCounters([point('a', 5), point('b', 7)], [point('a', 6), point('c', 7)]);
    assert.deepEqual(r.differences.sort(), [
      '[a].report.runs[0].cycles: 5 → 6',
      '[b].name: only in the first run ("b")',
      '[b].pass: only in the first run (true)',
      '[b].report.runs[0].cycles: only in the first run (7)',
      '[b].report.runs[0].memory.readBeats: only in the first run (10)',
      '[c].name: only in the second run ("c")',
      '[c].pass: only in the second run (true)',
      '[c].report.runs[0].cycles: only in the second run (7)',
      '[c].report.runs[0].memory.readBeats: only in the second run (10)',
    ]);
  });
});
