import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, symlink, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import type { FpgaReport } from '../../fpga/flow.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/sparsegrad');
const fixture = join(root, 'test/fpga/fixtures/engine');

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else out.push(p);
  }
  return out.sort();
}

async function snapshot(dir: string): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for (const f of await listFiles(dir)) m.set(relative(dir, f), createHash('sha256').update(await readFile(f)).digest('hex'));
  return m;
}

/** The timings and the build folder show the point was synthesised and bounded, and that nextpnr never ran. */
async function assertNotPlaced(timingsFile: string, designDir: string, device: string): Promise<void> {
  const t = JSON.parse(await readFile(timingsFile, 'utf8')) as { phases: Array<{ device: string; phase: string }> };
  assert.deepEqual(t.phases.filter((p) => p.device === device).map((p) => p.phase), ['synth', 'harness-synth', 'lower-bound']);
  assert.ok(!existsSync(join(designDir, 'build', device, 'nextpnr.log')), 'no nextpnr log');
  assert.ok(!existsSync(join(designDir, 'build', device, 'nextpnr-report.json')), 'no nextpnr report');
}

describe('sparsegrad fpga on a fixture engine pair', function () {
  // Real Yosys and nextpnr runs: seconds of CPU, but the machine is shared.
  this.timeout(900_000);
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'sg-fpga-bundle-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('writes the bundle, synthesises and places both designs, and is byte-identical when re-run with another --jobs', async () => {
    // UP5K: the fixture's multiply lands in a DSP, so synthesis and placement stay quick.
    const args = ['fpga', '--rtl', fixture, '--target', 'ice40', '--device', 'up5k', '--board', 'icebreaker', '--clock', '30', '--no-progress'];
    const a = await execa(bin, [...args, '--jobs', '1', '--timings', join(work, 'timings-a.json'), '--out', join(work, 'a')], { cwd: root });
    assert.match(a.stdout, /sparse_bwd_engine\s+up5k/);
    assert.match(a.stdout, /cost of zero skipping/);
    const rep = JSON.parse(await readFile(join(work, 'a/report.json'), 'utf8')) as FpgaReport;
    assert.equal(rep.kind, 'sparsegrad-fpga-report');
    assert.deepEqual(rep.notRun, []);
    assert.equal(rep.results.length, 2);
    for (const r of rep.results) {
      assert.equal(r.synth.status, 'ok', r.synth.reason);
      assert.equal(r.pnr.status, 'ok', r.pnr.reason);
      assert.ok(r.synth.resources!.luts > 0 && r.synth.resources!.ffs >= 33, 'the 32-bit accumulator and valid flag are flip-flops');
      assert.ok(r.pnr.fmaxMHz! > 5 && r.pnr.fmaxMHz! < 500, `plausible Fmax ${r.pnr.fmaxMHz}`);
      const lc = r.pnr.utilization!.ICESTORM_LC!;
      assert.equal(lc.available, 5280);
      assert.ok(lc.used >= r.synth.resources!.luts, 'placed logic cells include at least the design LUTs');
      // A design that fits is placed, and the bound that would have stopped it stays below what nextpnr used.
      const bound = r.pnr.lowerBound!;
      assert.equal(bound.available, r.pnr.utilization![bound.resource]!.available);
      assert.ok(bound.need <= r.pnr.utilization![bound.resource]!.used, `bound ${bound.need} ≤ ${bound.resource} used ${r.pnr.utilization![bound.resource]!.used}`);
      const srcs = r.pnr.criticalPath!.sources.map((s) => s.src);
      assert.ok(srcs.some((s) => /^test\/fpga\/fixtures\/engine\/builder\.ts:\d+$/.test(s)), `critical path mapped to the TypeScript lines: ${srcs.join(', ')}`);
    }
    const c = rep.comparisons[0]!;
    assert.equal(c.device, 'up5k');
    assert.equal(c.luts.sparse, rep.results.find((r) => r.role === 'sparse')!.synth.resources!.luts);
    assert.equal(typeof c.fmax!.deltaPct, 'number');
    // A board bundle ends in a bitstream.
    assert.ok((await stat(join(work, 'a/sparse_bwd_engine/build/up5k/harness.bin'))).size > 1000);

    // Where the time went is kept out of the bundle: one entry per step, in (design, device, step) order.
    const t = JSON.parse(await readFile(join(work, 'timings-a.json'), 'utf8'));
    assert.equal(t.jobs, 1);
    assert.deepEqual(t.phases.map((p: { top: string; phase: string }) => `${p.top} ${p.phase}`), ['sparse_bwd_engine synth', 'sparse_bwd_engine harness-synth', 'sparse_bwd_engine lower-bound', 'sparse_bwd_engine place-and-route', 'dense_bwd_engine synth', 'dense_bwd_engine harness-synth', 'dense_bwd_engine lower-bound', 'dense_bwd_engine place-and-route']);
    assert.match(a.stderr, /^fpga: [\d.]+ s wall clock with --jobs 1 \(summed over runs: synth [\d.]+ s, harness-synth [\d.]+ s, lower-bound [\d.]+ s, place-and-route [\d.]+ s\)$/m);

    // Both designs placed at once give the same bundle, byte for byte, as one after the other.
    await execa(bin, [...args, '--jobs', '2', '--out', join(work, 'b')], { cwd: root });
    const sa = await snapshot(join(work, 'a'));
    const sb = await snapshot(join(work, 'b'));
    assert.deepEqual([...sb.keys()], [...sa.keys()]);
    // The generator's hash covers generator/ as it is on disk, which may change between the runs while others edit it.
    const manifest = async (d: string) => JSON.stringify({ ...JSON.parse(await readFile(join(work, d, 'manifest.json'), 'utf8')), generator: null });
    assert.equal(await manifest('b'), await manifest('a'));
    sa.delete('manifest.json');
    for (const [k, h] of sa) assert.equal(sb.get(k), h, `${k} differs between two identical runs`);
  });

  it('holds every file a flow needs, with paths relative to the design folder', async () => {
    const d = join(work, 'a/sparse_bwd_engine');
    const f = (await readFile(join(d, 'sparse_bwd_engine.f'), 'utf8')).trim().split('\n');
    assert.deepEqual(f, ['rtl/sparse_bwd_engine.v']);
    for (const p of f) await stat(join(d, p));
    // EDAM names are relative to Edalize's work root, build/edalize/<device>.
    const edam = JSON.parse(await readFile(join(d, 'edalize/up5k.edam.json'), 'utf8'));
    assert.equal(edam.toplevel, 'sparse_bwd_engine_fpga_harness');
    assert.deepEqual(
      edam.files.map((x: { file_type: string }) => x.file_type),
      ['verilogSource-2005', 'verilogSource-2005', 'PCF'],
    );
    for (const x of edam.files) await stat(join(d, 'build/edalize/up5k', x.name));
    assert.deepEqual(edam.tool_options.icestorm.nextpnr_options, ['--up5k', '--package', 'sg48', '--freq', '30', '--seed', '1', '--timing-allow-fail']);
    assert.match(await readFile(join(d, 'constraints/sparse_bwd_engine.sdc'), 'utf8'), /create_clock -name aclk -period 33\.333 \[get_ports aclk\]/);
    assert.match(await readFile(join(d, 'constraints/sparse_bwd_engine.xdc'), 'utf8'), /create_clock -period 33\.333 -name aclk \[get_ports aclk\]/);
    assert.match(await readFile(join(d, 'constraints/icebreaker.pcf'), 'utf8'), /set_io aclk 35\nset_io aresetn 10\n/);
    const tcl = await readFile(join(d, 'vivado/xc7a35t.tcl'), 'utf8');
    for (const step of ['read_verilog $root/rtl/sparse_bwd_engine.v', 'synth_design -top sparse_bwd_engine', 'place_design', 'route_design', 'report_utilization', 'report_timing_summary']) {
      assert.ok(tcl.includes(step), `Vivado Tcl has ${step}`);
    }
    assert.match(await readFile(join(d, 'yosys/up5k.ys'), 'utf8'), /synth_ice40 -device u -dsp -top sparse_bwd_engine -json build\/up5k\/engine\.json/);
    assert.match(await readFile(join(d, 'nextpnr/up5k.sh'), 'utf8'), /nextpnr-ice40 --up5k --package sg48 .*--freq 30 --seed 1/);
    const readme = await readFile(join(work, 'a/README.md'), 'utf8');
    assert.match(readme, /nextpnr-ice40 --up5k/);
    // The manifest hashes are the hashes of the files as written.
    const manifest = JSON.parse(await readFile(join(work, 'a/manifest.json'), 'utf8'));
    assert.match(manifest.generator.sha256, /^[0-9a-f]{64}$/);
    for (const design of manifest.designs) {
      for (const s of [...design.sources, ...design.files]) {
        const h = createHash('sha256').update(await readFile(join(work, 'a', s.path))).digest('hex');
        assert.equal(h, s.sha256, s.path);
      }
    }
  });

  it('still writes the bundle when Yosys and nextpnr are missing, and says how to install them', async () => {
    // A PATH holding only node and what bin/sparsegrad itself runs: the EDA tools are not found.
    const onlyNode = join(work, 'bin-node-only');
    await mkdir(onlyNode);
    await symlink(process.execPath, join(onlyNode, 'node'));
    for (const tool of ['dirname', 'readlink']) await symlink(`/usr/bin/${tool}`, join(onlyNode, tool));
    const r = await execa(bin, ['fpga', '--rtl', fixture, '--device', 'up5k', '--out', join(work, 'c'), '--no-progress'], {
      cwd: root,
      env: { PATH: onlyNode },
      extendEnv: false,
    });
    assert.match(r.stdout, /not run here:\n {2}yosys is not installed: run scripts\/setup \(or apt-get install yosys\)/);
    const rep = JSON.parse(await readFile(join(work, 'c/report.json'), 'utf8')) as FpgaReport;
    assert.equal(rep.results[0]!.synth.status, 'not-run');
    assert.ok(rep.notRun.some((x) => /yosys is not installed/.test(x)));
    assert.match(rep.tools['nextpnr-ice40']!.missing!, /apt-get install nextpnr-ice40/);
    await stat(join(work, 'c/sparse_bwd_engine/vivado/xc7a35t.tcl'));
    await stat(join(work, 'c/dense_bwd_engine/harness/dense_bwd_engine_fpga_harness.v'));
  });

  it('gives one-line errors for bad flags and folders', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--target', 'stratix'], /unknown FPGA target 'stratix'; use one of: ice40, xilinx7, generic/],
      [['--clock', 'fast'], /--clock must be a number of MHz/],
      [['--jobs', '0'], /--jobs expects an integer ≥ 1, got '0'/],
      [['--seed', '0'], /--seed expects an integer ≥ 1, got '0'/],
      [['--seed', '2.5'], /--seed expects an integer ≥ 1, got '2.5'/],
      [['--rtl', join(work, 'nope')], /is not a folder of Verilog files/],
      [['--rtl', fixture, '--top', 'no_such_top'], /no module 'no_such_top'/],
    ];
    for (const [extra, re] of cases) {
      const r = await execa(bin, ['fpga', '--rtl', fixture, '--out', join(work, 'x'), ...extra], { cwd: root, reject: false });
      assert.notEqual(r.exitCode, 0);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    }
    const taken = join(work, 'taken');
    await mkdir(taken);
    await writeFile(join(taken, 'notes.txt'), 'mine');
    const r = await execa(bin, ['fpga', '--rtl', fixture, '--out', taken], { cwd: root, reject: false });
    assert.match(r.stderr, /exists and is not an FPGA bundle; give --out an empty or new folder/);
    assert.equal(await readFile(join(taken, 'notes.txt'), 'utf8'), 'mine');
  });

  it('places with the --seed given, and says so in the report, the nextpnr script and the EDAM', async () => {
    // Fmax at high fill moves by MHz from seed to seed; a figure quoted for seed N must be one
    // command away. A wrong seed in any of the three would make the bundle disagree with the report.
    const out = join(work, 'seed7');
    const r = await execa(bin, ['fpga', '--rtl', fixture, '--top', 'sparse_bwd_engine', '--target', 'ice40', '--device', 'up5k', '--clock', '30', '--seed', '7', '--no-progress', '--out', out], { cwd: root });
    assert.match(r.stdout, /Fmax: nextpnr seed 7/);
    const rep = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as FpgaReport;
    assert.equal(rep.seed, 7);
    assert.ok(rep.results[0]!.pnr.fmaxMHz! > 0, 'placed and timed');
    const d = join(out, 'sparse_bwd_engine');
    assert.match(await readFile(join(d, 'nextpnr/up5k.sh'), 'utf8'), / --seed 7 /);
    const edam = JSON.parse(await readFile(join(d, 'edalize/up5k.edam.json'), 'utf8'));
    assert.deepEqual(edam.tool_options.icestorm.nextpnr_options, ['--up5k', '--package', 'sg48', '--freq', '30', '--seed', '7', '--timing-allow-fail']);
    assert.match(await readFile(join(out, 'README.md'), 'utf8'), /nextpnr seed 7/);
  });

  it('reports Xilinx 7-series resources from synth_xilinx', async () => {
    const r = await execa(bin, ['fpga', '--rtl', fixture, '--top', 'sparse_bwd_engine', '--target', 'xilinx7', '--breakdown', '--out', join(work, 'x7'), '--no-progress'], { cwd: root });
    assert.match(r.stdout, /sparse_bwd_engine\s+xc7a35t/);
    assert.match(r.stdout, /area by module, sparse_bwd_engine on xc7a35t/);
    const rep = JSON.parse(await readFile(join(work, 'x7/report.json'), 'utf8')) as FpgaReport;
    const res = rep.results[0]!.synth.resources!;
    assert.ok(res.luts > 0 && res.ffs >= 1);
    assert.equal(res.dsps, 1, 'the 16x16 product and its accumulator map to one DSP48E1');
    assert.ok(!Object.keys(res.other).some((k) => /^[IO]BUF$/.test(k)), 'out of context: no I/O buffers');
    assert.match(rep.results[0]!.pnr.reason!, /vivado\/xc7a35t\.tcl/);
    assert.match(r.stdout, /sparse_bwd_engine\s+xc7a35t\s+\d+ \(\d+%\)\s+\d+\s+\d+/, 'LUT-RAM and SRL columns after LUTs');
    assert.match(r.stdout, /^design\s+device\s+LUTs\s+LUT-RAM\s+SRL\s+FFs/m);
    assert.match(r.stdout, /BRAM: RAMB18E1 \(18 Kb; a RAMB36E1 of 36 Kb counts as 2\) blocks; DSP: DSP48E1\./);
    assert.equal(rep.results[0]!.synth.modules!.sparse_bwd_engine!.dsps, 1);
  });

  it('reports a design that cannot be placed with its harness as not fitting, without running placement', async () => {
    // 6000 input bits: the design is small, but the harness needs a LUT per input bit next to the design's own, more than a UP5K has.
    const dir = join(work, 'wide');
    await mkdir(dir);
    await writeFile(join(dir, 'wide.v'), 'module wide(input wire aclk, input wire [5999:0] a, output reg y);\n  always @(posedge aclk) y <= ^a;\nendmodule\n');
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ top: 'wide', modules: [{ name: 'wide', clock: 'aclk' }] }));
    const timings = join(work, 'wide-timings.json');
    const r = await execa(bin, ['fpga', '--rtl', dir, '--top', 'wide', '--device', 'up5k', '--timings', timings, '--out', join(work, 'wide-out'), '--no-progress'], { cwd: root });
    assert.match(r.stdout, /does not fit \(lower bound: \d+ cells of 5280\)/);
    const rep = JSON.parse(await readFile(join(work, 'wide-out/report.json'), 'utf8')) as FpgaReport;
    const res = rep.results[0]!;
    assert.equal(res.synth.fitsAlone, true);
    assert.equal(res.pnr.fits, false);
    assert.equal(res.pnr.lowerBound!.resource, 'ICESTORM_LC');
    assert.ok(res.pnr.lowerBound!.need > 6000, 'a LUT per input bit, each its own cell');
    assert.match(res.pnr.reason!, /^does not fit iCE40UP5K-SG48 \(lower bound: \d+ cells of 5280, from the harness netlist: \d+ SB_LUT4 \+ \d+ flip-flops − \d+ LUT→FF pairs\); place and route skipped$/);
    await assertNotPlaced(timings, join(work, 'wide-out/wide'), 'up5k');
  });

  it('stops the wide preset on a UP5K at the bound, which nextpnr\'s own packer confirms', async () => {
    // The wide engine's harness netlist needs more logic cells than the UP5K has: LUT4 + flip-flops
    // − the pairs nextpnr can pack. (The default preset on an HX8K was the example until the
    // pipelined engine came within the HX8K's cells: its bound is now 7,582 of 7,680.)
    const timings = join(work, 'wide-bound-timings.json');
    const out = join(work, 'wide-bound');
    const r = await execa(bin, ['fpga', '--preset', 'wide', '--top', 'sparse_bwd_engine', '--device', 'up5k', '--timings', timings, '--out', out, '--no-progress'], { cwd: root });
    assert.match(r.stdout, /sparse_bwd_engine\s+up5k .*does not fit \(lower bound: \d+ cells of 5280\)/);
    const rep = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as FpgaReport;
    const res = rep.results[0]!;
    const bound = res.pnr.lowerBound!;
    assert.equal(res.pnr.fits, false);
    assert.equal(bound.resource, 'ICESTORM_LC');
    assert.ok(bound.need > 5280);
    assert.equal(res.throughput, undefined, 'no Fmax, no throughput');
    assert.ok(rep.throughput!.speedup.layer > 6, 'the preset\'s cycle-model basis is in the report');
    await assertNotPlaced(timings, join(out, 'sparse_bwd_engine'), 'up5k');
    // The packer alone (seconds, no placement) needs more cells than the device has, and at least the bound.
    const pack = await execa('nextpnr-ice40', ['--up5k', '--package', 'sg48', '--json', 'build/up5k/harness.json', '--top', 'sparse_bwd_engine_fpga_harness', '--pack-only'], { cwd: join(out, 'sparse_bwd_engine'), all: true, reject: false });
    const packed = Number(/ICESTORM_LC:\s*(\d+)\//.exec(pack.all!)![1]);
    assert.ok(packed >= bound.need && packed > 5280, `nextpnr packs ${packed} cells; bound ${bound.need}`);
    assert.equal(Number(/(\d+) LCs used as LUT4 and DFF/.exec(pack.all!)![1]), Number(/− (\d+) LUT→FF pairs/.exec(bound.cells)![1]));
  });
});
