/**
 * The bus and stream rules a module's formal wrapper checks on its AXI ports:
 * asserted on what the module drives, assumed on what its neighbours drive.
 *
 * This is the one place that knows the rules. Port groups are found from
 * today's port naming (`s_axis_<n>_*`, `m_axis_<n>_*`, `m_axi_*`, `s_axil_*`);
 * when typed interfaces land, `portGroups` is the only function to replace.
 * Rule references are to the AMBA AXI and ACE specification (IHI 0022E, "AXI")
 * and the AMBA 4 AXI4-Stream specification (IHI 0051A, "AXIS").
 */
import type { SourceLoc } from '../core/loc.ts';
import type { PropertyKind } from '../core/formal.ts';

export interface RulePort {
  readonly name: string;
  readonly direction: 'input' | 'output';
  readonly width: number;
  readonly loc: SourceLoc;
}

/** One check of the wrapper, in Verilog over the wrapper's names. */
export interface RuleCheck {
  readonly kind: PropertyKind;
  readonly cond: string;
  /** What must hold, and the specification rule it comes from. */
  readonly message: string;
  readonly loc: SourceLoc;
  /** Checked in reset too (the reset rules); every other check skips reset cycles. */
  readonly inReset?: boolean;
}

export interface RuleSet {
  /** Declarations and clocked bookkeeping the checks read (wrapper-only state). */
  readonly decls: string[];
  readonly checks: RuleCheck[];
  /** The port groups found, for the report (e.g. `m_axi (AXI4 master)`). */
  readonly groups: string[];
}

/** Wrapper names the rules may use: the clock, the reset (active high) and the reset one cycle ago. */
export interface RuleContext {
  readonly clock: string;
  readonly rst: string;
  readonly rstPast: string;
  /** The module's declared limits (manifest parameters), e.g. maxOutstanding. */
  readonly params: Readonly<Record<string, string | number | boolean>>;
}

interface Channel {
  /** Port prefix, e.g. `m_axi_ar`, `s_axis_grad_t`. */
  readonly prefix: string;
  readonly label: string;
  readonly valid: RulePort;
  readonly ready?: RulePort;
  readonly payload: RulePort[];
  /** The module drives VALID (rules asserted) or its neighbour does (rules assumed). */
  readonly driven: boolean;
  readonly rule: string;
}

type PortGroupKind = 'axi4-master' | 'axi4-lite-slave' | 'axis-source' | 'axis-sink';
interface PortGroup {
  readonly kind: PortGroupKind;
  readonly prefix: string;
  readonly ports: Map<string, RulePort>;
}

/** AXI port groups of a module, from today's port naming. */
export function portGroups(ports: readonly RulePort[]): PortGroup[] {
  const groups = new Map<string, PortGroup>();
  const add = (kind: PortGroupKind, prefix: string, field: string, p: RulePort): void => {
    let g = groups.get(prefix);
    if (!g) groups.set(prefix, (g = { kind, prefix, ports: new Map() }));
    g.ports.set(field, p);
  };
  for (const p of ports) {
    let m: RegExpExecArray | null;
    if ((m = /^(s_axis_[a-z0-9]+)_(t[a-z]+)$/.exec(p.name))) add('axis-sink', m[1]!, m[2]!, p);
    else if ((m = /^(m_axis_[a-z0-9]+)_(t[a-z]+)$/.exec(p.name))) add('axis-source', m[1]!, m[2]!, p);
    else if ((m = /^(m_axi)_([a-z]+)$/.exec(p.name))) add('axi4-master', m[1]!, m[2]!, p);
    else if ((m = /^(s_axil)_([a-z]+)$/.exec(p.name))) add('axi4-lite-slave', m[1]!, m[2]!, p);
  }
  return [...groups.values()];
}

const GROUP_LABEL: Record<PortGroupKind, string> = {
  'axi4-master': 'AXI4 master',
  'axi4-lite-slave': 'AXI4-Lite slave',
  'axis-source': 'AXI4-Stream source',
  'axis-sink': 'AXI4-Stream sink',
};

