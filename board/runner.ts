/**
 * A simulation job (sim/harness/job.ts), the engine driver's own description of a
 * run, executed on a board over its link: memory loaded word by word, the AXI4-Lite
 * script run as register requests, the input streams pushed and the result stream
 * pulled while the script waits for DONE, memory dumped at the end. The SimResult it
 * returns is decoded and compared by the same code as cosim's (sim/engine/).
 *
 * What a board cannot report is left empty: cycles (the engine's own CYCLES_BUSY
 * counter is read by the script as always), the harness's protocol monitors (the
 * board has none; AXIL-EXPECT failures are reported as violations as the harness does).
 */
import { EXIT, UserError } from '../util/errors.ts';
import { MEM_WORD_BYTES } from '../generator/boards/icebreaker/protocol.ts';
import type { SimJob, SimResult } from '../sim/harness/job.ts';
import type { Violation } from '../sim/harness/rules.ts';
import { beatStride } from '../sim/engine/pack.ts';
import type { BoardInfo, BoardLink } from './protocol.ts';

/** Polls of a waiting script step without any progress before the engine counts as hung. */
const HUNG_POLLS = 200;

export interface BoardProgress {
  (what: string): void;
}

function beatsOf(bytes: Uint8Array | undefined, dataBytes: number): { data: Uint8Array; last: boolean }[] {
  if (!bytes) return [];
  const stride = dataBytes + 1;
  const out: { data: Uint8Array; last: boolean }[] = [];
  for (let at = 0; at + stride <= bytes.length; at += stride) out.push({ data: bytes.subarray(at, at + dataBytes), last: (bytes[at + dataBytes]! & 1) === 1 });
  return out;
}

export async function loadMemory(link: BoardLink, info: BoardInfo, base: number, data: Uint8Array): Promise<void> {
  checkRegion(info, base, data.length);
  for (let at = 0; at < data.length; at += MEM_WORD_BYTES) {
    const word = new Uint8Array(MEM_WORD_BYTES);
    word.set(data.subarray(at, at + MEM_WORD_BYTES));
    await link.writeWord((base + at) / MEM_WORD_BYTES, word);
  }
}

export async function dumpMemory(link: BoardLink, info: BoardInfo, base: number, bytes: number): Promise<Uint8Array> {
  checkRegion(info, base, bytes);
  const out = new Uint8Array(Math.ceil(bytes / MEM_WORD_BYTES) * MEM_WORD_BYTES);
  for (let at = 0; at < bytes; at += MEM_WORD_BYTES) out.set(await link.readWord((base + at) / MEM_WORD_BYTES), at);
  return out.subarray(0, bytes);
}

function checkRegion(info: BoardInfo, base: number, bytes: number): void {
  const size = info.memWords * MEM_WORD_BYTES;
  if (base % MEM_WORD_BYTES !== 0) throw new UserError(`memory region at 0x${base.toString(16)} is not ${MEM_WORD_BYTES}-byte aligned`);
  if (base + bytes > size) {
    throw new UserError(`the layer needs memory up to 0x${(base + bytes).toString(16)} but the board's SPRAM holds ${size / 1024} KiB; use a smaller layer (fewer rows or columns)`);
  }
}

