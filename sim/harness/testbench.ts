/**
 * Generates the design-specific half of the C++ testbench: the functions that
 * copy the harness models' signals (tb_runtime.h) to and from the top's
 * ports, and main(). The port list comes from the Verilog itself (header
 * parser), so hand-edited RTL works as long as it keeps the port names.
 */
import type { HarnessPort, StreamPorts, TopInterfaces } from './ports.ts';

/** Bytes of the member Verilator declares for a port: CData, SData, IData, QData, or VlWide words. */
function portBytes(width: number): number {
  return width <= 8 ? 1 : width <= 16 ? 2 : width <= 32 ? 4 : width <= 64 ? 8 : 4 * Math.ceil(width / 32);
}

/** The address of a port's storage: VlWide keeps its words behind data(). */
function portAddress(p: HarnessPort): string {
  return p.width > 64 ? `t->${p.name}.data()` : `&t->${p.name}`;
}

/**
 * A replay frame holds every driven input as Verilator stores it, at fixed
 * offsets, so recording and replaying are constant-size copies the compiler
 * turns into a few moves: the replay loop costs next to nothing per cycle.
 */
function framing(ports: readonly HarnessPort[]): { bytes: number; record: string[]; replay: string[] } {
  let offset = 0;
  const record: string[] = [];
  const replay: string[] = [];
  for (const p of ports) {
    const n = portBytes(p.width);
    record.push(`  std::memcpy(f + ${offset}, ${portAddress(p)}, ${n});`);
    replay.push(`  std::memcpy(${portAddress(p)}, f + ${offset}, ${n});`);
    offset += n;
  }
  return { bytes: offset, record, replay };
}

function streamDrive(s: StreamPorts, i: number): string[] {
  // tlast is low whenever tvalid is; tdata keeps the last beat between beats.
  const last = s.tlast ? [`      t->${s.tlast} = s.last();`] : [];
  const lastLow = s.tlast ? [`    } else {`, `      t->${s.tlast} = 0;`] : [];
  return [
    `  {`,
    `  InStream& s = h.in[${i}];`,
    `  if (s.dirty) {`,
    `    s.dirty = false;`,
    `    t->${s.tvalid} = s.valid;`,
    `    if (s.valid) {`,
    `      put_port(t->${s.tdata}, s.beat(), ${s.width});`,
    ...last,
    ...lastLow,
    `    }`,
    `  }`,
    `  }`,
  ];
}

function streamSample(s: StreamPorts, i: number): string[] {
  return [
    `  {`,
    `  OutStream& s = h.out[${i}];`,
    `  s.valid = t->${s.tvalid};`,
    `  if (s.valid) {`,
    `    get_port(t->${s.tdata}, s.scratch.data(), ${s.width});`,
    `    s.last = ${s.tlast ? `t->${s.tlast}` : 'false'};`,
    `  }`,
    `  }`,
  ];
}

function setScalar(port: string, expr: string): string {
  return `  t->${port} = ${expr};`;
}

