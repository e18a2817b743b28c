/**
 * Generates the design-specific half of the C++ testbench: the functions that
 * copy the harness models' signals (tb_runtime.h) to and from the top's
 * ports, and main(). The port list comes from the Verilog itself (header
 * parser), so hand-edited RTL works as long as it keeps the port names.
 */
import type { StreamPorts, TopInterfaces } from './ports.ts';

/** Width-aware assignment of a scalar model field to an input port. */
function setScalar(port: string, expr: string): string {
  return `  t->${port} = ${expr};`;
}

function streamDrive(s: StreamPorts, i: number): string[] {
  const lines = [setScalar(s.tvalid, `h.in[${i}].valid`)];
  lines.push(`  if (h.in[${i}].valid) put_port(t->${s.tdata}, h.in[${i}].data(), ${s.width});`);
  if (s.tlast) lines.push(setScalar(s.tlast, `h.in[${i}].last()`));
  return lines;
}

function streamSample(s: StreamPorts, i: number): string[] {
  const lines = [`  h.out[${i}].valid = t->${s.tvalid};`];
  lines.push(`  if (h.out[${i}].valid) get_port(t->${s.tdata}, h.out[${i}].scratch.data(), ${s.width});`);
  lines.push(`  h.out[${i}].last = ${s.tlast ? `t->${s.tlast}` : 'false'};`);
  return lines;
}

