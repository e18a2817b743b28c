/**
 * The protocol rules the harness monitors, by the stable id the C++ side
 * (tb_runtime.h, tb_main.h) reports. Specification references are to the AMBA
 * AXI and ACE Protocol Specification (ARM IHI 0022E, "AXI4") and the AMBA
 * AXI4-Stream Protocol Specification (ARM IHI 0051A, "AXI4-Stream"); rules the
 * specifications leave open come from the engine contract (docs/ARCHITECTURE.md)
 * or from the job, and say so. docs/verification.md tabulates this list.
 *
 * The reset rules are checked on both sides of every port: on what the design
 * drives (a violation of the design) and on what the harness drives (a
 * `HarnessBug`: the harness holds itself to the rules it holds the design to).
 */

export interface ProtocolRule {
  /** AMBA section, or where the rule comes from when the specification does not impose it. */
  ref: string;
  /** The channels it watches. */
  channels: string;
  what: string;
}

export const RULES = {
  'AXI-VALID-HOLD': { ref: 'AXI4 A3.2.1', channels: 'm_axi AR/AW/W, s_axil B/R', what: 'once VALID is high it stays high until the handshake' },
  'AXI-PAYLOAD-HOLD': { ref: 'AXI4 A3.2.1', channels: 'm_axi AR/AW/W, s_axil B/R', what: 'every payload signal is stable while VALID && !READY' },
  // A3.1.2: during reset masters drive ARVALID/AWVALID/WVALID and slaves RVALID/BVALID low, and "the
  // earliest point after reset that a master is permitted to begin driving ARVALID, AWVALID, or WVALID
  // HIGH is at a rising ACLK edge after ARESETn is HIGH" (ARM's checker: AXI4_ERRM_AWVALID_RESET). A
  // slave's R and B answer requests (A3.3.1), none of which can come sooner, so they are held to the
  // same first cycle, as ZipCPU's wb2axip formal properties do (faxi_slave.v). The harness checks its
  // own AXI4-Lite master and memory by this rule too; a finding there is a HarnessBug.
  'AXI-RESET-VALID': { ref: 'AXI4 A3.1.2', channels: 'm_axi AR/AW/W, s_axil B/R; the harness’s own s_axil AW/W/AR and memory R/B', what: 'no VALID during reset or in the first cycle after it' },
  'AXIS-TVALID-HOLD': { ref: 'AXI4-Stream 2.2.1', channels: 'every m_axis', what: 'once TVALID is high it stays high until the handshake' },
  'AXIS-PAYLOAD-HOLD': { ref: 'AXI4-Stream 2.2.1', channels: 'every m_axis', what: 'TDATA and TLAST are stable while TVALID && !TREADY' },
  // 2.7.2, the same for TVALID (ARM's AXI4STREAM_ERRM_TVALID_RESET: "TVALID is LOW for the first cycle
  // after ARESETn goes HIGH"; wb2axip's faxis_master.v). Checked on the harness's own sources too.
  'AXIS-RESET-TVALID': { ref: 'AXI4-Stream 2.7.2', channels: 'every m_axis; the harness’s own s_axis sources', what: 'no TVALID during reset or in the first cycle after it' },
  'AXIS-TLAST': { ref: 'AXI4-Stream (TLAST ends a packet); beat counts from the job', channels: 'm_axis with `packets`', what: 'TLAST exactly on the last beat of each packet of the job' },
  'AXIS-EXTRA-BEAT': { ref: 'job contract', channels: 'm_axis with `packets`', what: 'no beat after the job’s last packet' },
  'AXI4-BURST-INCR': { ref: 'AXI4 A3.4.1; engine contract (INCR only)', channels: 'm_axi AR/AW', what: 'burst type is INCR' },
  'AXI4-BURST-LEN': { ref: 'AXI4 A3.4.1', channels: 'm_axi AR/AW', what: 'LEN + 1 ≤ 256' },
  'AXI4-SIZE': { ref: 'AXI4 A3.4.1; engine contract (full width)', channels: 'm_axi AR/AW', what: 'SIZE equals the bus width' },
  'AXI4-ALIGN': { ref: 'engine contract', channels: 'm_axi AR/AW', what: 'the address is aligned to the bus width' },
  'AXI4-4KB': { ref: 'AXI4 A3.4.1', channels: 'm_axi AR/AW', what: 'no burst crosses a 4 KiB boundary' },
  'AXI4-MEM-RANGE': { ref: 'job (modelled memory)', channels: 'm_axi AR/AW', what: 'bursts stay inside the modelled memory' },
  'AXI4-WLAST': { ref: 'AXI4 A3.2.2, A3.4.1', channels: 'm_axi W', what: 'exactly LEN + 1 W beats per AW, WLAST on the last and only there' },
  'AXI4-WSTRB': { ref: 'AXI4 A3.4.3; engine contract (full strobes)', channels: 'm_axi W', what: 'every strobe set' },
  'AXI4-OUTSTANDING-R': { ref: 'design declaration (job `declared_reads`)', channels: 'm_axi AR', what: 'never more read bursts in flight than the design declares' },
  'AXI4-OUTSTANDING-W': { ref: 'design declaration (job `declared_writes`)', channels: 'm_axi AW', what: 'never more write bursts awaiting B than the design declares' },
  'AXI4-R-ACCEPT': { ref: 'job (`response_bound`, default 1000)', channels: 'm_axi R', what: 'an R beat presented is accepted within the bound' },
  'AXI4-B-ACCEPT': { ref: 'job (`response_bound`, default 1000)', channels: 'm_axi B', what: 'a B presented is accepted within the bound' },
  'AXI4-END-OUTSTANDING': { ref: 'AXI4 A3.3.1 (every transaction completes)', channels: 'm_axi', what: 'at the end of the run every burst has all its beats and its response taken' },
  'DONE-READS': { ref: 'job (`wait … quiescent`)', channels: 'm_axi R', what: 'at a completion point every AR has had its last R beat' },
  'DONE-WRITES': { ref: 'job (`wait … quiescent`)', channels: 'm_axi W/B', what: 'at a completion point every AW has had all its W beats and its B accepted' },
  'DONE-STREAM': { ref: 'job (`wait … quiescent`)', channels: 'every m_axis', what: 'at a completion point no output beat is waiting' },
  'AXIL-OKAY': { ref: 'AXI4 A3.4.4; engine contract', channels: 's_axil B/R', what: '`write`, `read` and `wait` are answered OKAY (pokes are logged instead)' },
  'AXIL-EXPECT': { ref: 'engine contract (unmapped reads 0)', channels: 's_axil R', what: 'an `expect` read returns the value the contract says' },
  'MODEL-B-BEFORE-WLAST': { ref: 'AXI4 A3.3.1', channels: 'memory model B', what: 'the model never answers B before the burst’s last W beat' },
  'MODEL-R-BEATS': { ref: 'AXI4 A3.2.2, A3.4.1', channels: 'memory model R', what: 'the model sends LEN + 1 R beats, RLAST on the last' },
  'HARNESS-DRAIN': { ref: 'job (`cycleLimit`)', channels: 'every m_axis', what: 'outputs stop offering beats within the cycle limit after the script' },
} as const satisfies Record<string, ProtocolRule>;

