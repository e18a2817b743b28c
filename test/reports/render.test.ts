import { strict as assert } from 'node:assert';
import { cp, mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execa } from 'execa';
import fc from 'fast-check';
import { niceTicks, tickLabels } from '../../reports/svg.ts';
import { DRAWN_CHECK } from '../../reports/html.ts';
import { decodePng, inkStats } from './png.ts';

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

/** A PNG of the page as headless Chromium draws it (fresh profile, no network). */
async function screenshot(htmlFile: string, work: string, png: string): Promise<Buffer> {
  const profile = await mkdtemp(join(work, 'chromium-profile-'));
  await execa(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--window-size=1000,3000', `--screenshot=${png}`, pathToFileURL(htmlFile).href], { timeout: 120_000 });
  return readFile(png);
}

function figures(dom: string): Array<{ drawn: string; marks: number; layout: string }> {
  return [...dom.matchAll(/<figure class="plot-figure"[^>]*>/g)].map((m) => ({
    drawn: /data-drawn="(\w+)"/.exec(m[0])?.[1] ?? 'unchecked',
    marks: Number(/data-marks="(\d+)"/.exec(m[0])?.[1] ?? -1),
    layout: (/data-layout="([^"]*)"/.exec(m[0])?.[1] ?? 'unchecked').replaceAll('&quot;', '"'),
  }));
}

