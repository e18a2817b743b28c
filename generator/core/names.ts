/**
 * Names that may never reach the emitted Verilog as user names: the keywords of
 * Verilog-2005 (IEEE 1364-2005) and SystemVerilog (IEEE 1800-2017, Annex B: Verilator
 * and Yosys parse .v files with it), and the names the back end declares itself.
 * User names are rejected at the line that chose them rather than renamed, so a port
 * is always called what the TypeScript says.
 */

/** IEEE 1364-2005 reserved words. */
export const verilog2005Keywords: readonly string[] = (
  'always and assign automatic begin buf bufif0 bufif1 case casex casez cell cmos config deassign default defparam design disable '
  + 'edge else end endcase endconfig endfunction endgenerate endmodule endprimitive endspecify endtable endtask event for force forever '
  + 'fork function generate genvar highz0 highz1 if ifnone incdir include initial inout input instance integer join large liblist '
  + 'library localparam macromodule medium module nand negedge nmos nor noshowcancelled not notif0 notif1 or output parameter pmos '
  + 'posedge primitive pull0 pull1 pulldown pullup pulsestyle_ondetect pulsestyle_onevent rcmos real realtime reg release repeat '
  + 'rnmos rpmos rtran rtranif0 rtranif1 scalared showcancelled signed small specify specparam strong0 strong1 supply0 supply1 '
  + 'table task time tran tranif0 tranif1 tri tri0 tri1 triand trior trireg unsigned use uwire vectored wait wand weak0 weak1 while '
  + 'wire wor xnor xor'
).split(' ');

/** IEEE 1800-2017 Annex B reserved words (a superset of the 1364-2005 list). */
export const systemVerilog2017Keywords: readonly string[] = (
  'accept_on alias always always_comb always_ff always_latch and assert assign assume automatic before begin bind bins binsof bit '
  + 'break buf bufif0 bufif1 byte case casex casez cell chandle checker class clocking cmos config const constraint context continue '
  + 'cover covergroup coverpoint cross deassign default defparam design disable dist do edge else end endcase endchecker endclass '
  + 'endclocking endconfig endfunction endgenerate endgroup endinterface endmodule endpackage endprimitive endprogram endproperty '
  + 'endspecify endsequence endtable endtask enum event eventually expect export extends extern final first_match for force foreach '
  + 'forever fork forkjoin function generate genvar global highz0 highz1 if iff ifnone ignore_bins illegal_bins implements implies '
  + 'import incdir include initial inout input inside instance int integer interconnect interface intersect join join_any join_none '
  + 'large let liblist library local localparam logic longint macromodule matches medium modport module nand negedge nettype new '
  + 'nexttime nmos nor noshowcancelled not notif0 notif1 null or output package packed parameter pmos posedge primitive priority '
  + 'program property protected pull0 pull1 pulldown pullup pulsestyle_ondetect pulsestyle_onevent pure rand randc randcase '
  + 'randsequence rcmos real realtime ref reg reject_on release repeat restrict return rnmos rpmos rtran rtranif0 rtranif1 s_always '
  + 's_eventually s_nexttime s_until s_until_with scalared sequence shortint shortreal showcancelled signed small soft solve specify '
  + 'specparam static string strong strong0 strong1 struct super supply0 supply1 sync_accept_on sync_reject_on table tagged task '
  + 'this throughout time timeprecision timeunit tran tranif0 tranif1 tri tri0 tri1 triand trior trireg type typedef union unique '
  + 'unique0 unsigned until until_with untyped use uwire var vectored virtual void wait wait_order wand weak weak0 weak1 while '
  + 'wildcard wire with within wor xnor xor'
).split(' ');

/**
 * Words Icarus Verilog reserves beyond both standards even with -g2005 (its own `bool`,
 * `wone`, and Verilog-AMS `wreal`): a design using them would not compile there. Found by
 * the random-name property test (seed 814103131: an instance named `bool`).
 */
export const toolKeywords: readonly string[] = ['bool', 'wone', 'wreal'];

/** Ports and wires every module may get from the back end (clock, reset, the top's AXI clock and reset). */
export const backendNames: readonly string[] = ['clk', 'rst', 'aclk', 'aresetn'];

/**
 * C++ keywords that are not Verilog ones. Verilator turns a port into a C++ member of
 * the model class under its own name, and the project's test benches read `top-><port>`,
 * so a port may not be called any of these.
 */
export const cppKeywords: readonly string[] = (
  'alignas alignof and_eq asm auto bitand bitor bool catch char char8_t char16_t char32_t compl concept consteval constexpr '
  + 'constinit const_cast co_await co_return co_yield decltype delete double dynamic_cast explicit false float friend goto inline '
  + 'long mutable namespace noexcept not_eq nullptr operator or_eq private public register reinterpret_cast requires short sizeof '
  + 'static_assert static_cast switch template thread_local throw true try typeid typename using volatile wchar_t xor_eq'
).split(' ');
const cpp = new Set(cppKeywords);

const keywords = new Set([...verilog2005Keywords, ...systemVerilog2017Keywords, ...toolKeywords]);
const reserved = new Set(backendNames);
const identRe = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * Why `name` cannot name a signal, memory, instance or module, or undefined when it can.
 * The back end's own names start with `_` (`_GEN_3`, `_unused_bits`) or hold `__`
 * (`mem__sim_we0`), and Verilator spells `__` differently in C++, so user names have
 * neither, nor a trailing `_` that a derived name would turn into `__`.
 */
export function unusableName(name: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'a name must be a non-empty string';
  if (name.startsWith('_')) return 'names starting with _ are the back end\'s (e.g. _GEN_0, _unused_bits)';
  if (!identRe.test(name)) return 'a name holds letters, digits and _, starting with a letter';
  if (name.includes('__')) return 'names holding __ are the back end\'s (e.g. mem__sim_we0), and Verilator mangles them in C++';
  // Derived names append `_suffix` (x_rdata, u_x_port): a trailing _ would make them hold __.
  if (name.endsWith('_')) return 'a name ending in _ would give derived names (x_rdata, instance ports) a __';
  if (keywords.has(name)) {
    const where = verilog2005Keywords.includes(name) ? 'a Verilog-2005' : systemVerilog2017Keywords.includes(name) ? 'a SystemVerilog-2017' : 'an Icarus Verilog';
    return `${name} is ${where} keyword`;
  }
  if (reserved.has(name)) return `${name} is the clock or reset the back end adds`;
  return undefined;
}

/** Why `name` cannot name a port (a signal name that C++ can also hold), or undefined. */
export function unusablePortName(name: string): string | undefined {
  return unusableName(name) ?? (cpp.has(name) ? `${name} is a C++ keyword, and ports are C++ members of the Verilated model` : undefined);
}
