/**
 * The handoff files of a bundle, checked the way the tools that read them
 * would: Edalize's EDAM and back-end options, FuseSoC's CAPI2 schema, XDC and
 * SDC dialects, a C compiler on the register header and driver, Icarus on the
 * instantiation template, and Yosys and nextpnr run from a copy of the bundle
 * exactly as its README says. Edalize and FuseSoC are Python packages from
 * PyPI, which this machine cannot reach; where they are installed the test
 * runs them too. The commands, for a bundle written by `sparsegrad fpga`:
 *
 *   cd <bundle>/<top>
 *   python3 edalize/run.py up5k                  # Edalize flow API: yosys, nextpnr, icepack, icetime
 *   python3 edalize/run.py up5k icestorm         # legacy back ends: icestorm, yosys (iCE40); vivado, yosys (Artix-7)
 *   python3 edalize/run.py xc7a35t yosys
 *   python3 edalize/run.py xc7a35t --configure-only   # the Vivado project flow's scripts, without Vivado
 *   fusesoc --cores-root . run --target=ice40_up5k sparsegrad:engine:<top>:0
 */
import { strict as assert } from 'node:assert';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { checkIverilog, runTool } from '../../toolchain/index.ts';
import { REG } from '../../engine/registers.ts';
import { designsFromDir } from '../../fpga/designs.ts';
import { writeBundleFiles } from '../../fpga/flow.ts';
import { handoffDevices, type BundleSettings, type DesignSpec } from '../../fpga/bundle.ts';
import { capiCore } from '../../fpga/fusesoc.ts';
import { EDALIZE_BACKENDS, EDALIZE_FLOW, type Edam } from '../../fpga/edam.ts';
import { harnessModuleName, planHarness } from '../../fpga/io-harness.ts';
import { resolveBoard, resolveDevices, type Device } from '../../fpga/targets.ts';
import { coreProblems, edamProblems, xdcProblems, type EdamExpectation } from './handoff-checks.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/sparsegrad');
const fixture = join(root, 'test/fpga/fixtures/engine');

function portBits(d: DesignSpec): number {
  return d.ports.reduce((s, p) => s + p.width, 0);
}

/** The harness's pins: clock, reset if any, scan in, scan enable, scan out. */
function harnessPins(d: DesignSpec): number {
  return planHarness(d.top, d.ports).reset ? 5 : 4;
}