/** Every tick label of every plot, per axis, as the page holds them after rendering. */
function tickTexts(dom: string): Array<{ plot: string; axis: string; labels: string[] }> {
  const out: Array<{ plot: string; axis: string; labels: string[] }> = [];
  for (const m of dom.matchAll(/<svg class="plot" id="([^"]+)"[\s\S]*?<\/svg>/g)) {
    for (const axis of ['x-tick', 'y-tick']) {
      const labels = [...m[0].matchAll(new RegExp(`class="tick ${axis}"[^>]*>([^<]*)<`, 'g'))].map((t) => t[1]!);
      if (labels.length) out.push({ plot: m[1]!, axis, labels });
    }
  }
  return out;
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
    // Per --full model (2): validation bands, sparsity trajectory, loss vs sparsity; then sparsity vs θ, bpc vs sparsity,
    // train loss, validation loss, cycles vs sparsity, energy vs sparsity, area bars, Fmax bars.
    assert.equal(figs.length, 14, 'one figure per plot');
    for (const [i, f] of figs.entries()) {
      assert.equal(f.drawn, 'yes', `figure ${i} drew`);
      assert.ok(f.marks > 0, `figure ${i} has visible marks`);
      // Ticks distinct per axis, percentage axes within 0..100, legend labels inside the plot and apart.
      assert.equal(f.layout, 'ok', `figure ${i} layout`);
    }
    assert.match(dom, /data-plots-drawn="14\/14"/);
    for (const t of tickTexts(dom)) assert.equal(new Set(t.labels).size, t.labels.length, `${t.plot} ${t.axis}: ${t.labels.join(', ')}`);
    const cycles = tickTexts(dom).find((t) => t.plot === 'plot-cycles-sparsity' && t.axis === 'y-tick')!;
    assert.ok(cycles.labels.length >= 3, 'the cycle axis is labelled');
    for (const id of ['plot-full-valid-char-l1', 'plot-full-sparsity-word', 'plot-full-loss-char-l1']) assert.ok(dom.includes(`id="${id}"`), id);
    assert.match(dom, /class="band"/, 'mean ± sd bands');
    assert.match(dom, /class="errorbar"/, 'confidence intervals');
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
    assert.match(r.stdout, /missing inputs \(their sections say how to produce them\): reproduce-full\.json, reproduce\.json, train report\.json, cosim-report\.json/);
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
    // From another working directory: the header names the folder, not a path relative to where the command ran.
    await execa(bin, ['report', '--results', fixtures, '--out', join(work, 'b.html')], { cwd: work });
    assert.equal(await readFile(join(work, 'a.html'), 'utf8'), await readFile(join(work, 'b.html'), 'utf8'));
    assert.match(await readFile(join(work, 'a.html'), 'utf8'), /Results read from <code>results<\/code>/);
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

  it('claims only from converged multi-seed results, never from --quick or unconverged runs', async () => {
    const base = JSON.parse(await readFile(join(fixtures, 'full/reproduce-full.json'), 'utf8'));
    const page = async (name: string, full: unknown) => {
      const d = join(work, name);
      await mkdir(join(d, 'full'), { recursive: true });
      await cp(join(fixtures, 'reproduce'), join(d, 'reproduce'), { recursive: true });
      await writeFile(join(d, 'full', 'reproduce-full.json'), JSON.stringify(full));
      await execa(bin, ['report', '--results', d, '--out', join(work, `${name}.html`)], { cwd: root });
      return readFile(join(work, `${name}.html`), 'utf8');
    };
    // The fixture: --quick, and its single-seed reproduce.json whose old verdict text said "The claim holds".
    assert.match(JSON.parse(await readFile(join(fixtures, 'reproduce/reproduce.json'), 'utf8')).verdict.text, /^The claim holds/);
    const quick = await page('claim-quick', base);
    assert.doesNotMatch(quick, /claim holds/i);
    assert.match(quick, /No claim is made for char-l1: these are --quick runs/);
    assert.match(quick, /Indicative only, not a claim/);
    // A converged, three-seed, full-preset sweep whose verdict holds: the page says so.
    const seeds = [1, 2, 3];
    const converged = { ...base, options: { ...base.options, quick: false },
      runs: base.runs.filter((r: { model: string }) => r.model === 'char-l1').flatMap((r: { seed: number }) => (r.seed === 1 ? seeds.map((seed) => ({ ...r, seed, converged: true })) : [])),
      verdicts: [{ model: 'char-l1', verdict: 'holds', text: 'The claim holds for char-l1: target-0.8 (test).' }, { model: 'word', verdict: 'cannot tell', text: 'Cannot tell.' }] };
    assert.match(await page('claim-converged', converged), /The claim holds for char-l1/);
    // The same runs as a partial summary of a sweep still running: a progress note, no claim.
    const partial = await page('claim-partial', { ...converged, complete: false, runsPlanned: 36 });
    assert.doesNotMatch(partial, /The claim holds/);
    assert.match(partial, /a partial sweep \(18 of 36 runs finished\)/);
    // The same file with one run at its budget (an edited or inconsistent file): no claim, and the page says why.
    converged.runs[0].converged = false;
    const open = await page('claim-open', converged);
    assert.doesNotMatch(open, /The claim holds/);
    assert.match(open, /1 of 18 runs stopped at the budget before converging/);
  });

  it('the layout check catches repeated ticks, a percentage axis past 100% and clipped or overlapping legends', async () => {
    // Why the layout assertions above can fail: this page has each defect the report once had, and the check names them.
    const bad = join(work, 'bad-layout.html');
    await writeFile(bad, `<!DOCTYPE html><html><body><figure class="plot-figure"><svg class="plot" viewBox="0 0 640 400" width="640" height="400">
<circle class="mark" cx="100" cy="100" r="4"/>
<text class="tick x-tick" data-value="1500000" x="100" y="340">2e6</text><text class="tick x-tick" data-value="2000000" x="200" y="340">2e6</text>
<text class="label x-label" x="300" y="390">cycles</text>
<text class="tick y-tick" data-value="140" x="50" y="40">140</text><text class="label y-label" x="10" y="200">dz sparsity (%)</text>
<text class="legend" x="560" y="380">a legend label far too long for the plot</text><text class="legend" x="570" y="380">second</text>
</svg></figure><script>${DRAWN_CHECK}</script></body></html>`);
    const layout = figures(await renderedDom(bad, work))[0]!.layout;
    assert.match(layout, /x-tick label "2e6" repeats/);
    assert.match(layout, /y-tick 140 outside 0\.\.100%/);
    assert.match(layout, /leaves the plot/);
    assert.match(layout, /overlaps another/);
    // And the formatter that caused the first defect now gives distinct labels.
    assert.deepEqual(tickLabels([0, 5e5, 1e6, 1.5e6, 2e6]), ['0', '5e5', '1e6', '1.5e6', '2e6']);
  });

  it('screenshots non-blank; a blank page is told apart', async () => {
    const out = join(work, 'shot.html');
    await execa(bin, ['report', '--results', fixtures, '--out', out], { cwd: root });
    const drawn = inkStats(decodePng(await screenshot(out, work, join(work, 'shot.png'))));
    // Text, axes and coloured series: a real page inks several percent of its pixels in many colours.
    assert.ok(drawn.ink > 0.02 && drawn.colours > 50, `ink ${drawn.ink}, ${drawn.colours} colours`);
    const empty = join(work, 'empty.html');
    await writeFile(empty, '<!DOCTYPE html><html><body></body></html>');
    const blank = inkStats(decodePng(await screenshot(empty, work, join(work, 'empty.png'))));
    assert.ok(blank.ink < 0.001 && blank.colours <= 2, `blank page: ink ${blank.ink}, ${blank.colours} colours`);
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
