// The hand-written half of the sparsegrad co-simulation testbench. The
// generated half (testbench.ts) binds these models to the top's ports, so this
// file knows nothing about any particular design or register map.
//
// Timing of one cycle (see run_cycle in the generated main):
//   1. the testbench drives its outputs from its registered state, clock low, eval;
//   2. every handshake is sampled (valid && ready as both sides see them);
//   3. rising edge, eval: the design registers the same inputs;
//   4. the testbench's models advance on the sampled handshakes and choose the
//      next cycle's outputs (never combinationally from the design's outputs,
//      so no loops are possible).
// Every random choice comes from a seeded xorshift generator per model, so a
// job and its seed give the same cycles and the same files every time.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "verilated.h"

namespace tb {

// ---------------------------------------------------------------- port access
// Ports up to 64 bits are plain integers; wider ones are VlWide<words> of
// 32-bit words, least significant first. Hosts are little-endian (x86, arm64),
// so bytes move with memcpy; the unused top bits are cleared as Verilator expects.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the testbench assumes a little-endian host");
template <typename T>
inline void put_port(T& port, const uint8_t* src, int width) {
  uint64_t v = 0;
  std::memcpy(&v, src, size_t((width + 7) / 8));
  if (width < 64) v &= (uint64_t(1) << width) - 1;
  port = static_cast<T>(v);
}
template <std::size_t W>
inline void put_port(VlWide<W>& port, const uint8_t* src, int width) {
  const size_t bytes = size_t((width + 7) / 8);
  std::memset(port.data(), 0, W * 4);
  std::memcpy(port.data(), src, bytes);
  const int top_bits = width - int(W - 1) * 32;
  if (top_bits < 32) port.at(W - 1) &= (uint32_t(1) << top_bits) - 1;
}
template <typename T>
inline void get_port(const T& port, uint8_t* dst, int width) {
  const uint64_t v = static_cast<uint64_t>(port);
  std::memcpy(dst, &v, size_t((width + 7) / 8));
}
template <std::size_t W>
inline void get_port(const VlWide<W>& port, uint8_t* dst, int width) {
  std::memcpy(dst, port.data(), size_t((width + 7) / 8));
}

// ---------------------------------------------------------------- randomness
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {
    if (s == 0) s = 1;
    for (int i = 0; i < 4; ++i) next();
  }
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
  // Uniform in [0, 1).
  double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }
  uint32_t below(uint32_t n) { return uint32_t(next() % n); }
};

enum class Pressure { None, Random, Bursty };

// Whether a stream end offers (source) or accepts (sink) in a cycle.
struct Gate {
  Pressure mode;
  Rng rng;
  bool on = true;
  uint32_t run = 0;
  Gate(Pressure m, uint64_t seed) : mode(m), rng(seed) {}
  bool next() {
    switch (mode) {
      case Pressure::None: return true;
      case Pressure::Random: return rng.uniform() < 0.5;
      case Pressure::Bursty:
        // Alternating runs: open for 1..64 cycles, shut for 1..24.
        if (run == 0) {
          on = !on;
          run = on ? 1 + rng.below(64) : 1 + rng.below(24);
        }
        --run;
        return on;
    }
    return true;
  }
};

// ---------------------------------------------------------------- checks
struct Errors {
  std::vector<std::string> list;
  size_t total = 0;
  void add(uint64_t cycle, const std::string& what) {
    ++total;
    if (list.size() < 64) list.push_back("cycle " + std::to_string(cycle) + ": " + what);
  }
};

// AXI rule: once valid is high without ready, valid and the payload hold until
// the handshake. `payload` is compared byte for byte.
struct Stability {
  const char* channel;
  bool pending = false;
  std::vector<uint8_t> held;
  explicit Stability(const char* ch) : channel(ch) {}
  void check(uint64_t cycle, bool valid, bool ready, const uint8_t* payload, size_t n, Errors& err) {
    if (pending) {
      if (!valid) err.add(cycle, std::string(channel) + ": valid dropped before the handshake");
      else if (n && std::memcmp(held.data(), payload, n) != 0)
        err.add(cycle, std::string(channel) + ": payload changed while valid waited for ready");
    }
    pending = valid && !ready;
    if (pending) held.assign(payload, payload + n);
  }
};