export function generateTestbench(top: string, ifc: TopInterfaces): string {
  const cls = `V${top}`;
  const drive: string[] = [];
  const sample: string[] = [];
  const driveLite: string[] = [];
  const sampleLite: string[] = [];
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
    driveLite.push(
      '  if (!h.lite.dirty) return;',
      '  h.lite.dirty = false;',
      setScalar(L.awvalid!.name, 'h.lite.awvalid'),
      setScalar(L.awaddr!.name, 'h.lite.awaddr'),
      setScalar(L.wvalid!.name, 'h.lite.wvalid'),
      setScalar(L.wdata!.name, 'h.lite.wdata'),
      setScalar(L.bready!.name, 'h.lite.bready'),
      setScalar(L.arvalid!.name, 'h.lite.arvalid'),
      setScalar(L.araddr!.name, 'h.lite.araddr'),
      setScalar(L.rready!.name, 'h.lite.rready'),
    );
    if (L.wstrb) tie.push(`  t->${L.wstrb.name} = 0xF;`);
    for (const [suffix, p] of Object.entries(L)) if (p.direction === 'input' && !drivenLite.has(suffix)) tie.push(`  t->${p.name} = 0;`);
    // Data and responses are read only while their valid is high: nothing looks at them otherwise.
    sampleLite.push(
      `  h.lite.awready = t->${L.awready!.name};`,
      `  h.lite.wready = t->${L.wready!.name};`,
      `  h.lite.arready = t->${L.arready!.name};`,
      `  h.lite.bvalid = t->${L.bvalid!.name};`,
      `  if (h.lite.bvalid) h.lite.bresp = ${L.bresp ? `t->${L.bresp.name}` : '0'};`,
      `  h.lite.rvalid = t->${L.rvalid!.name};`,
      '  if (h.lite.rvalid) {',
      `    h.lite.rdata = t->${L.rdata!.name};`,
      `    h.lite.rresp = ${L.rresp ? `t->${L.rresp.name}` : '0'};`,
      '  }',
    );
  }

  if (ifc.axi) {
    const A = ifc.axi.ports;
    const bits = ifc.axi.dataBits;
    const sizeLog2 = Math.log2(bits / 8);
    const drivenAxi = new Set(['arready', 'rvalid', 'rdata', 'rresp', 'rlast', 'awready', 'wready', 'bvalid', 'bresp']);
    const mem = [
      setScalar(A.arready!.name, 'h.mem.arready'),
      setScalar(A.rvalid!.name, 'h.mem.rvalid'),
      `  if (h.mem.rvalid) put_port(t->${A.rdata!.name}, h.mem.rdata.data(), ${bits});`,
      setScalar(A.awready!.name, 'h.mem.awready'),
      setScalar(A.wready!.name, 'h.mem.wready'),
      setScalar(A.bvalid!.name, 'h.mem.bvalid'),
    ];
    if (A.rresp) mem.push(setScalar(A.rresp!.name, 'h.mem.rresp'));
    if (A.rlast) mem.push(setScalar(A.rlast!.name, 'h.mem.rlast'));
    if (A.bresp) mem.push(setScalar(A.bresp!.name, 'h.mem.bresp'));
    drive.push('  if (h.mem.dirty) {', '  h.mem.dirty = false;', ...mem, '  }');
    for (const [suffix, p] of Object.entries(A)) if (p.direction === 'input' && !drivenAxi.has(suffix)) tie.push(`  t->${p.name} = 0;`);
    const opt = (suffix: string, fallback: string): string => (A[suffix] ? `t->${A[suffix].name}` : fallback);
    const port = (suffix: string): string => `t->${A[suffix]!.name}`;
    // Address and data fields are read only while their valid is high: nothing looks at them otherwise.
    const sampleAddress = (ch: 'ar' | 'aw'): string[] => [
      `  h.mem.${ch}valid = ${port(`${ch}valid`)};`,
      `  if (h.mem.${ch}valid) {`,
      `    h.mem.${ch}addr = ${port(`${ch}addr`)};`,
      `    h.mem.${ch}len = ${opt(`${ch}len`, '0')};`,
      `    h.mem.${ch}size = ${opt(`${ch}size`, String(sizeLog2))};`,
      `    h.mem.${ch}burst = ${opt(`${ch}burst`, '1')};`,
      '  }',
    ];
    sample.push(
      ...sampleAddress('ar'),
      `  h.mem.rready = ${port('rready')};`,
      ...sampleAddress('aw'),
      `  h.mem.wvalid = ${port('wvalid')};`,
      '  if (h.mem.wvalid) {',
      `    get_port(${port('wdata')}, h.mem.wdata, ${bits});`,
      A.wstrb ? `    get_port(${port('wstrb')}, h.mem.wstrb, ${bits / 8});` : '    std::memset(h.mem.wstrb, 0xff, h.mem.strb_bytes);',
      `    h.mem.wlast = ${A.wlast ? port('wlast') : 'h.mem.expected_wlast()'};`,
      '  }',
      `  h.mem.bready = ${port('bready')};`,
    );
  }

  const frame = framing(ifc.driven);
  const digest = ifc.observed.map((p) => `  h = fnv1a(h, reinterpret_cast<const uint8_t*>(${portAddress(p)}), ${portBytes(p.width)});`);

  const names = (list: StreamPorts[]): string => list.map((s) => `{${JSON.stringify(s.name)}, ${s.width}}`).join(', ');

  return `// Generated by sparsegrad sim/harness/testbench.ts for top ${top}. Do not edit.
#include "${cls}.h"
#include "tb_runtime.h"

namespace tb {

const Design kDesign = {
  /*inputs*/ {${names(ifc.inputs)}},
  /*outputs*/ {${names(ifc.outputs)}},
};
constexpr bool kHasLite = ${ifc.lite ? 'true' : 'false'};
constexpr int kAxiDataBits = ${ifc.axi ? ifc.axi.dataBits : 0};

void tie_off(${cls}* t) {
${tie.join('\n')}
}

TB_HOT void set_reset(${cls}* t, bool in_reset) { t->${ifc.reset} = in_reset ? ${ifc.resetActiveLow ? '0 : 1' : '1 : 0'}; }
TB_HOT void set_clock(${cls}* t, bool high) { t->${ifc.clock} = high ? 1 : 0; }

TB_HOT void drive_lite(${cls}* t, Harness& h) {
${driveLite.join('\n')}
}

TB_HOT void drive(${cls}* t, Harness& h) {
${drive.join('\n')}
  drive_lite(t, h);
}

TB_HOT void sample_lite(${cls}* t, Harness& h) {
${sampleLite.join('\n')}
}

TB_HOT void sample(${cls}* t, Harness& h) {
${sample.join('\n')}
  sample_lite(t, h);
}

// Replay frames (tb_main.h: \`record\` job key, --replay): every input but the clock.
constexpr size_t kFrameBytes = ${frame.bytes};
TB_HOT void record_inputs(${cls}* t, uint8_t* f) {
${frame.record.join('\n')}
}
TB_HOT void replay_inputs(${cls}* t, const uint8_t* f) {
${frame.replay.join('\n')}
}
// Every output, hashed: a replay that reproduced its job ends on the same digest.
uint64_t outputs_digest(${cls}* t) {
  uint64_t h = kFnvBasis;
${digest.join('\n')}
  return h;
}

}  // namespace tb

#include "tb_main.h"

int main(int argc, char** argv) { return tb::tb_main<${cls}>(argc, argv); }
`;
}
