import { strict as assert } from 'node:assert';
import { accountLayer, summarise, GATES } from '../../golden/accounting.ts';
import { smallNetwork, testSeed } from './helpers.ts';

/**
 * Counts MACs the way a skip-zero engine would perform them, one loop
 * iteration per MAC, from the dz the network actually produced.
 */
function countByLoops(dz: ArrayLike<number>, T: number, B: number, H: number, D: number, layer: number) {
  const per = GATES.map(() => ({ fwd: 0, bdDense: 0, bdSparse: 0, bwDense: 0, bwSparse: 0 }));
  const dOut = layer === 0 ? H : D + H;
  for (let r = 0; r < T * B; r++) {
    for (let j = 0; j < 4 * H; j++) {
      const g = per[Math.floor(j / H)];
      const nz = dz[r * 4 * H + j] !== 0;
      for (let k = 0; k < D + H; k++) { g.fwd++; g.bwDense++; if (nz) g.bwSparse++; }
      for (let k = 0; k < dOut; k++) { g.bdDense++; if (nz) g.bdSparse++; }
    }
  }
  return per;
}

describe('golden: MAC accounting', () => {
  it('matches an independent per-MAC count of forward, backward-data and backward-weight, per gate', async () => {
    const seed = testSeed('accounting');
    const s = { V: 5, H: 3, L: 2, T: 4, B: 2 };
    const net = smallNetwork(s, seed);
    net.forward();
    await net.backward({ kind: 'target', sparsity: 0.5 });
    const accounts = net.layers.map((w, k) => accountLayer(k, w.D, s.H, net.counts[k]));
    let dense = 0, performed = 0;
    net.layers.forEach((w, k) => {
      const loops = countByLoops(w.dz, s.T, s.B, s.H, w.D, k);
      GATES.forEach((g, gi) => {
        const a = accounts[k].gates[g];
        assert.equal(a.forward, loops[gi].fwd, `layer ${k} gate ${g} forward`);
        assert.deepEqual(a.backwardData, { dense: loops[gi].bdDense, sparse: loops[gi].bdSparse }, `layer ${k} gate ${g} backward-data`);
        assert.deepEqual(a.backwardWeight, { dense: loops[gi].bwDense, sparse: loops[gi].bwSparse }, `layer ${k} gate ${g} backward-weight`);
        const zeros = Array.from({ length: s.T * s.B }, (_, r) => w.dz.subarray(r * 4 * s.H + gi * s.H, r * 4 * s.H + (gi + 1) * s.H).filter((v) => v === 0).length).reduce((x, y) => x + y, 0);
        assert.equal(a.sparsityAfter, zeros / (s.T * s.B * s.H));
        dense += loops[gi].fwd + loops[gi].bdDense + loops[gi].bwDense;
        performed += loops[gi].fwd + loops[gi].bdSparse + loops[gi].bwSparse;
      });
    });
    const sum = summarise(accounts, s.T * s.B, s.V, s.H);
    assert.equal(sum.lstm.dense, dense);
    assert.equal(sum.lstm.performed, performed);
    assert.ok(sum.lstm.sparsityAfter > 0 && sum.lstm.sparsityAfter < 1, 'partial sparsity');
    assert.equal(sum.lstm.redundantFraction, (dense - performed) / dense);
  });

  it('at θ = 0 nothing is redundant and at 100% sparsity exactly the backward MACs are', async () => {
    const s = { V: 4, H: 2, L: 1, T: 3, B: 2 };
    const net = smallNetwork(s, 3);
    net.forward();
    await net.backward({ kind: 'fixed', theta: 0 });
    assert.equal(summarise([accountLayer(0, 4, 2, net.counts[0])], 6, 4, 2).lstm.redundantFraction, 0);
    const all = smallNetwork(s, 3);
    all.forward();
    await all.backward({ kind: 'target', sparsity: 1 });
    const a = summarise([accountLayer(0, 4, 2, all.counts[0])], 6, 4, 2);
    const l = a.layers[0];
    assert.equal(a.lstm.redundant, l.backwardData.dense + l.backwardWeight.dense);
    assert.equal(l.backwardData.sparse + l.backwardWeight.sparse, 0);
  });
});