/** Channels of a group: `names` are the field names of VALID, READY and the payload. */
function channel(g: PortGroup, ch: string, label: string, fields: string[], driven: boolean, rule: string): Channel | undefined {
  const valid = g.ports.get(`${ch}valid`);
  if (!valid) return undefined;
  const payload = fields.map((f) => g.ports.get(`${ch}${f}`)).filter((p): p is RulePort => p !== undefined);
  return { prefix: `${g.prefix}_${ch}`, label, valid, ready: g.ports.get(`${ch}ready`), payload, driven, rule };
}

function channelsOf(g: PortGroup): Channel[] {
  const list: (Channel | undefined)[] = [];
  if (g.kind === 'axis-sink' || g.kind === 'axis-source') {
    list.push(channel(g, 't', g.prefix, ['data', 'last', 'strb', 'keep', 'user', 'id', 'dest'], g.kind === 'axis-source', 'AXIS 2.2.1'));
  } else {
    const master = g.kind === 'axi4-master';
    const addr = ['addr', 'len', 'size', 'burst', 'prot', 'id', 'lock', 'cache', 'qos'];
    list.push(
      channel(g, 'ar', `${g.prefix} AR`, addr, master, 'AXI A3.2.1'),
      channel(g, 'aw', `${g.prefix} AW`, addr, master, 'AXI A3.2.1'),
      channel(g, 'w', `${g.prefix} W`, ['data', 'strb', 'last'], master, 'AXI A3.2.1'),
      channel(g, 'r', `${g.prefix} R`, ['data', 'resp', 'last', 'id'], !master, 'AXI A3.2.1'),
      channel(g, 'b', `${g.prefix} B`, ['resp', 'id'], !master, 'AXI A3.2.1'),
    );
  }
  return list.filter((c): c is Channel => c !== undefined);
}

/** Every rule for every AXI port group of a module. */
export function axiRules(ports: readonly RulePort[], ctx: RuleContext): RuleSet {
  const out: RuleSet = { decls: [], checks: [], groups: [] };
  for (const g of portGroups(ports)) {
    out.groups.push(`${g.prefix} (${GROUP_LABEL[g.kind]})`);
    for (const c of channelsOf(g)) handshakeRules(c, ctx, out);
    if (g.kind === 'axi4-master') masterRules(g, ctx, out);
    if (g.kind === 'axi4-lite-slave') liteRules(g, ctx, out);
  }
  return out;
}

const fire = (c: Channel): string => (c.ready ? `(${c.valid.name} && ${c.ready.name})` : c.valid.name);

/** Every channel: VALID held until the handshake, payload stable meanwhile, no VALID in or just out of reset. */
function handshakeRules(c: Channel, ctx: RuleContext, out: RuleSet): void {
  const kind: PropertyKind = c.driven ? 'assert' : 'assume';
  const id = `_f_${c.prefix}`;
  out.checks.push({
    kind,
    inReset: true,
    cond: `!${ctx.rstPast} || !${c.valid.name}`,
    message: `${c.label}: VALID low in reset (after its first clock edge) and in the first cycle after it (${c.driven ? 'AXI A3.1.2' : 'AXI A3.1.2, of the neighbour'})`,
    loc: c.valid.loc,
  });
  if (!c.ready) return;
  // Non-vacuity: assumptions that ruled out every handshake would make each assertion above hold trivially.
  out.checks.push({
    kind: 'cover',
    cond: fire(c),
    message: `${c.label}: a handshake can happen (the assumptions leave the channel live)`,
    loc: c.valid.loc,
  });
  const pay = c.payload;
  const payWidth = pay.reduce((n, p) => n + p.width, 0);
  out.decls.push(
    `  reg ${id}_stalled = 1'b0;`,
    ...(payWidth ? [`  reg [${payWidth - 1}:0] ${id}_held;`] : []),
    `  always @(posedge ${ctx.clock}) begin`,
    `    ${id}_stalled <= !${ctx.rst} && ${c.valid.name} && !${c.ready.name};`,
    ...(payWidth ? [`    ${id}_held <= {${pay.map((p) => p.name).join(', ')}};`] : []),
    '  end',
  );
  out.checks.push({
    kind,
    cond: `!${id}_stalled || ${c.valid.name}`,
    message: `${c.label}: once VALID is high it stays high until READY (${c.rule})`,
    loc: c.valid.loc,
  });
  if (payWidth) {
    out.checks.push({
      kind,
      cond: `!${id}_stalled || {${pay.map((p) => p.name).join(', ')}} == ${id}_held`,
      message: `${c.label}: ${pay.map((p) => p.name.slice(c.prefix.length)).join(', ')} stable while VALID && !READY (${c.rule})`,
      loc: c.valid.loc,
    });
  }
}

