/**
 * The register map as a C header, and a minimal C99 driver (program a job,
 * START, poll DONE, read the counters), for the CPU that sits next to the
 * engine. Both come from the tables the generator builds the register block
 * from (REG, JOB_REGS, the STATUS/CTRL bits) and that the simulation driver
 * reads the counters in (COUNTER_READS), so the C names cannot drift from the
 * hardware.
 */
import { COUNTER_READS, CTRL_CLEAR_COUNTERS, CTRL_START, ENGINE_ID, JOB_REGS, MODE_DATA, MODE_WEIGHT, REG, STATUS_BUSY, STATUS_DONE } from '../engine/registers.ts';

/** STATUS is {ERROR, DONE, BUSY} from bit 0 up (generator/designs/regs.ts, docs/ARCHITECTURE.md). */
const STATUS_ERROR = 4;

export function cHeaderPath(top: string): string {
  return `c/${top}_regs.h`;
}

export function cDriverPaths(top: string): { header: string; source: string } {
  return { header: `c/${top}_driver.h`, source: `c/${top}_driver.c` };
}

function regName(addr: number): string {
  const e = Object.entries(REG).find(([, a]) => a === addr);
  if (!e) throw new Error(`no register at 0x${addr.toString(16)}`);
  return e[0];
}

function hex(n: number, digits = 2): string {
  return `0x${n.toString(16).toUpperCase().padStart(digits, '0')}u`;
}

