import { strict as assert } from 'node:assert';
import { flatParams } from '../../golden/model.ts';
import { smallNetwork, testSeed } from './helpers.ts';

describe('golden: finite-difference gradient check (Float64, θ = 0)', () => {
  for (const L of [1, 2]) {
    it(`matches central differences for every parameter of a ${L}-layer model`, async () => {
      const seed = testSeed(`gradcheck L=${L}`);
      const net = smallNetwork({ V: 7, H: 4, L, T: 5, B: 3 }, seed);
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
