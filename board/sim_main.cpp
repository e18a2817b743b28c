// The Verilated icebreaker_top on a pipe: bytes from stdin are bit-banged onto
// the uart_rx pin (8N1, DIVISOR clock cycles per bit), and the uart_tx pin is
// sampled mid-bit and its bytes written to stdout. The host program talks to
// this process exactly as to the board's serial port. The clock is the pad
// clock clk_12m; the PLL's stand-in passes it through (docs/board.md).
//
// usage: Vicebreaker_top DIVISOR
// Exits 0 when stdin is closed and every byte has been sent; a framing error
// on uart_tx (a low stop bit) is reported on stderr and exits 3.
#include "Vicebreaker_top.h"
#include "verilated.h"
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s DIVISOR\n", argv[0]);
    return 2;
  }
  const long divisor = strtol(argv[1], nullptr, 10);
  if (divisor < 4) {
    fprintf(stderr, "divisor must be at least 4\n");
    return 2;
  }
  auto ctx = std::make_unique<VerilatedContext>();
  auto top = std::make_unique<Vicebreaker_top>(ctx.get());
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);

  std::deque<uint8_t> pending;
  bool inputOpen = true;
  // Host → FPGA serializer: 10 bits of the current byte, one per divisor cycles.
  int txBit = -1;          // -1: idle; 0..9: bit being driven
  uint16_t txFrame = 0;
  long txCount = 0;
  long pollCountdown = 0;
  // FPGA → host deserializer.
  int rxBit = -1;          // -1: waiting for a start edge; 0: start; 1..8 data; 9 stop
  long rxCount = 0;
  uint8_t rxByte = 0;
  int lastLine = 1;
  long idleAfterEof = 0;

  top->btn_n = 1;
  top->uart_rx = 1;
  top->clk_12m = 0;
  top->eval();
  for (uint64_t cycle = 0;; cycle++) {
    // Refill from stdin only when the serializer is about to need a byte.
    if (txBit < 0 && pending.empty() && inputOpen && pollCountdown-- <= 0) {
      uint8_t buf[4096];
      ssize_t n = read(0, buf, sizeof buf);
      if (n > 0) pending.insert(pending.end(), buf, buf + n);
      else if (n == 0) inputOpen = false;
      else if (errno != EAGAIN && errno != EWOULDBLOCK) inputOpen = false;
      pollCountdown = divisor;
    }
    if (txBit < 0 && !pending.empty()) {
      txFrame = static_cast<uint16_t>((1u << 9) | (pending.front() << 1));  // stop · data · start
      pending.pop_front();
      txBit = 0;
      txCount = divisor;
    }
    top->uart_rx = txBit < 0 ? 1 : (txFrame >> txBit) & 1;
    if (txBit >= 0 && --txCount == 0) {
      txBit = txBit == 9 ? -1 : txBit + 1;
      txCount = divisor;
    }

    top->clk_12m = 1;
    top->eval();
    top->clk_12m = 0;
    top->eval();

    const int line = top->uart_tx;
    if (rxBit < 0) {
      if (lastLine == 1 && line == 0) {
        rxBit = 0;
        rxCount = divisor / 2;  // sample in the middle of each bit
      }
    } else if (--rxCount == 0) {
      rxCount = divisor;
      if (rxBit == 0) {
        if (line != 0) rxBit = -2;  // a glitch, not a start bit
      } else if (rxBit <= 8) {
        rxByte = static_cast<uint8_t>((rxByte >> 1) | (line << 7));
      } else {
        if (line != 1) {
          fprintf(stderr, "uart_tx: framing error (stop bit low) at cycle %llu\n", static_cast<unsigned long long>(cycle));
          return 3;
        }
        if (write(1, &rxByte, 1) != 1) return 0;  // the host went away
        rxBit = -2;
      }
      rxBit = rxBit == -2 ? -1 : rxBit + 1;
    }
    lastLine = line;
    if (!inputOpen && pending.empty() && txBit < 0 && rxBit < 0) {
      if (++idleAfterEof > 64 * divisor) break;
    } else {
      idleAfterEof = 0;
    }
  }
  top->final();
  return 0;
}
