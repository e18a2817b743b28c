import { strict as assert } from 'node:assert';
import { flatParams } from '../../golden/model.ts';
import { smallNetwork, testSeed } from './helpers.ts';

describe('golden: finite-difference gradient check (Float64, θ = 0)', () => {
  for (const [L, E] of [[1, 0], [2, 0], [1, 3], [2, 5]]) {
    const what = `${L}-layer model${E ? ` with a ${E}-wide embedding input (D ≠ V)` : ''}`;
    it(`matches central differences for every parameter of a ${what}`, async () => {
      const seed = testSeed(`gradcheck L=${L} E=${E}`);
      const net = smallNetwork({ V: 7, H: 4, L, T: 5, B: 3, E }, seed);
      // The embedding's gradient is checked like every other parameter; with T·B = 15 lookups of 7 tokens some rows repeat.
      if (E) assert.ok(flatParams(net.params).some((p) => p.name === 'embedding.weight'));
      net.forward();
      await net.backward({ kind: 'fixed', theta: 0 });
      const params = flatParams(net.params);
      const grads = flatParams(net.grads).map((g) => g.data.slice());
      const eps = 1e-5;
      let checked = 0;
      params.forEach(({ name, data }, k) => {
        for (let i = 0; i < data.length; i++) {
          const keep = data[i];
          data[i] = keep + eps;
          const up = net.forward();
          data[i] = keep - eps;
          const down = net.forward();
          data[i] = keep;
          const fd = (up - down) / (2 * eps);
          const g = grads[k][i];
          assert.ok(Math.abs(fd - g) <= 1e-8 + 1e-6 * Math.abs(g), `${name}[${i}]: analytic ${g}, finite difference ${fd}`);
          checked++;
        }
      });
      assert.equal(checked, flatParams(net.params).reduce((a, p) => a + p.data.length, 0));
    });
  }
});

describe('golden: the embedding backward is checked, not assumed', () => {
  it('a lookup backward that drops repeated tokens differs from finite differences', async () => {
    // Why the check above can fail: overwrite instead of accumulate (a common scatter bug) loses
    // all but the last occurrence of a repeated token; here the test's comparison sees it.
    const seed = testSeed('embedding scatter fault');
    const net = smallNetwork({ V: 3, H: 2, L: 1, T: 4, B: 2, E: 2 }, seed);
    net.inputs.fill(1);
    net.forward();
    await net.backward({ kind: 'fixed', theta: 0 });
    const dx = net.layers[0].dx!;
    const broken = [dx[7 * 2], dx[7 * 2 + 1]];
    const emb = net.params.embedding!;
    const eps = 1e-5;
    const keep = emb[2];
    emb[2] = keep + eps; const up = net.forward();
    emb[2] = keep - eps; const down = net.forward();
    emb[2] = keep;
    const fd = (up - down) / (2 * eps);
    assert.ok(Math.abs(fd - net.grads.embedding![2]) <= 1e-8 + 1e-6 * Math.abs(fd), 'the real gradient matches');
    assert.ok(Math.abs(fd - broken[0]) > 1e-6, 'the last row alone does not');
  });
});