describe('fpga handoff files', function () {
  // Yosys and nextpnr on the fixture engine: seconds, but the machine is shared.
  this.timeout(600_000);
  let work: string;
  let designs: DesignSpec[];
  let settings: BundleSettings;
  const dir = (d: DesignSpec) => join(work, 'bundle', d.top);
  const read = (d: DesignSpec, path: string) => readFile(join(dir(d), path), 'utf8');
  const expectation = (d: DesignSpec, dev: Device): EdamExpectation => ({
    flow: EDALIZE_FLOW[dev.target] as 'icestorm' | 'vivado',
    packagePins: dev.capacity.ios,
    topPortBits: { [harnessModuleName(d.top)]: harnessPins(d), [d.top]: portBits(d) },
    ...(dev.part ? { part: dev.part } : {}),
    designDir: dir(d),
    workRoot: `build/edalize/${dev.name}`,
  });

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'sg-fpga-handoff-'));
    designs = await designsFromDir(fixture, undefined, 'test/fpga/fixtures/engine');
    const devices = resolveDevices('ice40', ['up5k']);
    settings = { target: 'ice40', devices, clockMHz: 30, board: resolveBoard('icebreaker', devices)! };
    for (const d of designs) await writeBundleFiles(dir(d), d, settings);
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('has an EDAM per iCE40 and Artix-7 device, with a top that fits the package, options Edalize knows and the device\'s own part', async () => {
    for (const d of designs) {
      for (const dev of handoffDevices()) {
        const e = JSON.parse(await read(d, `edalize/${dev.name}.edam.json`)) as Edam;
        assert.deepEqual(await edamProblems(e, expectation(d, dev)), [], `${d.top} ${dev.name}`);
        assert.equal(e.toplevel, harnessModuleName(d.top));
        // The legacy back ends each find their options.
        assert.deepEqual(Object.keys(e.tool_options).sort(), [...EDALIZE_BACKENDS[dev.target]!].sort());
      }
      const x35 = JSON.parse(await read(d, 'edalize/xc7a35t.edam.json')) as Edam;
      const x100 = JSON.parse(await read(d, 'edalize/xc7a100t.edam.json')) as Edam;
      assert.equal(x35.tool_options.vivado!.part, 'xc7a35tcpg236-1');
      assert.equal(x100.tool_options.vivado!.part, 'xc7a100tcsg324-1');
      // The board's pins go with the board's device only.
      const up5k = JSON.parse(await read(d, 'edalize/up5k.edam.json')) as Edam;
      const hx8k = JSON.parse(await read(d, 'edalize/hx8k.edam.json')) as Edam;
      assert.ok(up5k.files.some((f) => f.file_type === 'PCF'));
      assert.ok(!hx8k.files.some((f) => f.file_type === 'PCF'));
    }
  });

  it('catches EDAMs that Edalize would reject or mis-build', async () => {
    // Each is a mistake the bundle once made or could make; a check that passed them would be worthless.
    const d = designs[0]!;
    const [up5k] = resolveDevices('ice40', ['up5k']);
    const [x35] = resolveDevices('xilinx7', ['xc7a35t']);
    const good = JSON.parse(await read(d, 'edalize/up5k.edam.json')) as Edam;
    const goodX = JSON.parse(await read(d, 'edalize/xc7a35t.edam.json')) as Edam;
    const tiny = (await designsFromDir(join(root, 'rtl/tiny'), ['sparse_bwd_engine'], 'rtl/tiny'))[0]!;
    const variant = (e: Edam, f: (c: Edam) => void): Edam => {
      const c = structuredClone(e);
      f(c);
      return c;
    };
    const cases: Array<[string, Edam, EdamExpectation, RegExp]> = [
      ['Yosys has no synth_generic', variant(good, (c) => (c.tool_options.yosys!.arch = 'generic')), expectation(d, up5k!), /Yosys has no synth_generic/],
      [
        'the bare engine as toplevel has hundreds of port bits for a 39-pin package',
        variant(good, (c) => (c.toplevel = tiny.top)),
        { ...expectation(d, up5k!), topPortBits: { [tiny.top]: portBits(tiny) } },
        /has \d{3,} port bits, the package 39 pins/,
      ],
      ['an SDC in the Vivado EDAM', variant(goodX, (c) => c.files.push({ name: `../../../constraints/${d.top}.sdc`, file_type: 'SDC' })), expectation(d, x35!), /SDC file in a Vivado EDAM/],
      ['a misspelt option', variant(good, (c) => (c.flow_options.nextpnr_opts = [])), expectation(d, up5k!), /nextpnr_opts is not an option of the icestorm flow/],
      ['the xc7a35t part for the xc7a100t', variant(goodX, (c) => (c.flow_options.part = 'xc7a35tcpg236-1')), { ...expectation(d, x35!), part: 'xc7a100tcsg324-1' }, /part xc7a35tcpg236-1, the device is xc7a100tcsg324-1/],
      ['paths relative to the design folder instead of the work root', variant(good, (c) => (c.files[0]!.name = c.files[0]!.name.replace('../../../', ''))), expectation(d, up5k!), /does not exist relative to the work root/],
      ['no toplevel', variant(good, (c) => delete (c as Partial<Edam>).toplevel), expectation(d, up5k!), /EDAM structure: toplevel/],
    ];
    for (const [why, e, x, re] of cases) {
      const problems = await edamProblems(e, x);
      assert.ok(problems.some((p) => re.test(p)), `${why}: ${problems.join('; ') || 'no problem found'}`);
    }
  });

  it('configures every device with Edalize, when Edalize is installed', async function () {
    const probe = await execa('python3', ['-c', 'import edalize.edatool, edalize.flows.icestorm'], { reject: false });
    if (probe.exitCode !== 0) {
      console.log('      edalize is not installed (pip install edalize): the EDAMs were checked against its documented structure and options only');
      this.skip();
    }
    const d = designs[0]!;
    for (const dev of handoffDevices()) {
      for (const backend of [undefined, ...EDALIZE_BACKENDS[dev.target]!]) {
        const r = await execa('python3', ['edalize/run.py', dev.name, ...(backend ? [backend] : []), '--configure-only'], { cwd: dir(d), reject: false, all: true });
        assert.equal(r.exitCode, 0, `${dev.name} ${backend ?? 'flow'}: ${r.all}`);
        const make = await read(d, `build/edalize/${dev.name}${backend ? `-${backend}` : ''}/Makefile`);
        if (dev.target === 'ice40' && backend !== 'yosys') assert.match(make, new RegExp(`nextpnr-ice40 .*--${dev.name}`));
      }
    }
    // And builds the iCE40 ones: a bitstream and an icetime report through the flow API, a netlist through the yosys back end.
    for (const args of [['up5k'], ['up5k', 'yosys']]) {
      const r = await execa('python3', ['edalize/run.py', ...args], { cwd: dir(d), reject: false, all: true });
      assert.equal(r.exitCode, 0, `${args.join(' ')}: ${r.all}`);
    }
    const timing = await execa('make', ['timing'], { cwd: join(dir(d), 'build/edalize/up5k'), reject: false, all: true });
    assert.equal(timing.exitCode, 0, timing.all);
    assert.match(await read(d, `build/edalize/up5k/${d.top}_up5k.tim`), /Total path delay: [\d.]+ ns/);
    await readFile(join(dir(d), `build/edalize/up5k/${d.top}_up5k.bin`));
    await readFile(join(dir(d), `build/edalize/up5k-yosys/${d.top}_up5k.json`));
  });

  it('keeps SDC and XDC apart, each valid in its dialect, with a false path on the reset', async () => {
    for (const d of designs) {
      const ooc = await read(d, `constraints/${d.top}.xdc`);
      assert.deepEqual(xdcProblems(ooc), []);
      assert.deepEqual(xdcProblems(await read(d, `constraints/${harnessModuleName(d.top)}.xdc`)), []);
      assert.match(ooc, /^set_false_path -from \[get_ports aresetn\]$/m);
      const sdc = await read(d, `constraints/${d.top}.sdc`);
      assert.equal(sdc.match(/^create_clock /gm)!.length, 1);
      assert.match(sdc, /^set_false_path -from \[get_ports aresetn\]$/m);
      // The clock and the reset have no I/O delay; a bus is named by its bits.
      assert.doesNotMatch(sdc, /set_input_delay -clock \S+ \S+ \[get_ports \{[^}]*\b(aclk|aresetn)\b/);
      assert.match(sdc, /set_input_delay -clock aclk 16\.667 \[get_ports \{s_axis_grad_tdata\[\*\] /);
      for (const dev of resolveDevices('xilinx7', ['xc7a35t', 'xc7a100t'])) {
        const tcl = await read(d, `vivado/${dev.name}.tcl`);
        assert.match(tcl, new RegExp(`^set part ${dev.part}$`, 'm'));
        assert.match(tcl, new RegExp(`^set out \\$root/build/${dev.name}/vivado$`, 'm'));
        assert.doesNotMatch(tcl, /\.sdc/);
      }
    }
    // What the bundle used to write: the SDC read as XDC next to the XDC.
    const old = 'create_clock -name aclk -period 40 [get_ports aclk]\nset_input_delay -clock aclk 20 [remove_from_collection [all_inputs] [get_ports aclk]]\ncreate_clock -period 40 -name aclk [get_ports aclk]\n';
    const problems = xdcProblems(old);
    assert.ok(problems.includes('remove_from_collection is SDC, not XDC') && problems.includes('clock aclk is created 2 times'), problems.join('; '));
  });

  it('writes a FuseSoC core that passes the CAPI2 schema, with lint, iCE40 and Vivado targets', async () => {
    for (const d of designs) {
      const text = await read(d, `${d.top}.core`);
      assert.ok(text.startsWith('CAPI=2:\n'));
      const core = capiCore({ top: d.top, rtl: d.files.map((f) => `rtl/${f.split('/').pop()}`), harness: `harness/${harnessModuleName(d.top)}.v`, parameters: d.parameters, clockMHz: settings.clockMHz, board: settings.board! }, handoffDevices());
      assert.deepEqual(coreProblems(core, dir(d)), []);
      assert.deepEqual(Object.keys(core.targets), ['default', 'lint', 'ice40_up5k', 'ice40_hx8k', 'vivado_xc7a35t', 'vivado_xc7a100t']);
      assert.equal(core.targets.lint!.flow, 'lint');
      assert.equal(core.targets.ice40_up5k!.toplevel, harnessModuleName(d.top));
      // The file is that core: YAML read back (PyYAML, as FuseSoC reads it) gives the same data.
      const yaml = await execa('python3', ['-c', 'import json, sys, yaml; d = yaml.safe_load(open(sys.argv[1])); d.pop("CAPI=2"); print(json.dumps(d))', join(dir(d), `${d.top}.core`)], { reject: false, all: true });
      if (yaml.exitCode !== 0 && /No module named 'yaml'/.test(yaml.all ?? '')) console.log('      PyYAML is not installed: the .core text was not read back');
      else assert.deepEqual(JSON.parse(yaml.stdout), JSON.parse(JSON.stringify(core)), yaml.all);
    }
    const d = designs[0]!;
    const core = capiCore({ top: d.top, rtl: ['rtl/sparse_bwd_engine.v'], harness: `harness/${harnessModuleName(d.top)}.v`, parameters: {}, clockMHz: 30 }, handoffDevices());
    const misnamed = { ...core, file_sets: core.filesets } as Record<string, unknown>;
    delete misnamed.filesets;
    assert.match(coreProblems(misnamed, dir(d)).join('; '), /CAPI2: : Unrecognized key: "file_sets"/);
    const dangling = structuredClone(core);
    dangling.targets.lint!.filesets.push('tb');
    assert.match(coreProblems(dangling, dir(d)).join('; '), /target lint names fileset tb, which is not defined/);
  });

  it('writes a C register header and driver that compile with cc -Wall -Werror -std=c99 -pedantic and drive the registers as the engine expects', async () => {
    const d = designs[0]!;
    const c = join(dir(d), 'c');
    const P = d.top.toUpperCase();
    const main = [
      '#include <stdio.h>',
      `#include "${d.top}_driver.h"`,
      `#include "${d.top}_regs.h"`,
      'static volatile uint32_t regs[64];',
      'int main(void) {',
      `  struct ${d.top}_job job = { 1u, 2u, 3u, 4u, 5u, 0x100u, 0x200u, 0x300u, 0x400u };`,
      `  struct ${d.top}_counters n;`,
      '  unsigned i;',
      ...Object.keys(REG).map((k) => `  printf("${k}=%u\\n", (unsigned)${P}_${k});`),
      `  printf("missing=%d\\n", ${d.top}_run(regs, &job, &n, 3ul));`,
      `  regs[${P}_ID / 4u] = ${P}_ID_VALUE;`,
      `  printf("timeout=%d\\n", ${d.top}_run(regs, &job, &n, 3ul));`,
      `  for (i = 0; i < 64u; i++) if (i != ${P}_ID / 4u) regs[i] = 1000u + i;`,
      `  regs[${P}_STATUS / 4u] = ${P}_STATUS_DONE;`,
      `  printf("ok=%d\\n", ${d.top}_run(regs, &job, &n, 3ul));`,
      `  printf("written=%u,%u,%u,%u,%u,%u,%u,%u,%u ctrl=%u\\n", (unsigned)regs[${P}_MODE / 4u], (unsigned)regs[${P}_THETA / 4u], (unsigned)regs[${P}_ROWS / 4u], (unsigned)regs[${P}_COLS / 4u], (unsigned)regs[${P}_VECTORS / 4u], (unsigned)regs[${P}_W_BASE / 4u], (unsigned)regs[${P}_W_STRIDE / 4u], (unsigned)regs[${P}_G_BASE / 4u], (unsigned)regs[${P}_G_STRIDE / 4u], (unsigned)regs[${P}_CTRL / 4u]);`,
      '  printf("counters=%u,%u,%u,%u,%u,%u,%u\\n", (unsigned)n.cycles_busy, (unsigned)n.macs_issued, (unsigned)n.macs_skipped, (unsigned)n.rows_fetched, (unsigned)n.stall_cycles, (unsigned)n.nonzeros, (unsigned)n.zeros);',
      `  regs[${P}_STATUS / 4u] = ${P}_STATUS_DONE | ${P}_STATUS_ERROR;`,
      `  printf("error=%d\\n", ${d.top}_run(regs, &job, &n, 3ul));`,
      '  return 0;',
      '}',
      '',
    ].join('\n');
    await writeFile(join(c, 'main.c'), main);
    const cc = await execa('cc', ['-Wall', '-Wextra', '-Werror', '-std=c99', '-pedantic', '-o', 'check', 'main.c', `${d.top}_driver.c`], { cwd: c, reject: false, all: true });
    assert.equal(cc.exitCode, 0, cc.all);
    const out = Object.fromEntries((await execa(join(c, 'check'))).stdout.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.deepEqual(macroMismatches(out), []);
    // Driver results: NOT_FOUND, TIMEOUT, OK, BUS_ERROR; every job register written in the job's order, START last.
    assert.deepEqual([out.missing, out.timeout, out.ok, out.error], ['-1', '-2', '0', '-3']);
    assert.equal(out.written, '1,2,3,4,5,256,512,768,1024 ctrl=1');
    assert.equal(out.counters, [REG.CYCLES_BUSY, REG.MACS_ISSUED, REG.MACS_SKIPPED, REG.ROWS_FETCHED, REG.STALL_CYCLES, REG.NONZEROS, REG.ZEROS].map((a) => 1000 + a / 4).join(','));
    // A header whose offsets drifted from the hardware's table is caught.
    assert.deepEqual(macroMismatches({ ...out, STATUS: '8' }), ['STATUS: header 8, hardware 4']);
  });

  it('writes an instantiation template that elaborates around the engine', async () => {
    for (const d of designs) {
      const wrapper = join(dir(d), 'templates', 'wrap.v');
      await writeFile(wrapper, `module inst_check;\n\`include "${d.top}_inst.v"\nendmodule\n`);
      await checkIverilog([...d.files, wrapper], 'inst_check', { includeDirs: [join(dir(d), 'templates')] });
      // A template naming a port the engine lacks would not elaborate: the check can fail.
      const broken = join(work, `broken_${d.top}_inst.v`);
      await writeFile(broken, (await read(d, `templates/${d.top}_inst.v`)).replace(/\.aresetn /, '.areset_n '));
      await writeFile(join(work, 'wrap_broken.v'), `module inst_check;\n\`include "broken_${d.top}_inst.v"\nendmodule\n`);
      await assert.rejects(checkIverilog([...d.files, join(work, 'wrap_broken.v')], 'inst_check', { includeDirs: [work] }), /areset_n/);
    }
  });

  it('runs the bundle\'s Yosys and nextpnr scripts from a copy of a design folder exactly as its README says', async () => {
    const out = join(work, 'run');
    await execa(bin, ['fpga', '--rtl', fixture, '--top', 'sparse_bwd_engine', '--device', 'up5k', '--board', 'icebreaker', '--clock', '30', '--out', out, '--no-progress'], { cwd: root });
    const readme = await readFile(join(out, 'README.md'), 'utf8');
    const block = /## Running it[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)![1]!.trim().split('\n');
    assert.equal(block[0], 'cd <top>');
    const vivado = block.filter((l) => l.startsWith('vivado '));
    const here = block.slice(1).filter((l) => !l.startsWith('vivado '));
    // Vivado is not installed here; its scripts are checked above (part, paths, XDC only).
    assert.deepEqual(vivado, ['vivado -mode batch -source vivado/xc7a35t.tcl', 'vivado -mode batch -source vivado/xc7a100t.tcl']);
    assert.deepEqual(here, ['yosys -s yosys/up5k.ys', 'yosys -s yosys/up5k-harness.ys && sh nextpnr/up5k.sh']);
    // A copy without build/ (as version control or an archive of the sources would hand it over).
    const copy = join(work, 'copy');
    await cp(join(out, 'sparse_bwd_engine'), copy, { recursive: true, filter: (src) => !src.includes('/build') });
    assert.ok(!(await readdir(copy)).includes('build'));
    for (const line of here) {
      const r = await execa('sh', ['-c', line], { cwd: copy, reject: false, all: true });
      assert.equal(r.exitCode, 0, `${line}: ${r.all}`);
    }
    for (const f of ['engine.stat.json', 'harness.stat.json', 'nextpnr-report.json', 'harness.bin']) {
      assert.deepEqual(await readFile(join(copy, 'build/up5k', f)), await readFile(join(out, 'sparse_bwd_engine/build/up5k', f)), `${f} as in the bundle`);
    }
    // icetime times the placed design against the iCE40 chip database (scripts/setup installs it; without it icetime cannot run).
    const icetime = await runTool('icetime', ['-d', 'up5k', '-P', 'sg48', '-p', 'constraints/icebreaker.pcf', '-t', 'build/up5k/harness.asc'], { cwd: copy });
    assert.equal(icetime.exitCode, 0, String(icetime.all));
    assert.match(String(icetime.all), /Total path delay: [\d.]+ ns \([\d.]+ MHz\)/);
    // Without the line that makes build/up5k, the same script fails in a fresh copy: the folder is needed.
    const bare = join(work, 'bare');
    await cp(copy, bare, { recursive: true, filter: (src) => !src.includes('/build') });
    await mkdir(join(bare, 'yosys'), { recursive: true });
    await writeFile(join(bare, 'yosys/no-mkdir.ys'), (await readFile(join(bare, 'yosys/up5k.ys'), 'utf8')).replace(/^!mkdir.*\n/m, ''));
    const r = await execa('yosys', ['-q', '-s', 'yosys/no-mkdir.ys'], { cwd: bare, reject: false, all: true });
    assert.notEqual(r.exitCode, 0, 'Yosys cannot write into a folder that does not exist');
  });
});

/** Header macros printed by the compiled check program that differ from the hardware's register table. */
function macroMismatches(printed: Record<string, string>): string[] {
  return Object.entries(REG)
    .filter(([k, a]) => Number(printed[k]) !== a)
    .map(([k, a]) => `${k}: header ${printed[k]}, hardware ${a}`);
}
