// Simulation stand-in for the iCE40 PLL fed from its clock pad ("PLL-free
// clocking"). Models: the output clock IS the pad's clock (the divider
// parameters are accepted and ignored), and LOCK rises after 16 reference
// clock edges with RESETB high (it falls at once when RESETB goes low), so the
// reset synchronizer sees a lock edge as on the chip. Does not model: the
// frequency synthesis (DIVR/DIVF/DIVQ), jitter, the lock time of the real PLL
// (tens of microseconds), BYPASS, dynamic delay, or the second output.
// Everything clocked by PLLOUTGLOBAL sees one clock domain either way, so the
// design under test is the flashed one with only this cell replaced.
// Synthesis never reads this file: Yosys maps SB_PLL40_PAD to the hard block.
/* verilator lint_off UNUSEDPARAM */
module SB_PLL40_PAD #(
  parameter FEEDBACK_PATH = "SIMPLE",
  parameter [3:0] DIVR = 4'b0000,
  parameter [6:0] DIVF = 7'b0000000,
  parameter [2:0] DIVQ = 3'b000,
  parameter [2:0] FILTER_RANGE = 3'b000
) (
  /* verilator lint_on UNUSEDPARAM */
  input wire PACKAGEPIN,
  input wire RESETB,
  input wire BYPASS,
  output wire PLLOUTGLOBAL,
  output wire PLLOUTCORE,
  output reg LOCK
);
  reg [4:0] edges;
  initial begin
    edges = 5'd0;
    LOCK = 1'b0;
  end
  assign PLLOUTGLOBAL = PACKAGEPIN;
  assign PLLOUTCORE = PACKAGEPIN;
  always @(posedge PACKAGEPIN or negedge RESETB) begin
    if (!RESETB) begin
      edges <= 5'd0;
      LOCK <= 1'b0;
    end else if (!edges[4]) begin
      edges <= edges + 5'd1;
    end else begin
      LOCK <= 1'b1;
    end
  end
  /* verilator lint_off UNUSED */
  wire unused_ok = BYPASS;
  /* verilator lint_on UNUSED */
endmodule
