import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseVerilogHeaders, readVerilogHeaders, findModule, VerilogParseError, type ModuleHeader, type PortInfo } from '../../generator/verilog-header/index.ts';
import { UserError } from '../../util/errors.ts';
import { testSeed } from './seed.ts';

const port = (h: ModuleHeader, name: string): PortInfo => {
  const p = h.ports.find((x) => x.name === name);
  assert.ok(p, `port ${name} of ${h.name}`);
  return p;
};
const shape = (p: PortInfo) => ({ direction: p.direction, width: p.width, msb: p.msb, lsb: p.lsb, signed: p.signed });
const param = (h: ModuleHeader, name: string) => h.parameters.find((p) => p.name === name)!;

function parseError(text: string): VerilogParseError {
  try {
    parseVerilogHeaders(text, 'bad.v');
  } catch (e) {
    assert.ok(e instanceof VerilogParseError, `expected a VerilogParseError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a parse error');
}

describe('verilog-header: real-world header styles', () => {
  it('reads an AXI4-Stream module with a parameter list, $clog2 widths and Xilinx interface attributes', () => {
    const [h] = parseVerilogHeaders(
      `\`timescale 1ns / 1ps
\`default_nettype none
// Skid buffer, in the style of verilog-axis
(* keep_hierarchy = "yes" *)
module axis_fifo #
(
    parameter DEPTH = 4096,
    parameter DATA_WIDTH = 8,
    parameter KEEP_ENABLE = (DATA_WIDTH>8),
    parameter KEEP_WIDTH = ((DATA_WIDTH+7)/8),
    parameter ID_WIDTH = 8,
    localparam ADDR_WIDTH = (KEEP_ENABLE && KEEP_WIDTH > 1) ? $clog2(DEPTH/KEEP_WIDTH) : $clog2(DEPTH)
)
(
    input  wire                   clk,
    input  wire                   rst,
    /*
     * AXI input
     */
    (* X_INTERFACE_INFO = "xilinx.com:interface:axis:1.0 S_AXIS TDATA" *)
    input  wire [DATA_WIDTH-1:0]  s_axis_tdata,
    input  wire [KEEP_WIDTH-1:0]  s_axis_tkeep,
    input  wire                   s_axis_tvalid,
    output wire                   s_axis_tready,
    input  wire [ID_WIDTH-1:0]    s_axis_tid,
    output wire [ADDR_WIDTH:0]    status_depth
);
  reg [ADDR_WIDTH:0] wr_ptr_reg = {ADDR_WIDTH+1{1'b0}};
  always @(*) begin
    if (s_axis_tvalid) begin : named
      integer i;
    end
  end
  assign s_axis_tready = 1'b1;
endmodule
\`resetall
`,
      'axis_fifo.v',
      { DATA_WIDTH: 64 },
    );
    assert.equal(h!.name, 'axis_fifo');
    assert.equal(h!.line, 5);
    assert.deepEqual(h!.attributes, { keep_hierarchy: 'yes' });
    assert.deepEqual(shape(port(h!, 's_axis_tdata')), { direction: 'input', width: 64, msb: 63, lsb: 0, signed: false });
    assert.deepEqual(port(h!, 's_axis_tdata').attributes, { X_INTERFACE_INFO: 'xilinx.com:interface:axis:1.0 S_AXIS TDATA' });
    assert.equal(port(h!, 's_axis_tkeep').width, 8);
    // 4096 entries of 8-byte words: 9 address bits, and a depth counter one wider.
    assert.equal(param(h!, 'ADDR_WIDTH').value, 9);
    assert.equal(param(h!, 'ADDR_WIDTH').local, true);
    assert.equal(port(h!, 'status_depth').width, 10);
    assert.equal(param(h!, 'DATA_WIDTH').overridden, true);
    assert.equal(param(h!, 'DATA_WIDTH').defaultValue, '8');
    assert.equal(param(h!, 'KEEP_ENABLE').value, 1);
    assert.deepEqual(h!.ports.map((p) => p.name), ['clk', 'rst', 's_axis_tdata', 's_axis_tkeep', 's_axis_tvalid', 's_axis_tready', 's_axis_tid', 'status_depth']);
    assert.deepEqual([port(h!, 's_axis_tdata').line, port(h!, 's_axis_tdata').col], [21, 35]);
  });

  it('reads a vendor-primitive wrapper: string and wide hex parameters, integer ports, bodies with specify and tasks', () => {
    const [h] = parseVerilogHeaders(
      `(* box_type = "user_black_box" *)
module RAMB18_WRAP #(
  parameter         SIM_DEVICE = "7SERIES",
  parameter [255:0] INIT_00 = 256'h0123456789ABCDEF_0123456789ABCDEF_0123456789ABCDEF_0123456789ABCDEF,
  parameter integer READ_WIDTH_A = 18,
  parameter real    CLK_PERIOD = 2.5,
  parameter signed [7:0] OFFSET = -8'sd3
) (
  output [15:0] DOADO,
  output [1:0]  DOPADOP,
  input  [13:0] ADDRARDADDR,
  input         CLKARDCLK,
  input integer  cycle_count,
  input  [READ_WIDTH_A-3:0] DIADI
);
  specify
    (CLKARDCLK => DOADO) = (0:0:0, 0:0:0);
    $setup(ADDRARDADDR, posedge CLKARDCLK, 0);
  endspecify
  task automatic poke; input [3:0] x; begin end endtask
  function [15:0] swap(input [15:0] v); swap = {v[7:0], v[15:8]}; endfunction
endmodule
`,
      'ramb18_wrap.v',
    );
    assert.equal(param(h!, 'SIM_DEVICE').stringValue, '7SERIES');
    assert.equal(param(h!, 'INIT_00').bigValue, 0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefn);
    assert.equal(param(h!, 'INIT_00').value, undefined, 'too wide for a JS number');
    assert.equal(param(h!, 'INIT_00').width, 256);
    assert.equal(param(h!, 'READ_WIDTH_A').value, 18);
    assert.equal(param(h!, 'CLK_PERIOD').value, 2.5);
    assert.equal(param(h!, 'OFFSET').value, -3);
    assert.deepEqual(shape(port(h!, 'cycle_count')), { direction: 'input', width: 32, msb: 31, lsb: 0, signed: true });
    assert.equal(port(h!, 'DIADI').width, 16);
    assert.deepEqual(h!.ports.map((p) => p.direction), ['output', 'output', 'input', 'input', 'input', 'input']);
  });

  it('reads non-ANSI headers, taking kind and width from reg/wire declarations and body parameters', () => {
    const [h] = parseVerilogHeaders(
      `module counter (clk, rst_n, en, q, wrap);
  parameter WIDTH = 8;
  parameter MAX = (1 << WIDTH) - 1;
  input clk, rst_n;
  input wire en;
  output [WIDTH-1:0] q;
  output wrap;
  reg [WIDTH-1:0] q;
  reg wrap;
  wire unrelated = en & clk, other;
  always @(posedge clk or negedge rst_n)
    if (!rst_n) q <= 0; else if (en) q <= q + 1'b1;
endmodule
`,
      'counter.v',
      { WIDTH: 12 },
    );
    assert.equal(h!.ansi, false);
    assert.deepEqual(h!.ports.map((p) => [p.name, p.direction, p.width, p.kind]), [
      ['clk', 'input', 1, 'wire'],
      ['rst_n', 'input', 1, 'wire'],
      ['en', 'input', 1, 'wire'],
      ['q', 'output', 12, 'reg'],
      ['wrap', 'output', 1, 'reg'],
    ]);
    assert.equal(param(h!, 'MAX').value, 4095);
    assert.equal(param(h!, 'MAX').local, false, 'a module without #() keeps body parameters overridable');
  });

  it('reads several modules, `define / `ifdef, escaped names, SystemVerilog logic and packed arrays', () => {
    const hs = parseVerilogHeaders(
      `\`define BUS_W 16
\`define HALF(x) ((x)/2)
\`ifdef SIMULATION
module sim_only(input a); endmodule
\`else
module synth_only #(parameter N = \`HALF(\`BUS_W)) (input logic [N-1:0] a, output logic [1:0][3:0] b, output \\weird.name );
endmodule
\`endif
macromodule second(input wire x, output wire y, z); assign y = x; assign z = x; endmodule : second
primitive udp_and(out, a, b); output out; input a, b; table 1 1 : 1; endtable endprimitive
module third; endmodule
`,
      'multi.v',
    );
    assert.deepEqual(hs.map((h) => h.name), ['synth_only', 'second', 'third']);
    assert.equal(port(hs[0]!, 'a').width, 8);
    assert.equal(port(hs[0]!, 'a').kind, 'logic');
    assert.equal(port(hs[0]!, 'b').width, 8);
    assert.ok(port(hs[0]!, 'weird.name'));
    assert.deepEqual(hs[1]!.ports.map((p) => [p.name, p.direction]), [['x', 'input'], ['y', 'output'], ['z', 'output']]);
    assert.deepEqual(hs[2]!.ports, []);
    assert.equal(findModule(hs, 'second').name, 'second');
    assert.throws(() => findModule(hs, 'nope'), (e: unknown) => e instanceof UserError && /modules found: synth_only, second, third/.test(e.message));
    const withDefine = parseVerilogHeaders(
      `\`ifdef SIMULATION\nmodule sim_only(input a); endmodule\n\`endif\n`,
      'multi.v',
      {},
      { defines: { SIMULATION: '1' } },
    );
    assert.deepEqual(withDefine.map((h) => h.name), ['sim_only']);
  });

  it('expands nested and function-like macros, follows `include, and reads type parameters and .ext(inner) ports', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparsegrad-vh-inc-'));
    try {
      writeFileSync(join(dir, 'defs.vh'), '// shared widths\n`define MAX(a, b) ((a) > (b) ? (a) : (b))\n`define LANES 4 // lanes\n');
      writeFileSync(
        join(dir, 'top.v'),
        `\`include "defs.vh"
module top #(parameter A = 3, parameter type T = logic [7:0], parameter B = \`MAX(A, \`MAX(\`LANES, 2))) (clk, .data_o(q), flag);
  input clk;
  output [B*8-1:0] q;
  output flag;
  always @(posedge clk) begin
    assert property (@(posedge clk) q == q);
    cover property (@(posedge clk) flag);
  end
endmodule
`,
      );
      const [h] = readVerilogHeaders(join(dir, 'top.v'));
      assert.equal(param(h!, 'B').value, 4);
      assert.equal(param(h!, 'T').isType, true);
      assert.equal(param(h!, 'T').defaultValue, 'logic [7:0]');
      assert.deepEqual(h!.ports.map((p) => [p.name, p.direction, p.width]), [['clk', 'input', 1], ['data_o', 'output', 32], ['flag', 'output', 1]]);
      assert.throws(() => parseVerilogHeaders('`include "nowhere.vh"\nmodule m; endmodule', join(dir, 'x.v')), /x\.v:1:1: cannot find include file "nowhere\.vh"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads Yosys-style `(...)` port lists, as in its Xilinx primitive declarations (cells_xtra.v)', () => {
    const [h] = parseVerilogHeaders(
      `module RAMB4_S1 (...);
    parameter INIT_00 = 256'h0;
    output [0:0] DO;
    input [11:0] ADDR;
    input [0:0] DI;
    (* invertible_pin = "IS_CLK_INVERTED" *)
    input CLK;
endmodule`,
      'cells_xtra.v',
    );
    assert.deepEqual(h!.ports.map((p) => [p.name, p.direction, p.width]), [['DO', 'output', 1], ['ADDR', 'input', 12], ['DI', 'input', 1], ['CLK', 'input', 1]]);
    assert.deepEqual(port(h!, 'CLK').attributes, { invertible_pin: 'IS_CLK_INVERTED' });
  });

  it('follows Verilog sizing: ranged and typed parameters, sized arithmetic wrap-around', () => {
    const [h] = parseVerilogHeaders(
      `module sizing #(
  parameter [3:0] NIBBLE = 20,
  parameter WRAP = 4'd9 + 4'd9,
  parameter NOWRAP = (4'd9 + 4'd9) + 0,
  parameter signed [7:0] NEG = 8'hF0,
  parameter integer BIG = 32'hFFFF_FFFF,
  parameter SHIFTED = 1 << 40,
  parameter CMP = 4'd15 + 4'd1 > 4'd0,
  parameter CAT = {4'hA, 4'h5},
  parameter REP = {3{2'b10}},
  parameter SEL = CAT[7:4],
  parameter POW = 3 ** 4,
  parameter TERN = NIBBLE == 4 ? 100 : 200
) (output [NIBBLE:0] y);
endmodule`,
      's.v',
    );
    const v = (n: string) => param(h!, n).value;
    assert.equal(v('NIBBLE'), 4);
    assert.equal(v('WRAP'), 2);
    assert.equal(v('NOWRAP'), 18);
    assert.equal(v('NEG'), -16);
    assert.equal(v('BIG'), -1);
    assert.equal(v('SHIFTED'), 0, '32-bit unsized literal shifted out');
    assert.equal(v('CMP'), 0, 'comparison operands are 4 bits wide, so 15+1 wraps to 0');
    assert.equal(v('CAT'), 0xa5);
    assert.equal(v('REP'), 0b101010);
    assert.equal(v('SEL'), 0xa);
    assert.equal(v('POW'), 81);
    assert.equal(v('TERN'), 100);
    assert.equal(port(h!, 'y').width, 5);
  });

  it('keeps ANSI declarations inherited by bare names and reports positions of every port', () => {
    const [h] = parseVerilogHeaders('module m(input [3:0] a, b, output signed [7:0] c, d);\nendmodule', 'm.v');
    assert.deepEqual(h!.ports.map((p) => [p.name, p.direction, p.width, p.signed, p.col]), [
      ['a', 'input', 4, false, 22],
      ['b', 'input', 4, false, 25],
      ['c', 'output', 8, true, 48],
      ['d', 'output', 8, true, 51],
    ]);
  });

  it('skips bodies with event controls, strings holding keywords and nested regions', () => {
    const [a, b] = parseVerilogHeaders(
      `module a(input clk, output reg [1:0] q);
  always @(*) q = 0;
  always @( * ) begin
    case (q) 2'd0: begin q = 1; end default: q = 2; endcase
    $display("endmodule module input output");
  end
  generate if (1) begin : g wire [7:0] q; end endgenerate
  initial fork #1 q = 0; join
  // endmodule in a comment
  /* module x(input y); endmodule */
endmodule
module b(output z); assign z = 1'b0; endmodule`,
      'body.v',
    );
    assert.equal(port(a!, 'q').width, 2);
    assert.equal(b!.name, 'b');
  });
});