function guard(path: string): string {
  return path.replace(/^.*\//, '').replace(/[^A-Za-z0-9]/g, '_').toUpperCase();
}

function prefix(top: string): string {
  return top.toUpperCase();
}

export function cRegisterHeader(top: string): string {
  const P = prefix(top);
  const g = guard(cHeaderPath(top));
  const width = Math.max(...Object.keys(REG).map((k) => k.length), 'ID_VALUE'.length, 'CTRL_CLEAR_COUNTERS'.length);
  const def = (name: string, value: string) => `#define ${P}_${name.padEnd(width)} ${value}`;
  return [
    `/* Register map of ${top}: AXI4-Lite, 32-bit registers, byte offsets from the engine's base address.`,
    ' * Written by `sparsegrad fpga` from the register table the generator builds the hardware from;',
    ' * docs/ARCHITECTURE.md ("Registers") says what each register does. */',
    `#ifndef ${g}`,
    `#define ${g}`,
    '',
    '/* Offsets */',
    ...Object.entries(REG).map(([name, addr]) => def(name, hex(addr))),
    '',
    '/* CTRL (write): START takes the job registers as they are; CLEAR_COUNTERS zeroes the counters. */',
    def('CTRL_START', hex(CTRL_START, 1)),
    def('CTRL_CLEAR_COUNTERS', hex(CTRL_CLEAR_COUNTERS, 1)),
    '/* STATUS (read): DONE and ERROR stay set until the next START. */',
    def('STATUS_BUSY', hex(STATUS_BUSY, 1)),
    def('STATUS_DONE', hex(STATUS_DONE, 1)),
    def('STATUS_ERROR', hex(STATUS_ERROR, 1)),
    '/* MODE */',
    def('MODE_DATA', hex(MODE_DATA, 1)),
    def('MODE_WEIGHT', hex(MODE_WEIGHT, 1)),
    '/* ID reads this ("SGBE") */',
    def('ID_VALUE', hex(ENGINE_ID, 8)),
    '',
    `#endif /* ${g} */`,
    '',
  ].join('\n');
}

function field(regKey: string): string {
  return regKey.toLowerCase();
}

export function cDriverHeader(top: string): string {
  const g = guard(cDriverPaths(top).header);
  const p = top;
  return [
    `/* Minimal driver of ${top}: one job at a time, by polling. Written by \`sparsegrad fpga\`.`,
    ' * base points at the engine\'s AXI4-Lite registers (e.g. a mapped physical address). */',
    `#ifndef ${g}`,
    `#define ${g}`,
    '',
    '#include <stdint.h>',
    '',
    `/* The job registers, written before every START (while BUSY the engine refuses writes). */`,
    `struct ${p}_job {`,
    ...JOB_REGS.map((a) => `  uint32_t ${field(regName(a))};`),
    '};',
    '',
    '/* The counters of one job (CLEAR_COUNTERS comes with every START). */',
    `struct ${p}_counters {`,
    ...COUNTER_READS.map((a) => `  uint32_t ${field(regName(a))};`),
    '};',
    '',
    `enum ${p}_result {`,
    `  ${prefix(p)}_OK = 0,`,
    `  ${prefix(p)}_NOT_FOUND = -1, /* ID is not the engine's */`,
    `  ${prefix(p)}_TIMEOUT = -2, /* no DONE within the polls allowed */`,
    `  ${prefix(p)}_BUS_ERROR = -3 /* DONE, but the job saw a non-OKAY response on its AXI master */`,
    '};',
    '',
    `int ${p}_probe(volatile uint32_t *base);`,
    `void ${p}_start(volatile uint32_t *base, const struct ${p}_job *job);`,
    `int ${p}_wait_done(volatile uint32_t *base, unsigned long max_polls);`,
    `void ${p}_read_counters(volatile uint32_t *base, struct ${p}_counters *out);`,
    `int ${p}_run(volatile uint32_t *base, const struct ${p}_job *job, struct ${p}_counters *out, unsigned long max_polls);`,
    '',
    `#endif /* ${g} */`,
    '',
  ].join('\n');
}

export function cDriverSource(top: string): string {
  const p = top;
  const P = prefix(top);
  const { header } = cDriverPaths(top);
  const reg = (a: number) => `${P}_${regName(a)}`;
  return [
    `/* Minimal driver of ${top}. Written by \`sparsegrad fpga\`; C99, no library beyond <stdint.h>. */`,
    `#include "${header.replace(/^c\//, '')}"`,
    `#include "${cHeaderPath(top).replace(/^c\//, '')}"`,
    '',
    '/* Registers are 32 bits wide at byte offsets; base is a word pointer. */',
    `static uint32_t rd(volatile uint32_t *base, uint32_t offset) { return base[offset / 4u]; }`,
    `static void wr(volatile uint32_t *base, uint32_t offset, uint32_t v) { base[offset / 4u] = v; }`,
    '',
    `int ${p}_probe(volatile uint32_t *base) {`,
    `  return rd(base, ${P}_ID) == ${P}_ID_VALUE ? ${P}_OK : ${P}_NOT_FOUND;`,
    '}',
    '',
    '/* Every job register is written, so nothing a previous job left behind leaks into this one. */',
    `void ${p}_start(volatile uint32_t *base, const struct ${p}_job *job) {`,
    ...JOB_REGS.map((a) => `  wr(base, ${reg(a)}, job->${field(regName(a))});`),
    `  wr(base, ${P}_CTRL, ${P}_CTRL_CLEAR_COUNTERS);`,
    `  wr(base, ${P}_CTRL, ${P}_CTRL_START);`,
    '}',
    '',
    '/* DONE is sticky until a START is taken. A bus that can pass a read ahead of an earlier write to the',
    ' * same device needs the platform\'s write barrier between start and wait_done, or the first poll may',
    ' * still see the previous job\'s DONE. */',
    `int ${p}_wait_done(volatile uint32_t *base, unsigned long max_polls) {`,
    '  unsigned long n;',
    '  for (n = 0; n < max_polls; n++) {',
    `    uint32_t status = rd(base, ${P}_STATUS);`,
    `    if (status & ${P}_STATUS_DONE) return (status & ${P}_STATUS_ERROR) ? ${P}_BUS_ERROR : ${P}_OK;`,
    '  }',
    `  return ${P}_TIMEOUT;`,
    '}',
    '',
    `void ${p}_read_counters(volatile uint32_t *base, struct ${p}_counters *out) {`,
    ...COUNTER_READS.map((a) => `  out->${field(regName(a))} = rd(base, ${reg(a)});`),
    '}',
    '',
    `int ${p}_run(volatile uint32_t *base, const struct ${p}_job *job, struct ${p}_counters *out, unsigned long max_polls) {`,
    '  int r;',
    `  if ((r = ${p}_probe(base)) != ${P}_OK) return r;`,
    `  ${p}_start(base, job);`,
    `  r = ${p}_wait_done(base, max_polls);`,
    `  if (r != ${P}_TIMEOUT) ${p}_read_counters(base, out);`,
    '  return r;',
    '}',
    '',
  ].join('\n');
}