const log2 = (n: number): number => Math.round(Math.log2(n));

/** A small counter of handshakes: `up` adds one, `down` takes one. */
function counter(out: RuleSet, ctx: RuleContext, name: string, bits: number, up: string, down: string): void {
  out.decls.push(
    `  reg [${bits - 1}:0] ${name} = ${bits}'d0;`,
    `  always @(posedge ${ctx.clock})`,
    `    if (${ctx.rst}) ${name} <= ${bits}'d0;`,
    `    else ${name} <= ${name} + (${up} ? ${bits}'d1 : ${bits}'d0) - (${down} ? ${bits}'d1 : ${bits}'d0);`,
  );
}

/**
 * A queue of burst lengths (AR or AW accepted, in order) and the beat number
 * inside the burst at its head, so the data channel's LAST can be checked
 * against LEN. `depth` bounds the bursts in flight the wrapper can follow.
 */
function burstTracker(out: RuleSet, ctx: RuleContext, name: string, depth: number, push: string, len: string, beat: string, lastBeat: string): { count: string; headLen: string; beatNo: string } {
  const pw = log2(depth);
  out.decls.push(
    `  reg [7:0] ${name}_len [0:${depth - 1}];`,
    `  reg [${pw - 1}:0] ${name}_wp = ${pw}'d0, ${name}_rp = ${pw}'d0;`,
    `  reg [${pw}:0] ${name}_n = ${pw + 1}'d0;`,
    `  reg [7:0] ${name}_beat = 8'd0;`,
    `  always @(posedge ${ctx.clock}) begin`,
    `    if (${ctx.rst}) begin`,
    `      ${name}_wp <= ${pw}'d0; ${name}_rp <= ${pw}'d0; ${name}_n <= ${pw + 1}'d0; ${name}_beat <= 8'd0;`,
    '    end else begin',
    `      if (${push}) begin ${name}_len[${name}_wp] <= ${len}; ${name}_wp <= ${name}_wp + ${pw}'d1; end`,
    `      if (${beat}) ${name}_beat <= ${lastBeat} ? 8'd0 : ${name}_beat + 8'd1;`,
    `      if (${beat} && ${lastBeat}) ${name}_rp <= ${name}_rp + ${pw}'d1;`,
    `      ${name}_n <= ${name}_n + (${push} ? ${pw + 1}'d1 : ${pw + 1}'d0) - (${beat} && ${lastBeat} ? ${pw + 1}'d1 : ${pw + 1}'d0);`,
    '    end',
    '  end',
  );
  return { count: `${name}_n`, headLen: `${name}_len[${name}_rp]`, beatNo: `${name}_beat` };
}