export async function runOnBoard(link: BoardLink, info: BoardInfo, job: SimJob, progress?: BoardProgress): Promise<SimResult> {
  const started = performance.now();
  for (const [name, bytes] of Object.entries(job.inputs)) {
    const want = name === 'grad' ? info.gradBytes : name === 'act' ? info.actBytes : -1;
    if (want < 0) throw new UserError(`the board has no input stream ${name}`);
    if (bytes.length % beatStride(8 * want) !== 0) throw new UserError(`stream ${name}: ${bytes.length} bytes is not a whole number of ${want}-byte beats`);
  }
  for (const l of job.memory.load) {
    progress?.(`loading ${l.data.length} bytes at 0x${l.base.toString(16)}`);
    await loadMemory(link, info, l.base, l.data);
  }
  const queues = {
    grad: beatsOf(job.inputs.grad, info.gradBytes),
    act: beatsOf(job.inputs.act, info.actBytes),
  };
  const taken = { grad: 0, act: 0 };
  const res: Uint8Array[] = [];
  const reads: SimResult['reads'] = [];
  const violations: Violation[] = [];
  const pokes: SimResult['pokes'] = [];

  /** One round of stream traffic; whether anything moved. */
  const pump = async (): Promise<boolean> => {
    let moved = false;
    for (const s of ['act', 'grad'] as const) {
      const q = queues[s];
      if (taken[s] < q.length && (await link.push(s, q[taken[s]]!.data, q[taken[s]]!.last))) {
        taken[s]++;
        moved = true;
      }
    }
    const beat = await link.pull(info.resBytes);
    if (beat) {
      const b = new Uint8Array(info.resBytes + 1);
      b.set(beat.data);
      b[info.resBytes] = beat.last ? 1 : 0;
      res.push(b);
      moved = true;
    }
    return moved;
  };

  for (const [i, c] of job.script.entries()) {
    switch (c.op) {
      case 'write':
        await link.writeReg(c.addr, c.data);
        break;
      case 'poke': {
        const resp = await link.writeReg(c.addr, c.data);
        pokes.push({ addr: c.addr, data: c.data, cycle: 0, resp, bCycle: 0 });
        break;
      }
      case 'read':
        reads.push({ addr: c.addr, data: (await link.readReg(c.addr)).data, cycle: 0 });
        break;
      case 'expect': {
        const got = (await link.readReg(c.addr)).data;
        if (((got & c.mask) >>> 0) !== c.value >>> 0) {
          violations.push({ rule: 'AXIL-EXPECT', ref: 'engine contract', channel: 's_axil_r', cycle: 0, detail: `read 0x${c.addr.toString(16)} = 0x${got.toString(16)}, expected 0x${c.value.toString(16)} under mask 0x${c.mask.toString(16)}` });
        }
        break;
      }
      case 'idle':
        break;
      case 'wait': {
        progress?.(`script step ${i + 1}/${job.script.length}: waiting for the engine`);
        for (let idle = 0; ; ) {
          const moved = await pump();
          const v = (await link.readReg(c.addr)).data;
          if (((v & c.mask) >>> 0) === c.value >>> 0 && !moved) break;
          idle = moved ? 0 : idle + 1;
          if (idle > HUNG_POLLS) {
            throw new UserError(`${link.label}: the engine made no progress for ${HUNG_POLLS} polls at script step ${i + 1} (register 0x${c.addr.toString(16)} = 0x${v.toString(16)}; grad ${taken.grad}/${queues.grad.length}, act ${taken.act}/${queues.act.length} beats taken, ${res.length} result beats)`, EXIT.designFailure);
          }
        }
        break;
      }
    }
  }
  const dumps: Record<string, Uint8Array> = {};
  for (const d of job.memory.dump) {
    progress?.(`reading ${d.bytes} bytes of ${d.name} back`);
    dumps[d.name] = await dumpMemory(link, info, d.base, d.bytes);
  }
  const outputs: Record<string, Uint8Array> = {};
  const total = res.reduce((n, b) => n + b.length, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const b of res) {
    all.set(b, at);
    at += b.length;
  }
  outputs.res = all;
  return {
    outputs,
    reads,
    outputCycles: { res: res.map(() => 0) },
    writeBursts: [],
    dumps,
    cycles: 0,
    timedOut: false,
    violations,
    violationCount: violations.length,
    protocolErrors: [],
    pokes,
    streams: {
      grad: { beats: taken.grad, stallCycles: 0 },
      act: { beats: taken.act, stallCycles: 0 },
      res: { beats: res.length, stallCycles: 0 },
    },
    memory: { readBursts: 0, readBeats: 0, writeBursts: 0, writeBeats: 0, maxOutstandingReads: 0 },
    simSeconds: (performance.now() - started) / 1000,
    simCpuSeconds: 0,
    loopCycles: 0,
    outputsDigest: '',
  };
}
