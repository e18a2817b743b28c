// Simulation stand-in for the iCE40 UltraPlus single-port RAM (16K x 16 bits).
// Models: one registered read per clock (DATAOUT holds the word read at the
// last edge with CHIPSELECT && !WREN), writes under the four nibble enables of
// MASKWREN. Does not model: STANDBY/SLEEP/POWEROFF timing (any of them active
// just stops the RAM; DATAOUT reads 0 while powered off), retention, or
// DATAOUT after a write (the real cell leaves it undefined; here it is
// poisoned with the inverted old word, so a design that reads it fails).
// Power-up contents are undefined on the chip; here a pattern that is not zero,
// so a host that forgets to load memory fails too.
// Synthesis never reads this file: Yosys maps SB_SPRAM256KA to the hard block.
module SB_SPRAM256KA (
  input wire [13:0] ADDRESS,
  input wire [15:0] DATAIN,
  input wire [3:0] MASKWREN,
  input wire WREN,
  input wire CHIPSELECT,
  input wire CLOCK,
  input wire STANDBY,
  input wire SLEEP,
  input wire POWEROFF,
  output reg [15:0] DATAOUT
);
  reg [15:0] mem [0:16383];
  integer i;
  initial begin
    for (i = 0; i < 16384; i = i + 1) mem[i] = 16'hA5C3 ^ i[15:0];
    DATAOUT = 16'h0000;
  end
  wire on = CHIPSELECT && !STANDBY && !SLEEP && POWEROFF;
  always @(posedge CLOCK) begin
    if (!POWEROFF) begin
      DATAOUT <= 16'h0000;
    end else if (on) begin
      if (WREN) begin
        if (MASKWREN[0]) mem[ADDRESS][3:0] <= DATAIN[3:0];
        if (MASKWREN[1]) mem[ADDRESS][7:4] <= DATAIN[7:4];
        if (MASKWREN[2]) mem[ADDRESS][11:8] <= DATAIN[11:8];
        if (MASKWREN[3]) mem[ADDRESS][15:12] <= DATAIN[15:12];
        DATAOUT <= ~mem[ADDRESS];
      end else begin
        DATAOUT <= mem[ADDRESS];
      end
    end
  end
endmodule
