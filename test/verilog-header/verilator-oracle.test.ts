/**
 * The parser's evaluation of parameters and port widths checked against
 * Verilator's own elaboration (`--xml-only`) on randomly generated headers:
 * expressions mixing every operator and sized literals, ANSI and non-ANSI
 * styles, signed and unsigned ports, localparams depending on parameters.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { parseVerilogHeaders } from '../../generator/verilog-header/index.ts';
import { runTool } from '../../toolchain/index.ts';
import { testSeed } from './seed.ts';

/** Constant expressions over the given parameters that never divide by zero. */
const exprOver = (names: string[]): fc.Arbitrary<string> => fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...names),
    fc.integer({ min: 0, max: 40 }).map(String),
    fc.tuple(fc.integer({ min: 2, max: 9 }), fc.integer({ min: 0, max: 511 }), fc.constantFrom("'d", "'h", "'b", "'sd", "'sh")).map(([w, v, b]) => {
      const digits = b.endsWith('h') ? (v % (1 << w)).toString(16) : b.endsWith('b') ? (v % (1 << w)).toString(2) : String(v % (1 << (w - (b.includes('s') ? 1 : 0))));
      return `${w}${b}${digits}`;
    }),
    fc.tuple(tie('e'), fc.constantFrom('+', '-', '*', '&', '|', '^', '<', '>=', '==', '!=', '&&', '||'), tie('e')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc.tuple(tie('e'), fc.constantFrom('/', '%'), tie('e')).map(([a, op, b]) => `(${a} ${op} ((${b}) | 1))`),
    fc.tuple(tie('e'), fc.constantFrom('<<', '>>', '>>>'), fc.integer({ min: 0, max: 5 })).map(([a, op, n]) => `(${a} ${op} ${n})`),
    // Only whole-width bases: Verilator 5.006 sizes the base of ** as self-determined, where
    // IEEE 1364-2005 (table 5-22) and Icarus make it context-determined (-(1'b1) ** 1 % 24 is 1 vs 15).
    fc.tuple(fc.constantFrom(...names, '3', '7'), fc.integer({ min: 0, max: 3 })).map(([a, n]) => `(${a} ** ${n})`),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([c, a, b]) => `(${c} ? ${a} : ${b})`),
    tie('e').map((a) => `$clog2(${a})`),
    fc.tuple(fc.constantFrom('-', '~', '!', '&', '|', '^'), tie('e')).map(([op, a]) => `${op}(${a})`),
  ),
})).e;
const exprArb = exprOver(['A', 'B', 'C', 'L']);

interface GeneratedModule {
  text: string;
  name: string;
}

function moduleArb(index: number): fc.Arbitrary<GeneratedModule> {
  const port = fc.record({
    dir: fc.constantFrom('input', 'output'),
    kind: fc.constantFrom('wire', 'reg', ''),
    signed: fc.boolean(),
    // Widths from 1 to 24 bits, never zero or negative, whatever the expression gives.
    msb: exprArb.map((e) => `((${e}) % 24 + 24) % 24`),
    lsbZero: fc.boolean(),
  });
  return fc
    .record({
      values: fc.tuple(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), exprOver(['A', 'B'])),
      local: exprOver(['A', 'B', 'C']),
      ports: fc.array(port, { minLength: 1, maxLength: 4 }),
      ansi: fc.boolean(),
    })
    .map(({ values, local, ports, ansi }) => {
      const name = `gen${index}`;
      const range = (p: (typeof ports)[number]) => (p.lsbZero ? `[${p.msb}:0]` : `[0:${p.msb}]`);
      const kindFor = (p: (typeof ports)[number]) => (p.dir === 'input' && p.kind === 'reg' ? 'wire' : p.kind);
      const decl = (p: (typeof ports)[number], i: number) =>
        `${p.dir} ${kindFor(p)} ${p.signed ? 'signed ' : ''}${range(p)} p${i}`.replace(/\s+/g, ' ');
      const params = `#(parameter A = ${values[0]}, B = ${values[1]}, parameter C = ${values[2]})`;
      const text = ansi
        ? `module ${name} ${params} (\n  ${ports.map(decl).join(',\n  ')}\n);\n  localparam L = ${local};\nendmodule\n`
        : `module ${name} ${params} (${ports.map((_, i) => `p${i}`).join(', ')});\n  localparam L = ${local};\n${ports.map((p, i) => `  ${decl(p, i)};\n`).join('')}endmodule\n`;
      return { text, name };
    });
}

interface XmlPort {
  dir: string;
  left: number;
  right: number;
  signed: boolean;
}

/** Ports and parameter constants of every module in Verilator's XML. */
function readXml(xml: string): Map<string, { ports: Map<string, XmlPort>; params: Map<string, { width: number; value: bigint }> }> {
  const dtypes = new Map<string, { left: number; right: number; signed: boolean }>();
  for (const m of xml.matchAll(/<basicdtype [^>]*id="(\d+)"[^>]*>/g)) {
    const tag = m[0];
    const left = /left="(-?\d+)"/.exec(tag);
    const right = /right="(-?\d+)"/.exec(tag);
    dtypes.set(m[1]!, { left: left ? Number(left[1]) : 0, right: right ? Number(right[1]) : 0, signed: /signed="true"/.test(tag) });
  }
  const out = new Map<string, { ports: Map<string, XmlPort>; params: Map<string, { width: number; value: bigint }> }>();
  for (const mod of xml.matchAll(/<module [^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/module>/g)) {
    const ports = new Map<string, XmlPort>();
    const params = new Map<string, { width: number; value: bigint }>();
    for (const v of mod[2]!.matchAll(/<var [^>]*name="([^"]+)" dtype_id="(\d+)"([^>]*)>(\s*<const [^>]*name="([^"]+)")?/g)) {
      const attrs = v[3]!;
      const dir = /dir="(\w+)"/.exec(attrs);
      if (dir) ports.set(v[1]!, { dir: dir[1]!, ...dtypes.get(v[2]!)! });
      if (/param="true"/.test(attrs) && v[5]) {
        const c = /^(\d+)&apos;s?h([0-9a-f]+)$/.exec(v[5]);
        if (c) params.set(v[1]!, { width: Number(c[1]), value: BigInt(`0x${c[2]}`) });
      }
    }
    out.set(mod[1]!, { ports, params });
  }
  return out;
}

