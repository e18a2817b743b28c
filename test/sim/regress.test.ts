/** regress: the matrix runs in parallel, the table, regress.json and JUnit agree. */
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { expandMatrix, junitXml, type PointResult, regressTotals, summaryTable } from '../../sim/regress.ts';
import { pool } from '../../util/pool.ts';
import { REPO_ROOT } from '../../sim/rtl-locate.ts';

describe('sim regress: matrix, worker pool, table, JUnit', function () {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sg-regress-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('expands the matrix and rejects unknown sources', () => {
    const pts = expandMatrix({ presets: ['tiny'], sources: ['zeros', 'first'], backpressure: ['none', 'bursty'], memLatency: [1, 9], seeds: [1, 2, 3] });
    assert.equal(pts.length, 2 * 2 * 2 * 3);
    assert.throws(() => expandMatrix({ presets: ['tiny'], sources: ['nope'], backpressure: ['none'], memLatency: [1], seeds: [1] }), /unknown regress source 'nope'/);
    assert.throws(() => expandMatrix({ presets: ['huge'], sources: ['zeros'], backpressure: ['none'], memLatency: [1], seeds: [1] }), /unknown engine preset/);
  });

  it('keeps input order with any number of workers', async () => {
    const items = Array.from({ length: 17 }, (_, i) => i);
    const out = await pool(items, 4, async (x) => {
      await new Promise((r) => setTimeout(r, (x * 7) % 5));
      return x * x;
    });
    assert.deepEqual(out, items.map((x) => x * x));
  });

  it('counts protocol violations apart from data mismatches in JUnit and the table', () => {
    const point = (source: string, mismatches: number, violations: number): PointResult => ({
      preset: 'tiny', source, backpressure: 'none', memLatency: 1, seed: 1, name: `tiny.${source}`, pass: mismatches + violations === 0,
      mismatches, violations, failure: mismatches + violations ? `${source} failed` : null, report: null, folder: null,
    });
    const results = [point('zeros', 0, 0), point('first', 3, 0), point('last', 0, 2), point('dense', 1, 4)];
    assert.deepEqual(regressTotals(results), { mismatches: 4, violations: 6, pointsWithMismatches: 2, pointsWithViolations: 2, infrastructure: 0 });
    const xml = junitXml(results);
    assert.match(xml, /failures="3"/);
    assert.match(xml, /<property name="mismatches" value="4"\/>/);
    assert.match(xml, /<property name="protocolViolations" value="6"\/>/);
    assert.match(xml, /<property name="pointsWithProtocolViolations" value="2"\/>/);
    // A point with only violations fails as `protocol`; one with mismatches as `mismatch`.
    assert.match(xml, /name="tiny.last">\s*<failure type="protocol"/);
    assert.match(xml, /name="tiny.first">\s*<failure type="mismatch"/);
    assert.match(summaryTable(results), /1 of 4 passed; 4 data mismatches \(2 points\), 6 protocol violations \(2 points\)/);
  });

  it('runs a passing matrix in parallel and writes the table, JSON and JUnit (CLI)', async () => {
    const out = join(dir, 'run');
    const junit = join(dir, 'ci', 'junit.xml');
    const r = await execa(
      join(REPO_ROOT, 'bin', 'sparsegrad'),
      ['regress', '--presets', 'tiny', '--sources', 'zeros,first,random', '--backpressure', 'none,bursty', '--mem-latency', '3', '--seeds', '1,2', '--jobs', '2', '--out', out, '--junit', junit],
      { reject: false },
    );
    assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /12 of 12 passed/);
    assert.match(r.stdout, /tiny\.random\.bp-bursty\.lat-3\.seed-2\s+pass/);
    const results = JSON.parse(await readFile(join(out, 'regress.json'), 'utf8'));
    assert.equal(results.length, 12);
    assert.ok(results.every((p: { pass: boolean }) => p.pass));
    const xml = await readFile(junit, 'utf8');
    assert.match(xml, /<testsuite name="sparsegrad.regress" tests="12" failures="0"/);
    assert.equal((xml.match(/<testcase /g) ?? []).length, 12);
    assert.deepEqual((await readdir(out)).sort(), ['junit.xml', 'regress.json'], 'passing points leave no folders');
  });
});