// ---------------------------------------------------------------- streams
struct InStream {
  std::string name;
  int width;  // tdata bits
  size_t data_bytes;
  std::vector<uint8_t> buf;
  size_t count = 0, next_beat = 0;
  Gate gate;
  // Driven
  bool valid = false;
  // Sampled
  bool ready = false;
  uint64_t stall_cycles = 0;
  InStream(std::string n, int w, Pressure p, uint64_t seed)
      : name(std::move(n)), width(w), data_bytes((w + 7) / 8), gate(p, seed) {}
  const uint8_t* data() const { return buf.empty() ? nullptr : &buf[next_beat * (data_bytes + 1)]; }
  bool last() const { return valid && (buf[next_beat * (data_bytes + 1) + data_bytes] & 1); }
  void advance() {
    const bool fired = valid && ready;
    if (valid && !ready) ++stall_cycles;
    if (fired) ++next_beat;
    // AXI-Stream: a presented beat stays until taken; gaps only between beats.
    if (!valid || fired) valid = next_beat < count && gate.next();
  }
};

struct OutStream {
  std::string name;
  int width;
  size_t data_bytes;
  std::vector<uint8_t> out;
  std::vector<uint64_t> beat_cycles;  // when each beat was taken: locates a mismatch for the VCD window
  std::vector<uint8_t> scratch;
  Gate gate;
  Stability stable;
  bool ready = false;  // driven
  bool valid = false, last = false;  // sampled
  uint64_t beats = 0, stall_cycles = 0;
  OutStream(std::string n, int w, Pressure p, uint64_t seed)
      : name(std::move(n)), width(w), data_bytes((w + 7) / 8), scratch(data_bytes + 1), gate(p, seed), stable(nullptr) {}
  void sample(uint64_t cycle, Errors& err) {
    scratch[data_bytes] = last ? 1 : 0;
    stable.channel = name.c_str();
    stable.check(cycle, valid, ready, scratch.data(), scratch.size(), err);
    if (valid && ready) {
      out.insert(out.end(), scratch.begin(), scratch.end());
      beat_cycles.push_back(cycle);
      ++beats;
    } else if (valid) {
      ++stall_cycles;
    }
  }
  void advance() { ready = gate.next(); }
};

// ---------------------------------------------------------------- AXI4-Lite master
struct LiteCmd {
  enum Op { Write, Read, Wait, Idle } op;
  uint32_t addr = 0, data = 0, mask = 0;
  uint64_t cycles = 0;
};

struct LiteMaster {
  std::vector<LiteCmd> script;
  size_t pc = 0;
  // Driven
  bool awvalid = false, wvalid = false, bready = false, arvalid = false, rready = false;
  uint32_t awaddr = 0, wdata = 0, araddr = 0;
  // Sampled
  bool awready = false, wready = false, bvalid = false, arready = false, rvalid = false;
  uint32_t rdata = 0, bresp = 0, rresp = 0;
  // Progress of the current command
  bool aw_done = false, w_done = false, ar_done = false, started = false;
  uint64_t idle_left = 0;
  struct ReadLog {
    uint32_t addr, data;
    uint64_t cycle;
  };
  std::vector<ReadLog> reads;
  Stability b_stable{"s_axil_b"}, r_stable{"s_axil_r"};

  bool done() const { return pc >= script.size(); }

  void sample(uint64_t cycle, Errors& err) {
    uint8_t r[8];
    std::memcpy(r, &rdata, 4);
    std::memcpy(r + 4, &rresp, 4);
    r_stable.check(cycle, rvalid, rready, r, 8, err);
    b_stable.check(cycle, bvalid, bready, reinterpret_cast<uint8_t*>(&bresp), 4, err);
  }

  // Called after the edge with this cycle's sampled handshakes. The driven
  // signals always belong to the current command: drive() runs right after
  // the command becomes current.
  void advance(uint64_t cycle, Errors& err) {
    if (done()) return;
    LiteCmd& c = script[pc];
    bool finished = false;
    switch (c.op) {
      case LiteCmd::Idle:
        if (!started) idle_left = c.cycles, started = true;
        if (idle_left > 0) --idle_left;
        finished = idle_left == 0;
        break;
      case LiteCmd::Write:
        if (awvalid && awready) aw_done = true;
        if (wvalid && wready) w_done = true;
        if (bready && bvalid) {
          if (bresp != 0) err.add(cycle, "s_axil: write to 0x" + hex(c.addr) + " answered BRESP=" + std::to_string(bresp));
          finished = true;
        }
        break;
      case LiteCmd::Read:
      case LiteCmd::Wait:
        if (arvalid && arready) ar_done = true;
        if (rready && rvalid) {
          if (rresp != 0) err.add(cycle, "s_axil: read of 0x" + hex(c.addr) + " answered RRESP=" + std::to_string(rresp));
          if (c.op == LiteCmd::Read) {
            reads.push_back({c.addr, rdata, cycle});
            finished = true;
          } else if ((rdata & c.mask) == c.data) {
            finished = true;
          } else {
            ar_done = false;  // poll again
          }
        }
        break;
    }
    if (finished) {
      ++pc;
      started = false;
      aw_done = w_done = ar_done = false;
    }
    drive();
  }