function masterRules(g: PortGroup, ctx: RuleContext, out: RuleSet): void {
  const P = (f: string): RulePort | undefined => g.ports.get(f);
  const rdata = P('rdata') ?? P('wdata');
  if (!rdata) return;
  const busBytes = rdata.width / 8;
  // Read bursts in flight the design declares: maxReadBursts when it counts bursts apart from
  // its outstanding rows (a row split at 4 KiB is two bursts), else maxOutstanding.
  const maxOut = Number(ctx.params.maxReadBursts ?? ctx.params.maxOutstanding ?? 0);
  for (const ch of ['ar', 'aw'] as const) {
    const valid = P(`${ch}valid`);
    const addr = P(`${ch}addr`);
    const len = P(`${ch}len`);
    if (!valid || !addr || !len) continue;
    const loc = valid.loc;
    const U = ch.toUpperCase();
    if (P(`${ch}burst`)) out.checks.push({ kind: 'assert', cond: `!${valid.name} || ${P(`${ch}burst`)!.name} == 2'b01`, message: `${g.prefix} ${U}: INCR bursts only (AXI A3.4.1; contract)`, loc });
    if (P(`${ch}size`)) out.checks.push({ kind: 'assert', cond: `!${valid.name} || ${P(`${ch}size`)!.name} == 3'd${log2(busBytes)}`, message: `${g.prefix} ${U}: SIZE is the bus width, ${busBytes} bytes (AXI A3.4.1; contract)`, loc });
    out.checks.push({ kind: 'assert', cond: `!${valid.name} || ${addr.name}[${log2(busBytes) - 1}:0] == ${log2(busBytes)}'d0`, message: `${g.prefix} ${U}: address aligned to the bus width (contract)`, loc });
    out.checks.push({
      kind: 'assert',
      cond: `!${valid.name} || {8'd0, ${addr.name}[11:0]} + ({12'd0, ${len.name}} + 20'd1) * 20'd${busBytes} <= 20'd4096`,
      message: `${g.prefix} ${U}: a burst does not cross a 4 KiB boundary (AXI A3.4.1)`,
      loc,
    });
  }
  const has = (...f: string[]): boolean => f.every((x) => g.ports.has(x));
  // Reads: R beats only for bursts asked for, RLAST on the LEN+1'th beat (assumed of the memory),
  // and never more bursts outstanding than the design declares (asserted).
  if (has('arvalid', 'arready', 'arlen', 'rvalid', 'rready', 'rlast')) {
    const depth = 2 ** Math.max(2, log2(2 ** Math.ceil(Math.log2(Math.max(maxOut, 1) + 1))));
    const arFire = `(${P('arvalid')!.name} && ${P('arready')!.name})`;
    const rFire = `(${P('rvalid')!.name} && ${P('rready')!.name})`;
    const t = burstTracker(out, ctx, `_f_${g.prefix}_rd`, depth, arFire, P('arlen')!.name, rFire, P('rlast')!.name);
    const rloc = P('rvalid')!.loc;
    out.checks.push({ kind: 'assume', cond: `!${P('rvalid')!.name} || ${t.count} != 0`, message: `${g.prefix} R: no R beat without an outstanding read burst (AXI A3.3.1, of the memory)`, loc: rloc });
    out.checks.push({ kind: 'assume', cond: `!${P('rvalid')!.name} || ${t.count} == 0 || ${P('rlast')!.name} == (${t.beatNo} == ${t.headLen})`, message: `${g.prefix} R: RLAST on the LEN+1'th beat of the burst and only there (AXI A3.4.1, of the memory)`, loc: rloc });
    if (maxOut > 0) {
      out.checks.push({ kind: 'assert', cond: `${t.count} <= ${maxOut}`, message: `${g.prefix} AR: at most ${maxOut} read bursts outstanding, as the design declares (contract)`, loc: P('arvalid')!.loc });
    }
  }
  // Writes: W follows its AW, WLAST exactly on the LEN+1'th beat, full strobes (asserted);
  // B only for a burst whose AW and last W were both accepted (assumed of the memory).
  if (has('awvalid', 'awready', 'awlen', 'wvalid', 'wready', 'wlast')) {
    const depth = 8;
    const awFire = `(${P('awvalid')!.name} && ${P('awready')!.name})`;
    const wFire = `(${P('wvalid')!.name} && ${P('wready')!.name})`;
    const t = burstTracker(out, ctx, `_f_${g.prefix}_wr`, depth, awFire, P('awlen')!.name, wFire, P('wlast')!.name);
    const wloc = P('wvalid')!.loc;
    const wv = P('wvalid')!.name;
    out.checks.push({ kind: 'assert', cond: `!${wv} || ${t.count} != 0`, message: `${g.prefix} W: a W beat only after its burst's AW (contract; the wrapper counts beats against AWLEN)`, loc: wloc });
    out.checks.push({ kind: 'assert', cond: `!${wv} || ${t.count} == 0 || ${P('wlast')!.name} == (${t.beatNo} == ${t.headLen})`, message: `${g.prefix} W: WLAST on the LEN+1'th beat of the burst and only there (AXI A3.4.1)`, loc: wloc });
    out.checks.push({ kind: 'assert', cond: `${t.count} < ${depth}`, message: `${g.prefix} AW: fewer than ${depth} write bursts ahead of their data (the depth the wrapper follows)`, loc: P('awvalid')!.loc });
    if (P('wstrb')) out.checks.push({ kind: 'assert', cond: `!${wv} || &${P('wstrb')!.name}`, message: `${g.prefix} W: full write strobes (contract)`, loc: wloc });
    if (has('bvalid', 'bready')) {
      const bFire = `(${P('bvalid')!.name} && ${P('bready')!.name})`;
      // Bursts whose AW was accepted and whose last W was accepted, minus B responses taken.
      counter(out, ctx, `_f_${g.prefix}_awb`, 5, awFire, bFire);
      counter(out, ctx, `_f_${g.prefix}_wb`, 5, `(${wFire} && ${P('wlast')!.name})`, bFire);
      out.checks.push({
        kind: 'assume',
        cond: `!${P('bvalid')!.name} || (_f_${g.prefix}_awb != 5'd0 && _f_${g.prefix}_wb != 5'd0)`,
        message: `${g.prefix} B: a write response only after the burst's AW and its last W (AXI A3.3.1, of the memory)`,
        loc: P('bvalid')!.loc,
      });
    }
  }
}

