/**
 * The dependency rules of docs/ARCHITECTURE.md hold on the real sources, and
 * the checker itself catches each kind of wrong arrow (so this test can fail).
 */
import { strict as assert } from 'node:assert';
import { importsOf, sourceFiles } from './imports.ts';
import { MAY_IMPORT, UNLAYERED, areaOf, violation } from './rules.ts';

describe('architecture: dependency rules', () => {
  const files = sourceFiles();

  it('every import in the project runs the allowed way', () => {
    const found = files.flatMap((f) => importsOf(f)).map(violation).filter((v): v is string => v !== undefined);
    assert.deepEqual(found, [], `wrong-way imports:\n${found.join('\n')}`);
  });

  it('every top-level folder with sources has a rule', () => {
    const areas = [...new Set(files.map(areaOf))].filter((a) => a.endsWith('.ts') === false && !UNLAYERED.has(a));
    assert.deepEqual(areas.filter((a) => !(a in MAY_IMPORT)), []);
  });

  it('reads static, export-from, multi-line and dynamic imports', () => {
    const text = [
      "import { a } from '../sim/cosim.ts';",
      "export { b } from './x.ts';",
      'import {',
      '  c,',
      "} from '../util/errors.ts';",
      "const m = await import('../generator/index.ts');",
      "import 'node:fs';",
    ].join('\n');
    assert.deepEqual(importsOf('golden/y.ts', text).map((e) => [e.to, e.line]), [
      ['sim/cosim.ts', 1], ['golden/x.ts', 2], ['util/errors.ts', 5], ['generator/index.ts', 6],
    ]);
  });

  // Each of these is an arrow the rules exist to stop; the checker must name it.
  const wrong: [string, string, RegExp][] = [
    ['golden/trainer.ts', 'sim/cosim.ts', /golden\/ may import only/],
    ['generator/designs/engine.ts', 'golden/engine-model/model.ts', /generator\/ may import only/],
    ['streams/quantize.ts', 'generator/index.ts', /streams\/ may import only/],
    ['engine/config.ts', 'golden/config.ts', /engine\/ may import only/],
    ['util/atomic.ts', 'engine/config.ts', /may import only nothing in the project/],
    ['sim/cosim.ts', 'cli/errors.ts', /only the command line may use cli\//],
    ['generator/cli.ts', 'cli/main.ts', /only the command line may use cli\//],
    ['fpga/flow.ts', 'cluster/cli.ts', /may not import a command file/],
    ['newarea/x.ts', 'util/errors.ts', /new top-level folder/],
  ];
  for (const [from, to, why] of wrong) {
    it(`refuses ${from} → ${to}`, () => {
      const v = violation({ from, to, line: 1 });
      assert.ok(v && why.test(v), `expected a violation matching ${why}, got ${v}`);
    });
  }

  const right: [string, string][] = [
    ['sim/cosim.ts', 'golden/engine-model/model.ts'],
    ['golden/cli.ts', 'cli/options.ts'],
    ['golden/engine-model/cli.ts', 'cli/options.ts'],
    ['cli/commands.ts', 'sim/engine-backward.ts'],
    ['test/sim/cosim.test.ts', 'cli/main.ts'],
    ['golden/cli.ts', 'cluster/cli.ts'],
  ];
  for (const [from, to] of right) {
    it(`allows ${from} → ${to}`, () => assert.equal(violation({ from, to, line: 1 }), undefined));
  }
});