  void drive() {
    awvalid = wvalid = bready = arvalid = rready = false;
    if (done()) return;
    const LiteCmd& c = script[pc];
    switch (c.op) {
      case LiteCmd::Write:
        awaddr = c.addr;
        wdata = c.data;
        awvalid = !aw_done;
        wvalid = !w_done;
        bready = aw_done && w_done;
        break;
      case LiteCmd::Read:
      case LiteCmd::Wait:
        araddr = c.addr;
        arvalid = !ar_done;
        rready = ar_done;
        break;
      case LiteCmd::Idle: break;
    }
  }

  static std::string hex(uint32_t v) {
    char b[16];
    std::snprintf(b, sizeof b, "%x", v);
    return b;
  }
};

// ---------------------------------------------------------------- AXI4 memory (slave)
struct AxiMem {
  int data_bits = 64;
  size_t bus_bytes = 8;
  std::vector<uint8_t> mem;
  uint64_t latency = 1;
  double stall = 0.0;
  size_t max_outstanding = 16;
  Rng rng{1};

  struct Burst {
    uint64_t addr;
    uint32_t len;  // beats - 1
    uint64_t due;  // first cycle the data (or B) may be presented
    uint32_t beat = 0;
  };
  std::deque<Burst> reads, writes, bresps;

  // Driven
  bool arready = false, rvalid = false, rlast = false, awready = false, wready = false, bvalid = false;
  uint32_t rresp = 0, bresp = 0;
  std::vector<uint8_t> rdata;
  // Sampled
  bool arvalid = false, rready = false, awvalid = false, wvalid = false, wlast = false, bready = false;
  uint64_t araddr = 0, awaddr = 0;
  uint32_t arlen = 0, arsize = 0, arburst = 1, awlen = 0, awsize = 0, awburst = 1;
  std::vector<uint8_t> wdata, wstrb;
  // Response state of the burst whose beat is on R now.
  bool r_error = false;

  Stability ar_stable{"m_axi_ar"}, aw_stable{"m_axi_aw"}, w_stable{"m_axi_w"};
  std::vector<uint8_t> w_payload;
  uint64_t read_bursts = 0, read_beats = 0, write_bursts = 0, write_beats = 0, max_in_flight = 0;
  // (cycle of the last W beat, address, beats) of every write burst: locates a wrong G row in time.
  std::vector<uint64_t> write_log;

  void init(int bits) {
    data_bits = bits;
    bus_bytes = size_t(bits / 8);
    rdata.assign(bus_bytes, 0);
    wdata.assign(bus_bytes, 0);
    wstrb.assign((bus_bytes + 7) / 8, 0);
  }

  bool in_range(uint64_t addr, uint64_t bytes) const { return addr + bytes <= mem.size(); }

  void check_burst(uint64_t cycle, const char* ch, uint64_t addr, uint32_t len, uint32_t size, uint32_t burst, Errors& err) {
    const std::string c(ch);
    if (burst != 1) err.add(cycle, c + ": burst type " + std::to_string(burst) + " (only INCR is allowed)");
    if ((uint64_t(1) << size) != bus_bytes)
      err.add(cycle, c + ": size " + std::to_string(size) + " is not the full bus width (" + std::to_string(bus_bytes) + " bytes)");
    if (addr % bus_bytes) err.add(cycle, c + ": address 0x" + LiteMaster::hex(uint32_t(addr)) + " is not aligned to the bus width");
    const uint64_t bytes = uint64_t(len + 1) * bus_bytes;
    if ((addr & 0xfff) + bytes > 4096)
      err.add(cycle, c + ": burst at 0x" + LiteMaster::hex(uint32_t(addr)) + " of " + std::to_string(len + 1) + " beats crosses a 4 KiB boundary");
    if (!in_range(addr, bytes))
      err.add(cycle, c + ": burst at 0x" + LiteMaster::hex(uint32_t(addr)) + " runs past the end of the modelled memory (" + std::to_string(mem.size()) + " bytes)");
  }