describe('verilog-header: malformed input', () => {
  const cases: [string, string, RegExp][] = [
    ['module m(input a, output b)\n  assign b = a;\nendmodule', 'bad.v:2:3', /expected ';', found 'assign'/],
    ['module m(input a, output b;\nendmodule', 'bad.v:1:27', /expected '\)', found ';'/],
    ['module m(input [3:0 a);\nendmodule', 'bad.v:1:21', /expected '\]', found 'a'/],
    ['module m(input a);\n  always begin\nendmodule', 'bad.v:2:10', /'begin' is not closed before 'endmodule' on line 3/],
    ['module m(input a);\n  assign x = a;\n', 'bad.v:1:1', /module 'm' has no endmodule/],
    ['module m(input a);\nmodule n(input b);\nendmodule', 'bad.v:1:1', /no endmodule before the next module on line 2/],
    ['module m #(parameter W = 8) (input [W-1:0] a, output [X-1:0] y);\nendmodule', 'bad.v:1:55', /cannot evaluate the range of port 'y': 'X' is not a parameter/],
    ['module m #(parameter W = 8/0) (input [W-1:0] a);\nendmodule', 'bad.v:1:39', /parameter 'W' has no constant value \(division by zero\)/],
    ['module m(a, b);\n  input a;\nendmodule', 'bad.v:1:13', /port 'b' has no input, output or inout declaration/],
    ['module m(a);\n  input a;\n  output c;\nendmodule', 'bad.v:3:10', /'c' is declared output but is not in the port list/],
    ['module m(input a, input a);\nendmodule', 'bad.v:1:25', /port 'a' is declared twice/],
    ['module m(a, input b);\nendmodule', 'bad.v:1:10', /needs a direction/],
    ['module m(input a);\n  end\nendmodule', 'bad.v:2:3', /'end' without a matching opening keyword/],
    ['module m(input [3:0] a [0:1]);\nendmodule', 'bad.v:1:24', /unpacked array/],
    ['module m #(parameter W = 4\'b1x01) (input [W:0] a);\nendmodule', 'bad.v:1:43', /has x\/z bits/],
    ['module m(input a);\nendmodule\nwire stray;', 'bad.v:3:1', /expected 'module', found 'wire'/],
    ['`ifdef X\nmodule m(input a); endmodule\n', 'bad.v:1:1', /`ifdef has no matching `endif/],
    ['module m(input [`UNDEF:0] a);\nendmodule', 'bad.v:1:17', /macro `UNDEF is not defined/],
    ['/* unterminated\nmodule m(); endmodule', 'bad.v:1:1', /unterminated block comment/],
    ['module m(input \u00e9);\nendmodule', 'bad.v:1:16', /unexpected '\u00e9'/],
    ['module m(input a);\n  function f; input x; f = x;\nendmodule', 'bad.v:2:3', /'function' is not closed/],
  ];
  for (const [text, where, what] of cases) {
    it(`${where}: ${what.source}`, () => {
      const e = parseError(text);
      assert.match(e.message, new RegExp(`^${where.replace(/\./g, '\\.')}: `), e.message);
      assert.match(e.message, what);
      assert.doesNotMatch(e.message, /\n/, 'one line');
    });
  }

  it('rejects overrides of unknown parameters and of localparams', () => {
    const text = 'module m #(parameter W = 1, localparam L = W) (input [L:0] a);\nendmodule';
    assert.throws(() => parseVerilogHeaders(text, 'm.v', { WIDTH: 3 }), /m\.v: no module has a parameter 'WIDTH' to override \(parameters: W\)/);
    assert.throws(() => parseVerilogHeaders(text, 'm.v', { L: 3 }), /m\.v:1:40: 'L' is a localparam and cannot be overridden/);
  });

  it('never crashes on mangled headers: every failure is a VerilogParseError with a position inside the file', () => {
    const seed = testSeed('mangled headers');
    const base = `module axi_lite_regs #(parameter ADDR_W = 8, parameter DATA_W = 32) (
  input wire aclk, input wire aresetn,
  input wire [ADDR_W-1:0] s_axil_awaddr, input wire s_axil_awvalid, output wire s_axil_awready,
  input wire [DATA_W-1:0] s_axil_wdata, input wire [DATA_W/8-1:0] s_axil_wstrb,
  output reg [1:0] s_axil_bresp /* OKAY */, (* mark *) output wire [DATA_W-1:0] s_axil_rdata
);
  localparam REGS = 1 << (ADDR_W - 2);
  always @(posedge aclk) begin if (!aresetn) s_axil_bresp <= 2'b00; end
endmodule
`;
    const pieces = ['(', ')', '[', ']', ';', ',', 'module', 'endmodule', 'begin', 'end', '#', '`', '"', '/*', '*)', '(*', "'h", 'input', '{', '$clog2(', '\\', '\n', '8\'b1', ':', '?', '**'];
    const mutation = fc.tuple(fc.nat(base.length), fc.nat(30), fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 3 })));
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) => {
        let text = base;
        for (const [at, del, ins] of muts) text = text.slice(0, at) + ins + text.slice(Math.min(text.length, at + del % 8));
        try {
          parseVerilogHeaders(text, 'fuzz.v');
        } catch (e) {
          if (!(e instanceof VerilogParseError)) throw new Error(`not a VerilogParseError on:\n${text}\n${(e as Error).stack}`);
          const lines = text.split('\n').length;
          if (e.line < 1 || e.line > lines || e.col < 1) throw new Error(`position ${e.line}:${e.col} outside the file:\n${text}`);
          if (/\n/.test(e.message)) throw new Error(`multi-line message: ${e.message}`);
        }
      }),
      { seed, numRuns: 400 },
    );
  });
});