describe('verilog-header: agreement with Verilator elaboration', () => {
  it('evaluates parameters and port ranges of random headers exactly as Verilator does', async function () {
    const seed = testSeed('random headers');
    const modules = Array.from({ length: 40 }, (_, i) => fc.sample(moduleArb(i), { seed: seed + i, numRuns: 1 })[0]!);
    const text = modules.map((m) => m.text).join('\n');
    const dir = mkdtempSync(join(tmpdir(), 'sparsegrad-vh-'));
    try {
      const file = join(dir, 'gen.v');
      writeFileSync(file, text);
      const r = await runTool('verilator', ['--xml-only', '-Wno-fatal', '-Wno-lint', '-Wno-style', '-Wno-MULTITOP', '--xml-output', join(dir, 'gen.xml'), file]);
      assert.equal(r.exitCode, 0, `verilator rejected the generated file:\n${String(r.all)}\n${text}`);
      const xml = readXml(readFileSync(join(dir, 'gen.xml'), 'utf8'));
      const headers = parseVerilogHeaders(text, file);
      let compared = 0;
      assert.equal(headers.length, modules.length);
      for (const h of headers) {
        const want = xml.get(h.name);
        assert.ok(want, `Verilator has no module ${h.name}`);
        const ctx = `module ${h.name} (seed ${seed}):\n${modules.find((m) => m.name === h.name)!.text}`;
        for (const p of h.ports) {
          const w: XmlPort | undefined = want.ports.get(p.name);
          assert.ok(w, `Verilator has no port ${p.name} in ${ctx}`);
          assert.deepEqual({ dir: p.direction, msb: p.msb, lsb: p.lsb, signed: p.signed }, { dir: w.dir, msb: w.left, lsb: w.right, signed: w.signed }, `port ${p.name} of ${ctx}`);
        }
        compared += h.ports.length;
        for (const p of h.parameters) {
          const w: { width: number; value: bigint } | undefined = want.params.get(p.name);
          if (!w) continue;
          compared++;
          assert.equal(p.width, w.width, `width of parameter ${p.name} of ${ctx}`);
          assert.equal(BigInt.asUintN(w.width, p.bigValue!), w.value, `value of parameter ${p.name} of ${ctx}`);
        }
      }
      assert.ok(compared > modules.length, 'the XML reading found ports and parameters to compare');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Yosys's simulation models of vendor primitives: real headers that Verilator also accepts. */
const VENDOR_LIBRARIES = ['xilinx', 'nexus', 'machxo2', 'anlogic', 'efinix'].map((v) => `/usr/share/yosys/${v}/cells_sim.v`);

describe('verilog-header: vendor primitive libraries', () => {
  for (const lib of VENDOR_LIBRARIES) {
    it(`reads the modules of ${lib} as Verilator elaborates them`, async function () {
      if (!existsSync(lib)) this.skip();
      const dir = mkdtempSync(join(tmpdir(), 'sparsegrad-vh-lib-'));
      try {
        const r = await runTool('verilator', ['--xml-only', '-Wno-fatal', '-Wno-lint', '-Wno-style', '-Wno-MULTITOP', `-I${dirname(lib)}`, '--xml-output', join(dir, 'lib.xml'), lib]);
        assert.equal(r.exitCode, 0, String(r.all));
        const xml = readXml(readFileSync(join(dir, 'lib.xml'), 'utf8'));
        const headers = parseVerilogHeaders(readFileSync(lib, 'utf8'), lib);
        let ports = 0;
        let modules = 0;
        for (const h of headers) {
          // Verilator lists a module under its own name only when it elaborates it with
          // default parameters (as a top); modules only instantiated inside others are skipped.
          const want = xml.get(h.name);
          if (!want) continue;
          modules++;
          for (const p of h.ports) {
            const w: XmlPort | undefined = want.ports.get(p.name);
            assert.ok(w, `Verilator has no port ${h.name}.${p.name}`);
            assert.deepEqual({ dir: p.direction, msb: p.msb, lsb: p.lsb, signed: p.signed }, { dir: w.dir, msb: w.left, lsb: w.right, signed: w.signed }, `${h.name}.${p.name} (${lib}:${p.line})`);
            ports++;
          }
          for (const p of h.parameters) {
            const w: { width: number; value: bigint } | undefined = want.params.get(p.name);
            if (!w || p.bigValue === undefined) continue;
            assert.equal(BigInt.asUintN(w.width, p.bigValue), w.value, `parameter ${h.name}.${p.name} (${lib}:${p.line})`);
          }
        }
        assert.ok(modules >= Math.min(5, headers.length / 2), `${modules} of ${headers.length} modules compared`);
        assert.ok(ports > modules);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