/** AXI4-Lite slave: a response only for a request accepted, at most one owed per direction. */
function liteRules(g: PortGroup, ctx: RuleContext, out: RuleSet): void {
  const P = (f: string): RulePort | undefined => g.ports.get(f);
  const has = (...f: string[]): boolean => f.every((x) => g.ports.has(x));
  if (has('awvalid', 'awready', 'wvalid', 'wready', 'bvalid', 'bready')) {
    const bFire = `(${P('bvalid')!.name} && ${P('bready')!.name})`;
    counter(out, ctx, `_f_${g.prefix}_aw`, 3, `(${P('awvalid')!.name} && ${P('awready')!.name})`, bFire);
    counter(out, ctx, `_f_${g.prefix}_w`, 3, `(${P('wvalid')!.name} && ${P('wready')!.name})`, bFire);
    const loc = P('bvalid')!.loc;
    out.checks.push({ kind: 'assert', cond: `!${P('bvalid')!.name} || (_f_${g.prefix}_aw != 3'd0 && _f_${g.prefix}_w != 3'd0)`, message: `${g.prefix} B: a write response only after the write's address and data were accepted (AXI A3.3.1)`, loc });
    out.checks.push({ kind: 'assert', cond: `_f_${g.prefix}_aw <= 3'd1 && _f_${g.prefix}_w <= 3'd1`, message: `${g.prefix} AW/W: at most one write accepted ahead of its response (contract: one transaction at a time)`, loc: P('awready')!.loc });
  }
  if (has('arvalid', 'arready', 'rvalid', 'rready')) {
    const rFire = `(${P('rvalid')!.name} && ${P('rready')!.name})`;
    counter(out, ctx, `_f_${g.prefix}_ar`, 3, `(${P('arvalid')!.name} && ${P('arready')!.name})`, rFire);
    out.checks.push({ kind: 'assert', cond: `!${P('rvalid')!.name} || _f_${g.prefix}_ar != 3'd0`, message: `${g.prefix} R: read data only after the read's address was accepted (AXI A3.3.1)`, loc: P('rvalid')!.loc });
    out.checks.push({ kind: 'assert', cond: `_f_${g.prefix}_ar <= 3'd1`, message: `${g.prefix} AR: at most one read accepted ahead of its data (contract: one transaction at a time)`, loc: P('arready')!.loc });
  }
}
