import { strict as assert } from 'node:assert';
import { chmodSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../util/errors.ts';
import {
  checkIverilog,
  findTool,
  lintVerilator,
  parseIverilogOutput,
  parseVerilatorOutput,
  parseYosysOutput,
  probeVersionLine,
  requireTool,
  synthYosys,
  ToolCheckError,
  toolVersion,
  toolVersionLine,
} from '../../toolchain/index.ts';

const COUNTER = `module counter #(parameter W = 4) (
  input wire clk,
  input wire rst,
  input wire en,
  output reg [W-1:0] q
);
  always @(posedge clk) begin
    if (rst) q <= {W{1'b0}};
    else if (en) q <= q + 1'b1;
  end
endmodule
`;

// Three -Wall findings: truncation (WIDTH) and two unused inputs/bits.
const SLOPPY = `module sloppy(input wire clk, input wire [3:0] a, output wire [1:0] y);
  assign y = a;
endmodule
`;

const UNDECLARED = `module undeclared(input wire a, output wire y);
  assign y = b;
endmodule
`;

const SYNTAX = `module broken(input wire a, output wire y);
  assign y = a &;
endmodule
`;

describe('toolchain: finding tools', () => {
  it('finds every installed tool on PATH and reads its version once', async () => {
    for (const t of ['verilator', 'iverilog', 'yosys', 'nextpnr-ice40', 'icepack'] as const) assert.ok(findTool(t), `${t} on PATH`);
    assert.match(await toolVersion('verilator'), /^\d+\.\d+/);
    assert.match(await toolVersionLine('yosys'), /^Yosys \d+\.\d+/);
    assert.match(await toolVersion('iverilog'), /^\d+\.\d+/);
    assert.match(await toolVersion('nextpnr-ice40'), /\d/);
    assert.equal(await toolVersionLine('verilator'), await toolVersionLine('verilator'));
  });

  it('says in one line how to install a missing tool', () => {
    assert.equal(findTool('verilator', { PATH: '/nonexistent' }), undefined);
    assert.throws(
      () => requireTool('verilator', { PATH: '/nonexistent' }),
      (e: unknown) => e instanceof UserError && e.message === 'verilator is not installed: run scripts/setup (or apt-get install verilator)',
    );
    assert.throws(() => requireTool('icepack', { PATH: '' }), /icepack is not installed: run scripts\/setup \(or apt-get install fpga-icestorm\)/);
  });

  it('honours $SPARSEGRAD_<TOOL> and rejects a path that is not executable', () => {
    const real = findTool('yosys')!;
    assert.equal(findTool('yosys', { PATH: '', SPARSEGRAD_YOSYS: real }), real);
    assert.throws(() => findTool('nextpnr-ice40', { SPARSEGRAD_NEXTPNR_ICE40: '/no/such/nextpnr' }), /SPARSEGRAD_NEXTPNR_ICE40=\/no\/such\/nextpnr is not an executable file: fix the path or unset it/);
  });
});

describe('toolchain: version lines cached on disk', () => {
  it('reuses a version line while the binary is unchanged and probes again after an upgrade', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparsegrad-versions-'));
    const saved = process.env.SPARSEGRAD_CACHE;
    process.env.SPARSEGRAD_CACHE = join(dir, 'cache');
    try {
      const tool = join(dir, 'fake-tool');
      const install = (version: string, mtime: number) => {
        writeFileSync(tool, `#!/bin/sh\necho "fake-tool ${version}"\n`);
        chmodSync(tool, 0o755);
        utimesSync(tool, mtime, mtime);
      };
      install('1.0', 1_000_000);
      assert.equal(await probeVersionLine(tool, ['--version']), 'fake-tool 1.0');
      // Same size and mtime: the cached line is used, the binary is not run.
      install('9.9', 1_000_000);
      assert.equal(await probeVersionLine(tool, ['--version']), 'fake-tool 1.0');
      install('2.0', 2_000_000);
      assert.equal(await probeVersionLine(tool, ['--version']), 'fake-tool 2.0');
      assert.equal(await probeVersionLine(join(dir, 'missing-tool'), ['--version']), undefined);
    } finally {
      if (saved === undefined) delete process.env.SPARSEGRAD_CACHE;
      else process.env.SPARSEGRAD_CACHE = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('toolchain: lint, elaboration and synthesis checks', () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sparsegrad-toolchain-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('passes a clean design through verilator -Wall, iverilog -g2005 and yosys', async () => {
    const f = file('counter.v', COUNTER);
    assert.deepEqual((await lintVerilator([f], 'counter')).diagnostics, []);
    await checkIverilog([f], 'counter');
    const generic = await synthYosys([f], 'counter', { parameters: { W: 6 } });
    assert.equal(generic.stat.cellsByType['$_SDFFE_PP0P_'] ?? generic.stat.cellsByType['$_DFF_P_'] ?? 0, 6, JSON.stringify(generic.stat.cellsByType));
    const ice40 = await synthYosys([f], 'counter', { target: 'ice40' });
    const ffs = Object.entries(ice40.stat.cellsByType).filter(([t]) => t.startsWith('SB_DFF')).reduce((n, [, c]) => n + c, 0);
    assert.equal(ffs, 4, 'one ice40 flip-flop per counter bit');
    assert.ok(ice40.stat.cellsByType.SB_LUT4! > 0);
    assert.ok(ice40.stat.modules.counter);
  });

  it('fails -Wall lint on any warning, with the first one as the message and all of them as diagnostics', async () => {
    const f = file('sloppy.v', SLOPPY);
    await assert.rejects(lintVerilator([f], 'sloppy'), (e: unknown) => {
      assert.ok(e instanceof ToolCheckError);
      assert.match(e.message, /^verilator: .*sloppy\.v:2:12: WIDTH: .*\(and 2 more\)$/);
      assert.deepEqual(e.diagnostics.map((d) => [d.code, d.line]), [['WIDTH', 2], ['UNUSEDSIGNAL', 1], ['UNUSEDSIGNAL', 1]]);
      return true;
    });
  });

  it('reports elaboration and syntax errors of every tool with file and line', async () => {
    const bad = file('undeclared.v', UNDECLARED);
    await assert.rejects(lintVerilator([bad], 'undeclared'), /undeclared\.v:2:14: Can't find definition of variable: 'b'/);
    await assert.rejects(checkIverilog([bad], 'undeclared'), /iverilog: .*undeclared\.v:2: Unable to bind wire\/reg\/memory `b'/);
    await assert.rejects(checkIverilog([file('c.v', COUNTER)], 'no_such_top'), /iverilog: Unable to find the root module "no_such_top"/);
    const broken = file('broken.v', SYNTAX);
    await assert.rejects(synthYosys([broken], 'broken'), /yosys: .*broken\.v:2: syntax error, unexpected ';'/);
    await assert.rejects(checkIverilog([broken], 'broken'), /broken\.v:2: syntax error/);
  });

  it('parses each tool\'s message formats', () => {
    assert.deepEqual(parseVerilatorOutput('%Warning-UNUSEDSIGNAL: a.v:1:23: Signal is not used: \'clk\'\n   : ... In instance bad\n%Error: Exiting due to 1 warning(s)\n'), [
      { tool: 'verilator', severity: 'warning', code: 'UNUSEDSIGNAL', file: 'a.v', line: 1, col: 23, message: "Signal is not used: 'clk'" },
    ]);
    assert.deepEqual(parseIverilogOutput('a.v:5: warning: Port 1 (x) of m expects 4 bits, got 2.\n'), [
      { tool: 'iverilog', severity: 'warning', file: 'a.v', line: 5, message: 'Port 1 (x) of m expects 4 bits, got 2.' },
    ]);
    assert.deepEqual(parseYosysOutput('Warning: Wire top.\\y is used but has no driver.\nERROR: Module `\\nope\' not found!\n'), [
      { tool: 'yosys', severity: 'warning', message: 'Wire top.\\y is used but has no driver.' },
      { tool: 'yosys', severity: 'error', message: "Module `\\nope' not found!" },
    ]);
  });
});
