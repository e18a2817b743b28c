import { strict as assert } from 'node:assert';
import { cp, mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execa } from 'execa';
import fc from 'fast-check';
import { niceTicks } from '../../reports/svg.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/sparsegrad');
const fixtures = join(root, 'test/reports/fixtures/results');
const CHROMIUM = '/usr/bin/chromium';
const seed = Number(process.env.SPARSEGRAD_SEED ?? Date.now() % 2 ** 31);

/** The page's DOM after its scripts ran, from headless Chromium with a fresh profile and no network. */
async function renderedDom(htmlFile: string, work: string): Promise<string> {
  const profile = await mkdtemp(join(work, 'chromium-profile-'));
  const r = await execa(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      '--dump-dom',
      pathToFileURL(htmlFile).href,
    ],
    { timeout: 120_000 },
  );
  return r.stdout;
}

function figures(dom: string): Array<{ drawn: string; marks: number }> {
  return [...dom.matchAll(/<figure class="plot-figure"[^>]*>/g)].map((m) => ({
    drawn: /data-drawn="(\w+)"/.exec(m[0])?.[1] ?? 'unchecked',
    marks: Number(/data-marks="(\d+)"/.exec(m[0])?.[1] ?? -1),
  }));
}

describe('sparsegrad report', function () {
  this.timeout(600_000);
  let work: string;
  before(async function () {
    console.log(`    seed ${seed} (SPARSEGRAD_SEED=${seed} replays it)`);
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (the report is tested by rendering it)`);
    work = await mkdtemp(join(tmpdir(), 'sg-report-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('draws every plot from real reproduce, train, cosim and fpga outputs, as Chromium renders it', async () => {
    const out = join(work, 'full.html');
    const r = await execa(bin, ['report', '--results', fixtures, '--out', out], { cwd: root });
    assert.doesNotMatch(r.stdout, /missing inputs/);
    const html = await readFile(out, 'utf8');
    // Self-contained: nothing fetched from anywhere.
    assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=/i);
    assert.doesNotMatch(html, /https?:\/\//);
    const dom = await renderedDom(out, work);
    const figs = figures(dom);
    // sparsity vs θ, bpc vs sparsity, train loss, validation loss, cycles vs sparsity, energy vs sparsity, area bars, Fmax bars
    assert.equal(figs.length, 8, 'one figure per plot');
    for (const [i, f] of figs.entries()) {
      assert.equal(f.drawn, 'yes', `figure ${i} drew`);
      assert.ok(f.marks > 0, `figure ${i} has visible marks`);
    }
    assert.match(dom, /data-plots-drawn="8\/8"/);
    for (const id of ['plot-sparsity-theta', 'plot-bpc-sparsity', 'plot-train-loss', 'plot-valid-loss', 'plot-cycles-sparsity', 'plot-energy-sparsity']) assert.ok(dom.includes(`id="${id}"`), id);
    assert.match(dom, /energy ratio/);
    assert.match(dom, /sparse_bwd_engine/);
    assert.match(dom, /zero skipping costs LUTs/);
  });

  it('says which inputs are missing instead of drawing empty plots', async () => {
    const partial = join(work, 'partial');
    await mkdir(partial);
    await cp(join(fixtures, 'fpga'), join(partial, 'fpga'), { recursive: true });
    const out = join(work, 'partial.html');
    const r = await execa(bin, ['report', '--results', partial, '--out', out], { cwd: root });
    assert.match(r.stdout, /missing inputs \(their sections say how to produce them\): reproduce\.json, train report\.json, cosim-report\.json/);
    const dom = await renderedDom(out, work);
    assert.equal(figures(dom).length, 2, 'only the FPGA plots, none empty');
    assert.match(dom, /data-plots-drawn="2\/2"/);
    assert.match(dom, /Not drawn: no reproduce\.json found/);
    assert.match(dom, /sparsegrad reproduce --out results\/reproduce/);
    assert.match(dom, /Not drawn: no cosim-report\.json found/);
  });

  it('names a results file that lacks a field the report needs', async () => {
    const bad = join(work, 'bad');
    await mkdir(bad);
    const cosim = JSON.parse(await readFile(join(fixtures, 'cosim-theta-0.0002/cosim-report.json'), 'utf8'));
    delete cosim.efficiency;
    await writeFile(join(bad, 'cosim-report.json'), JSON.stringify(cosim));
    const r = await execa(bin, ['report', '--results', bad, '--out', join(work, 'bad.html')], { cwd: root });
    assert.match(r.stdout, /unusable: cosim-report\.json \(cosim\): efficiency: /);
  });

  it('is byte-identical for the same results, and rejects bad arguments in one line', async () => {
    await execa(bin, ['report', '--results', fixtures, '--out', join(work, 'a.html')], { cwd: root });
    await execa(bin, ['report', '--results', fixtures, '--out', join(work, 'b.html')], { cwd: root });
    assert.equal(await readFile(join(work, 'a.html'), 'utf8'), await readFile(join(work, 'b.html'), 'utf8'));
    for (const [args, re] of [
      [['--results', join(work, 'nowhere'), '--out', join(work, 'x.html')], /results folder .* does not exist/],
      [['--results', fixtures, '--out', join(work, 'x.txt')], /--out must name an \.html file/],
    ] as Array<[string[], RegExp]>) {
      const r = await execa(bin, ['report', ...args], { cwd: root, reject: false });
      assert.notEqual(r.exitCode, 0);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  });

  it('picks axis ticks that cover the data with a constant round step (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.double({ min: 1e-6, max: 1e9, noNaN: true }), (lo, rel) => {
        // Spans below a millionth of the values' magnitude are beyond what a plot axis can label.
        const span = rel * Math.max(1, Math.abs(lo));
        const hi = lo + span;
        const t = niceTicks(lo, hi);
        assert.ok(t[0]! <= lo && t[t.length - 1]! >= hi, `[${t[0]}, ${t.at(-1)}] covers [${lo}, ${hi}]`);
        const step = t[1]! - t[0]!;
        const mant = step / 10 ** Math.floor(Math.log10(step));
        assert.ok([1, 2, 5, 10].some((m) => Math.abs(mant - m) < 1e-6), `round step ${step}`);
        assert.ok(t.length <= 16);
      }),
      { seed, numRuns: 300 },
    );
  });
});