export function generateTestbench(top: string, ifc: TopInterfaces): string {
  const cls = `V${top}`;
  const drive: string[] = [];
  const sample: string[] = [];
  const tie: string[] = ifc.tiedOff.map((p) => `  t->${p} = 0;`);

  ifc.inputs.forEach((s, i) => {
    drive.push(...streamDrive(s, i));
    sample.push(`  h.in[${i}].ready = t->${s.tready};`);
  });
  ifc.outputs.forEach((s, i) => {
    drive.push(setScalar(s.tready, `h.out[${i}].ready`));
    sample.push(...streamSample(s, i));
  });

  if (ifc.lite) {
    const L = ifc.lite;
    const drivenLite = new Set(['awaddr', 'awvalid', 'wdata', 'wvalid', 'bready', 'araddr', 'arvalid', 'rready', 'wstrb']);
    drive.push(
      setScalar('s_axil_awvalid', 'h.lite.awvalid'),
      setScalar('s_axil_awaddr', 'h.lite.awaddr'),
      setScalar('s_axil_wvalid', 'h.lite.wvalid'),
      setScalar('s_axil_wdata', 'h.lite.wdata'),
      setScalar('s_axil_bready', 'h.lite.bready'),
      setScalar('s_axil_arvalid', 'h.lite.arvalid'),
      setScalar('s_axil_araddr', 'h.lite.araddr'),
      setScalar('s_axil_rready', 'h.lite.rready'),
    );
    if (L.wstrb) tie.push(`  t->s_axil_wstrb = 0xF;`);
    for (const [suffix, p] of Object.entries(L)) if (p.direction === 'input' && !drivenLite.has(suffix)) tie.push(`  t->${p.name} = 0;`);
    sample.push(
      '  h.lite.awready = t->s_axil_awready;',
      '  h.lite.wready = t->s_axil_wready;',
      '  h.lite.bvalid = t->s_axil_bvalid;',
      `  h.lite.bresp = ${L.bresp ? 't->s_axil_bresp' : '0'};`,
      '  h.lite.arready = t->s_axil_arready;',
      '  h.lite.rvalid = t->s_axil_rvalid;',
      '  h.lite.rdata = t->s_axil_rdata;',
      `  h.lite.rresp = ${L.rresp ? 't->s_axil_rresp' : '0'};`,
    );
  }

  if (ifc.axi) {
    const A = ifc.axi.ports;
    const bits = ifc.axi.dataBits;
    const sizeLog2 = Math.log2(bits / 8);
    const drivenAxi = new Set(['arready', 'rvalid', 'rdata', 'rresp', 'rlast', 'awready', 'wready', 'bvalid', 'bresp']);
    drive.push(
      setScalar('m_axi_arready', 'h.mem.arready'),
      setScalar('m_axi_rvalid', 'h.mem.rvalid'),
      `  if (h.mem.rvalid) put_port(t->m_axi_rdata, h.mem.rdata.data(), ${bits});`,
      setScalar('m_axi_awready', 'h.mem.awready'),
      setScalar('m_axi_wready', 'h.mem.wready'),
      setScalar('m_axi_bvalid', 'h.mem.bvalid'),
    );
    if (A.rresp) drive.push(setScalar('m_axi_rresp', 'h.mem.rresp'));
    if (A.rlast) drive.push(setScalar('m_axi_rlast', 'h.mem.rlast'));
    if (A.bresp) drive.push(setScalar('m_axi_bresp', 'h.mem.bresp'));
    for (const [suffix, p] of Object.entries(A)) if (p.direction === 'input' && !drivenAxi.has(suffix)) tie.push(`  t->${p.name} = 0;`);
    const opt = (suffix: string, fallback: string): string => (A[suffix] ? `t->m_axi_${suffix}` : fallback);
    sample.push(
      '  h.mem.arvalid = t->m_axi_arvalid;',
      '  h.mem.araddr = t->m_axi_araddr;',
      `  h.mem.arlen = ${opt('arlen', '0')};`,
      `  h.mem.arsize = ${opt('arsize', String(sizeLog2))};`,
      `  h.mem.arburst = ${opt('arburst', '1')};`,
      '  h.mem.rready = t->m_axi_rready;',
      '  h.mem.awvalid = t->m_axi_awvalid;',
      '  h.mem.awaddr = t->m_axi_awaddr;',
      `  h.mem.awlen = ${opt('awlen', '0')};`,
      `  h.mem.awsize = ${opt('awsize', String(sizeLog2))};`,
      `  h.mem.awburst = ${opt('awburst', '1')};`,
      '  h.mem.wvalid = t->m_axi_wvalid;',
      `  if (h.mem.wvalid) get_port(t->m_axi_wdata, h.mem.wdata.data(), ${bits});`,
      A.wstrb
        ? `  if (h.mem.wvalid) get_port(t->m_axi_wstrb, h.mem.wstrb.data(), ${bits / 8});`
        : '  std::fill(h.mem.wstrb.begin(), h.mem.wstrb.end(), 0xff);',
      `  h.mem.wlast = ${A.wlast ? 't->m_axi_wlast' : 'h.mem.expected_wlast()'};`,
      '  h.mem.bready = t->m_axi_bready;',
    );
  }

  const names = (list: StreamPorts[]): string => list.map((s) => `{${JSON.stringify(s.name)}, ${s.width}}`).join(', ');

  return `// Generated by sparsegrad sim/harness/testbench.ts for top ${top}. Do not edit.
#include "${cls}.h"
#include "tb_runtime.h"

// Declared ahead of tb_main.h, whose templates call them.
namespace tb {
struct Harness;
void tie_off(${cls}* t);
void set_reset(${cls}* t, bool in_reset);
void set_clock(${cls}* t, bool high);
void drive(${cls}* t, Harness& h);
void sample(${cls}* t, Harness& h);
}  // namespace tb

#include "tb_main.h"

namespace tb {

const Design kDesign = {
  /*inputs*/ {${names(ifc.inputs)}},
  /*outputs*/ {${names(ifc.outputs)}},
  /*has_lite*/ ${ifc.lite ? 'true' : 'false'},
  /*axi_data_bits*/ ${ifc.axi ? ifc.axi.dataBits : 0},
};

void tie_off(${cls}* t) {
${tie.join('\n')}
}

void set_reset(${cls}* t, bool in_reset) { t->${ifc.reset} = in_reset ? 0 : 1; }
void set_clock(${cls}* t, bool high) { t->${ifc.clock} = high ? 1 : 0; }

void drive(${cls}* t, Harness& h) {
${drive.join('\n')}
}

void sample(${cls}* t, Harness& h) {
${sample.join('\n')}
}

}  // namespace tb

int main(int argc, char** argv) { return tb::tb_main<${cls}>(argc, argv); }
`;
}