export type RuleId = keyof typeof RULES;

/** One finding of a monitor. */
export interface Violation {
  rule: string;
  /** AMBA reference or origin of the rule (from RULES). */
  ref: string;
  /** The port group and channel, e.g. `m_axi_w`, `res`, `s_axil_b`. */
  channel: string;
  /** Harness cycle (0 = first after reset). */
  cycle: number;
  /** The values involved. */
  detail: string;
}

export function ruleRef(rule: string): string {
  return (RULES as Record<string, ProtocolRule>)[rule]?.ref ?? '';
}

export function describeViolation(v: Violation): string {
  return `${v.rule}${v.ref ? ` (${v.ref})` : ''} ${v.channel} cycle ${v.cycle}: ${v.detail}`;
}

/**
 * The harness broke one of these rules itself: its stream sources, AXI4-Lite master or
 * memory drove VALID during reset or in the first cycle after it (tb_main.h,
 * check_own_valids). A bug of the harness, not of the design under test, so the run stops
 * there and fails as an internal error rather than a protocol violation.
 */
export class HarnessBug extends Error {
  constructor(
    readonly top: string,
    readonly violations: Violation[],
  ) {
    super(`harness bug (not the design's): the testbench of ${top} broke the rules it checks on its own ports: ${violations.map(describeViolation).join('; ')}`);
    this.name = 'HarnessBug';
  }
}