  // Step 2: handshakes as both sides see them before the edge.
  void sample(uint64_t cycle, Errors& err) {
    // Payloads are packed only when a check needs them: this runs every cycle.
    if (arvalid || ar_stable.pending) {
      uint8_t ar[24];
      pack_addr(ar, araddr, arlen, arsize, arburst);
      ar_stable.check(cycle, arvalid, arready, ar, sizeof ar, err);
    }
    if (awvalid || aw_stable.pending) {
      uint8_t aw[24];
      pack_addr(aw, awaddr, awlen, awsize, awburst);
      aw_stable.check(cycle, awvalid, awready, aw, sizeof aw, err);
    }
    if (wvalid || w_stable.pending) {
      w_payload.assign(wdata.begin(), wdata.end());
      w_payload.insert(w_payload.end(), wstrb.begin(), wstrb.end());
      w_payload.push_back(wlast);
      w_stable.check(cycle, wvalid, wready, w_payload.data(), w_payload.size(), err);
    }

    if (arvalid && arready) {
      check_burst(cycle, "m_axi_ar", araddr, arlen, arsize, arburst, err);
      reads.push_back({araddr, arlen, cycle + latency});
      ++read_bursts;
      if (reads.size() > max_in_flight) max_in_flight = reads.size();
    }
    if (rvalid && rready) {
      Burst& b = reads.front();
      ++read_beats;
      if (++b.beat > b.len) reads.pop_front();
    }
    if (awvalid && awready) {
      check_burst(cycle, "m_axi_aw", awaddr, awlen, awsize, awburst, err);
      writes.push_back({awaddr, awlen, 0});
      ++write_bursts;
    }
    if (wvalid && wready) {
      Burst& b = writes.front();
      const uint64_t at = b.addr + uint64_t(b.beat) * bus_bytes;
      const bool expect_last = b.beat == b.len;
      if (bool(wlast) != expect_last)
        err.add(cycle, std::string("m_axi_w: WLAST ") + (wlast ? "on beat " : "missing on beat ") + std::to_string(b.beat) +
                           " of a " + std::to_string(b.len + 1) + "-beat burst");
      bool full = true;
      for (size_t i = 0; i < bus_bytes; ++i) {
        const bool en = (wstrb[i / 8] >> (i % 8)) & 1;
        full = full && en;
        if (en && in_range(at + i, 1)) mem[at + i] = wdata[i];
      }
      if (!full) err.add(cycle, "m_axi_w: partial WSTRB (the engine contract says full strobes)");
      ++write_beats;
      if (++b.beat > b.len || wlast) {
        bresps.push_back({b.addr, b.len, cycle + latency});
        write_log.insert(write_log.end(), {cycle, b.addr, uint64_t(b.beat)});
        writes.pop_front();
      }
    }
    if (bvalid && bready) bresps.pop_front();
  }

  // Step 4: choose what to present next cycle.
  void advance(uint64_t cycle) {
    const uint64_t next = cycle + 1;
    arready = reads.size() < max_outstanding && !stalled();
    awready = writes.size() < 4 && !stalled();
    wready = !writes.empty() && !stalled();
    // R and B hold once presented (AXI rule for the slave side too).
    if (!(rvalid && !rready)) {
      rvalid = !reads.empty() && reads.front().due <= next && !stalled();
      if (rvalid) {
        const Burst& b = reads.front();
        const uint64_t at = b.addr + uint64_t(b.beat) * bus_bytes;
        if (in_range(at, bus_bytes)) {
          std::memcpy(rdata.data(), &mem[at], bus_bytes);
          rresp = 0;
        } else {
          std::fill(rdata.begin(), rdata.end(), 0);
          rresp = 2;  // SLVERR
        }
        rlast = b.beat == b.len;
      }
    }
    if (!(bvalid && !bready)) {
      bvalid = !bresps.empty() && bresps.front().due <= next && !stalled();
      if (bvalid) {
        const Burst& b = bresps.front();
        bresp = in_range(b.addr, uint64_t(b.len + 1) * bus_bytes) ? 0 : 2;
      }
    }
  }

  // For a top without WLAST: the beat the memory expects to be last.
  bool expected_wlast() const { return !writes.empty() && writes.front().beat == writes.front().len; }

  bool stalled() { return stall > 0 && rng.uniform() < stall; }

  static void pack_addr(uint8_t* p, uint64_t addr, uint32_t len, uint32_t size, uint32_t burst) {
    std::memcpy(p, &addr, 8);
    std::memcpy(p + 8, &len, 4);
    std::memcpy(p + 12, &size, 4);
    std::memcpy(p + 16, &burst, 4);
    std::memset(p + 20, 0, 4);
  }
};

// ---------------------------------------------------------------- job file
inline std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "tb: cannot read %s\n", path.c_str());
    std::exit(2);
  }
  f.seekg(0, std::ios::end);
  std::vector<uint8_t> data(size_t(f.tellg()));
  f.seekg(0, std::ios::beg);
  if (!data.empty() && !f.read(reinterpret_cast<char*>(data.data()), std::streamsize(data.size()))) {
    std::fprintf(stderr, "tb: cannot read %s\n", path.c_str());
    std::exit(2);
  }
  return data;
}

inline void write_file(const std::string& path, const uint8_t* data, size_t n) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || (n && std::fwrite(data, 1, n, f) != n)) {
    std::fprintf(stderr, "tb: cannot write %s\n", path.c_str());
    std::exit(2);
  }
  std::fclose(f);
}

inline std::string json_str(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    o += c;
  }
  return o + "\"";
}

}  // namespace tb
