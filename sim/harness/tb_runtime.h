// The hand-written half of the sparsegrad co-simulation testbench. The
// generated half (testbench.ts) binds these models to the top's ports, so this
// file knows nothing about any particular design or register map.
//
// Timing of one cycle (see run_job in tb_main.h):
//   1. the testbench drives its outputs from its registered state, clock low, eval;
//   2. every handshake is sampled (valid && ready as both sides see them);
//   3. rising edge, eval: the design registers the same inputs;
//   4. the testbench's models advance on the sampled handshakes and choose the
//      next cycle's outputs (never combinationally from the design's outputs,
//      so no loops are possible).
// Cycle 0, the first after reset, is quiet: every VALID the testbench drives stays
// low in it (AXI4 A3.1.2, AXI4-Stream 2.7.2) and its models first choose in step 4
// of cycle 0 (open_models), so a job's first beat or command is in cycle 1.
// Every random choice comes from a seeded xorshift generator per model, so a
// job and its seed give the same cycles and the same files every time.
//
// Speed: the per-cycle code runs between two evals of the model, so it is
// written the way Verilator writes its own: no allocation in steady state (the
// queues are rings that only grow), no virtual calls, no maps, everything the
// loop calls inlined (Verilator's makefiles compile this file -Os, which
// leaves small helpers as calls; sim/build overrides that with -O2, but the
// code does not count on it), a channel with nothing on it costs a test
// or two, and every error message is built out of line.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "verilated.h"

#define TB_HOT __attribute__((always_inline)) inline
#define TB_COLD __attribute__((cold, noinline))

namespace tb {

// ---------------------------------------------------------------- port access
// Ports up to 64 bits are plain integers; wider ones are VlWide<words> of
// 32-bit words, least significant first. Hosts are little-endian (x86, arm64),
// so bytes move with memcpy; the unused top bits are cleared as Verilator expects.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the testbench assumes a little-endian host");
template <typename T>
TB_HOT void put_port(T& port, const uint8_t* src, int width) {
  uint64_t v = 0;
  std::memcpy(&v, src, size_t((width + 7) / 8));
  if (width < 64) v &= (uint64_t(1) << width) - 1;
  port = static_cast<T>(v);
}
template <std::size_t W>
TB_HOT void put_port(VlWide<W>& port, const uint8_t* src, int width) {
  const size_t bytes = size_t((width + 7) / 8);
  // Only the top word can be partly covered by the bytes.
  if (bytes < W * 4) port.data()[W - 1] = 0;
  std::memcpy(port.data(), src, bytes);
  const int top_bits = width - int(W - 1) * 32;
  if (top_bits < 32) port.data()[W - 1] &= (uint32_t(1) << top_bits) - 1;
}
template <typename T>
TB_HOT void get_port(const T& port, uint8_t* dst, int width) {
  const uint64_t v = static_cast<uint64_t>(port);
  std::memcpy(dst, &v, size_t((width + 7) / 8));
}
template <std::size_t W>
TB_HOT void get_port(const VlWide<W>& port, uint8_t* dst, int width) {
  std::memcpy(dst, port.data(), size_t((width + 7) / 8));
}

// A memcpy whose size is known only at run time compiles to `rep movsb` under
// -Os and to a libc call under -O2, either of which costs more than the short
// copy: beats and held payloads move a word at a time instead.
TB_HOT void copy_bytes(uint8_t* dst, const uint8_t* src, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) std::memcpy(dst + i, src + i, 8);
  for (; i < n; ++i) dst[i] = src[i];
}

// FNV-1a, for the digest of a model's outputs (replay check).
constexpr uint64_t kFnvBasis = 0xcbf29ce484222325ull;
inline uint64_t fnv1a(uint64_t h, const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

// ---------------------------------------------------------------- randomness
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {
    if (s == 0) s = 1;
    for (int i = 0; i < 4; ++i) next();
  }
  TB_HOT uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
  // Uniform in [0, 1).
  TB_HOT double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }
  TB_HOT uint32_t below(uint32_t n) { return uint32_t(next() % n); }
};

enum class Pressure { None, Random, Bursty };

// Whether a stream end offers (source) or accepts (sink) in a cycle.
struct Gate {
  Pressure mode;
  Rng rng;
  bool on = true;
  uint32_t run = 0;
  Gate(Pressure m, uint64_t seed) : mode(m), rng(seed) {}
  TB_HOT bool next() {
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
// One protocol violation: a stable rule id (the table of rules, with their
// specification references, is sim/harness/rules.ts), the channel, the cycle
// and the values involved. The first 64 are kept; all are counted.
struct Violation {
  const char* rule;
  std::string channel;
  uint64_t cycle;
  std::string detail;
};
struct Errors {
  std::vector<Violation> list;
  size_t total = 0;
  // Past the first 64, the first of each rule is still kept: one rule repeated cannot hide another.
  TB_COLD void add(uint64_t cycle, const char* rule, const std::string& channel, const std::string& detail) {
    ++total;
    bool keep = list.size() < 64;
    if (!keep) {
      keep = true;
      for (const Violation& v : list) keep = keep && std::strcmp(v.rule, rule) != 0;
    }
    if (keep) list.push_back({rule, channel, cycle, detail});
  }
};

inline std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "%llx", (unsigned long long)v);
  return b;
}
// A payload as one little-endian hex number (most significant byte first).
TB_COLD inline std::string bytes_hex(const uint8_t* p, size_t n) {
  std::string o = "0x";
  char b[4];
  for (size_t i = n; i-- > 0;) {
    std::snprintf(b, sizeof b, "%02x", p[i]);
    o += b;
  }
  return o;
}

// AXI rule: once valid is high without ready, valid and the payload hold until
// the handshake. The payload (a fixed number of bytes per channel) is compared
// byte for byte. Only called while the channel is valid or pending.
struct Stability {
  const char* channel;
  const char* valid_rule;    // AXI-VALID-HOLD or AXIS-TVALID-HOLD
  const char* payload_rule;  // AXI-PAYLOAD-HOLD or AXIS-PAYLOAD-HOLD
  bool pending = false;
  std::vector<uint8_t> held;
  Stability(const char* ch, size_t bytes, bool stream = false)
      : channel(ch), valid_rule(stream ? "AXIS-TVALID-HOLD" : "AXI-VALID-HOLD"), payload_rule(stream ? "AXIS-PAYLOAD-HOLD" : "AXI-PAYLOAD-HOLD"), held(bytes) {}
  TB_HOT void check(uint64_t cycle, bool valid, bool ready, const uint8_t* payload, Errors& err) {
    if (pending) {
      if (!valid) dropped(cycle, err);
      else if (std::memcmp(held.data(), payload, held.size()) != 0) changed(cycle, err);
    }
    pending = valid && !ready;
    if (pending) copy_bytes(held.data(), payload, held.size());
  }
  TB_COLD void dropped(uint64_t cycle, Errors& err) { err.add(cycle, valid_rule, channel, "valid dropped before the handshake"); }
  TB_COLD void changed(uint64_t cycle, Errors& err) {
    err.add(cycle, payload_rule, channel, "payload changed while valid waited for ready: held " + bytes_hex(held.data(), held.size()));
  }
};

// ---------------------------------------------------------------- streams
struct InStream {
  const char* name;
  int width;  // tdata bits
  size_t data_bytes;
  std::vector<uint8_t> buf;
  size_t count = 0, next_beat = 0;
  Gate gate;
  // Driven; dirty: changed since the ports were last written
  bool valid = false, dirty = true;
  // Sampled
  bool ready = false;
  uint64_t stall_cycles = 0;
  InStream(const char* n, int w, Pressure p, uint64_t seed) : name(n), width(w), data_bytes(size_t(w + 7) / 8), gate(p, seed) {}
  TB_HOT const uint8_t* beat() const { return &buf[next_beat * (data_bytes + 1)]; }
  TB_HOT bool last() const { return beat()[data_bytes] & 1; }
  TB_HOT void advance() {
    const bool fired = valid && ready;
    if (valid && !ready) ++stall_cycles;
    if (fired) ++next_beat;
    // AXI-Stream: a presented beat stays until taken; gaps only between beats.
    if (!valid || fired) {
      const bool v = next_beat < count && gate.next();
      dirty = dirty || fired || v != valid;
      valid = v;
    }
  }
};

struct OutStream {
  const char* name;
  int width;
  size_t data_bytes;
  std::vector<uint8_t> out;
  std::vector<uint64_t> beat_cycles;  // when each beat was taken: locates a mismatch for the VCD window
  std::vector<uint8_t> scratch;       // the beat on the port: tdata bytes, then the tlast byte
  Gate gate;
  Stability stable;
  bool ready = false;                // driven
  bool valid = false, last = false;  // sampled (last only while valid)
  uint64_t beats = 0, stall_cycles = 0;
  // The job's packets (job key `packets`): runs of (beats per packet, packets).
  // check_packets false: the job gave none, and TLAST and the beat count are not checked.
  struct Run {
    uint32_t beats;
    uint64_t packets;
  };
  std::vector<Run> packets;
  bool check_packets = false;
  size_t run = 0;
  uint64_t packet = 0;
  uint32_t beat_in_packet = 0;
  OutStream(const char* n, int w, Pressure p, uint64_t seed)
      : name(n), width(w), data_bytes(size_t(w + 7) / 8), scratch(data_bytes + 1), gate(p, seed), stable(n, data_bytes + 1, true) {}
  TB_HOT bool busy() const { return valid || stable.pending; }
  TB_HOT void sample(uint64_t cycle, Errors& err) {
    scratch[data_bytes] = last ? 1 : 0;
    stable.check(cycle, valid, ready, scratch.data(), err);
    if (valid && ready) {
      out.insert(out.end(), scratch.begin(), scratch.end());
      beat_cycles.push_back(cycle);
      ++beats;
      if (check_packets) check_packet(cycle, err);
    } else if (valid) {
      ++stall_cycles;
    }
  }
  // TLAST exactly on the last beat of each packet, and no beat after the job's last.
  TB_HOT void check_packet(uint64_t cycle, Errors& err) {
    if (run >= packets.size()) return extra_beat(cycle, err);
    const Run& r = packets[run];
    if (last != (beat_in_packet + 1 == r.beats)) tlast_error(cycle, r.beats, err);
    if (++beat_in_packet == r.beats) {
      beat_in_packet = 0;
      if (++packet == r.packets) packet = 0, ++run;
    }
  }
  TB_COLD void tlast_error(uint64_t cycle, uint32_t len, Errors& err) {
    err.add(cycle, "AXIS-TLAST", name,
            std::string("TLAST ") + (last ? "set" : "clear") + " on beat " + std::to_string(beat_in_packet) + " of a " + std::to_string(len) +
                "-beat packet (stream beat " + std::to_string(beats - 1) + ")");
  }
  TB_COLD void extra_beat(uint64_t cycle, Errors& err) {
    uint64_t expected = 0;
    for (const Run& r : packets) expected += uint64_t(r.beats) * r.packets;
    err.add(cycle, "AXIS-EXTRA-BEAT", name, "beat " + std::to_string(beats - 1) + " after the job's last (" + std::to_string(expected) + " beats expected)");
  }
  TB_HOT void advance() { ready = gate.next(); }
};

// ---------------------------------------------------------------- AXI4-Lite master
struct LiteCmd {
  // Poke: a write whose response is logged, not checked (cycles: cycles BREADY is held low after the handshake).
  // Expect: one read that must satisfy (data & mask) == value. Wait with quiescent: a completion point.
  enum Op { Write, Read, Wait, Idle, Poke, Expect } op;
  uint32_t addr = 0, data = 0, mask = 0;
  uint64_t cycles = 0;
  bool quiescent = false;
};

struct LiteMaster {
  std::vector<LiteCmd> script;
  size_t pc = 0;
  // Driven; dirty: changed since the ports were last written
  bool awvalid = false, wvalid = false, bready = false, arvalid = false, rready = false, dirty = true;
  uint32_t awaddr = 0, wdata = 0, araddr = 0;
  // Sampled (data and responses only while their valid is high)
  bool awready = false, wready = false, bvalid = false, arready = false, rvalid = false;
  uint32_t rdata = 0, bresp = 0, rresp = 0;
  // Progress of the current command
  bool aw_done = false, w_done = false, ar_done = false, started = false;
  uint64_t idle_left = 0, handshake = 0;
  // Set in the cycle a quiescent wait completes: the harness then checks nothing is outstanding.
  bool completion = false;
  struct ReadLog {
    uint32_t addr, data;
    uint64_t cycle;
  };
  std::vector<ReadLog> reads;
  struct PokeLog {
    uint32_t addr, data, resp;
    uint64_t handshake, b_cycle;  // the cycle both AW and W had been taken; the B handshake
  };
  std::vector<PokeLog> pokes;
  Stability b_stable{"s_axil_b", 4}, r_stable{"s_axil_r", 8};

  TB_HOT bool done() const { return pc >= script.size(); }
  TB_HOT bool busy() const { return rvalid || bvalid || r_stable.pending || b_stable.pending; }

  TB_HOT void sample(uint64_t cycle, Errors& err) {
    uint8_t r[8];
    std::memcpy(r, &rdata, 4);
    std::memcpy(r + 4, &rresp, 4);
    r_stable.check(cycle, rvalid, rready, r, err);
    b_stable.check(cycle, bvalid, bready, reinterpret_cast<const uint8_t*>(&bresp), err);
  }

  // Called after the edge with this cycle's sampled handshakes. The driven
  // signals always belong to the current command: drive() runs right after
  // the command becomes current or its progress changes.
  TB_HOT void advance(uint64_t cycle, Errors& err) {
    if (done()) return;
    LiteCmd& c = script[pc];
    bool finished = false, moved = false;
    switch (c.op) {
      case LiteCmd::Idle:
        if (!started) idle_left = c.cycles, started = true;
        if (idle_left > 0) --idle_left;
        finished = idle_left == 0;
        break;
      case LiteCmd::Write:
      case LiteCmd::Poke:
        if (awvalid && awready) aw_done = true, moved = true;
        if (wvalid && wready) w_done = true, moved = true;
        if (moved && aw_done && w_done) handshake = cycle, idle_left = c.cycles;
        else if (aw_done && w_done && !bready && idle_left > 0 && --idle_left == 0) moved = true;
        if (bready && bvalid) {
          if (c.op == LiteCmd::Poke) pokes.push_back({c.addr, c.data, bresp, handshake, cycle});
          else if (bresp != 0) bad_response(cycle, "write to", c.addr, "BRESP", bresp, err);
          finished = true;
        }
        break;
      case LiteCmd::Read:
      case LiteCmd::Wait:
      case LiteCmd::Expect:
        if (arvalid && arready) ar_done = true, moved = true;
        if (rready && rvalid) {
          if (rresp != 0) bad_response(cycle, "read of", c.addr, "RRESP", rresp, err);
          if (c.op == LiteCmd::Read) {
            reads.push_back({c.addr, rdata, cycle});
            finished = true;
          } else if (c.op == LiteCmd::Expect) {
            if ((rdata & c.mask) != c.data) unexpected(cycle, c, rdata, err);
            finished = true;
          } else if ((rdata & c.mask) == c.data) {
            completion = c.quiescent;
            finished = true;
          } else {
            ar_done = false;  // poll again
            moved = true;
          }
        }
        break;
    }
    if (finished) {
      ++pc;
      started = false;
      aw_done = w_done = ar_done = false;
    }
    if (finished || moved) drive();
  }

  TB_HOT void drive() {
    dirty = true;
    awvalid = wvalid = bready = arvalid = rready = false;
    if (done()) return;
    const LiteCmd& c = script[pc];
    switch (c.op) {
      case LiteCmd::Write:
      case LiteCmd::Poke:
        awaddr = c.addr;
        wdata = c.data;
        awvalid = !aw_done;
        wvalid = !w_done;
        bready = aw_done && w_done && idle_left == 0;
        break;
      case LiteCmd::Read:
      case LiteCmd::Wait:
      case LiteCmd::Expect:
        araddr = c.addr;
        arvalid = !ar_done;
        rready = ar_done;
        break;
      case LiteCmd::Idle: break;
    }
  }

  TB_COLD static void bad_response(uint64_t cycle, const char* what, uint32_t addr, const char* field, uint32_t resp, Errors& err) {
    err.add(cycle, "AXIL-OKAY", std::string("s_axil_") + (field[0] == 'B' ? "b" : "r"), std::string(what) + " 0x" + hex(addr) + " answered " + field + "=" + std::to_string(resp));
  }
  TB_COLD static void unexpected(uint64_t cycle, const LiteCmd& c, uint32_t got, Errors& err) {
    err.add(cycle, "AXIL-EXPECT", "s_axil_r", "read of 0x" + hex(c.addr) + " gave 0x" + hex(got) + "; (data & 0x" + hex(c.mask) + ") must be 0x" + hex(c.data));
  }
};

// ---------------------------------------------------------------- AXI4 memory (slave)
struct Burst {
  uint64_t addr;
  uint32_t len;  // beats - 1
  uint64_t due;  // first cycle the data (or B) may be presented
  uint32_t beat = 0;
  uint64_t id = 0;  // write bursts: their order of AW acceptance (the model checks its B responses against it)
};

// FIFO of bursts in a power-of-two ring: push and pop never allocate once the
// ring has grown to the most bursts ever queued at once.
struct BurstQueue {
  std::vector<Burst> slots = std::vector<Burst>(8);
  size_t head = 0, n = 0;
  TB_HOT bool empty() const { return n == 0; }
  TB_HOT size_t size() const { return n; }
  TB_HOT Burst& front() { return slots[head]; }
  TB_HOT void push(const Burst& b) {
    if (n == slots.size()) grow();
    slots[(head + n) & (slots.size() - 1)] = b;
    ++n;
  }
  TB_HOT void pop() {
    head = (head + 1) & (slots.size() - 1);
    --n;
  }
  TB_COLD void grow() {
    std::vector<Burst> bigger(slots.size() * 2);
    for (size_t i = 0; i < n; ++i) bigger[i] = slots[(head + i) & (slots.size() - 1)];
    slots.swap(bigger);
    head = 0;
  }
};

struct AxiMem {
  int data_bits = 64;
  size_t bus_bytes = 8, strb_bytes = 1;
  std::vector<uint8_t> mem;
  uint64_t latency = 1;
  double stall = 0.0;
  size_t max_outstanding = 16;
  Rng rng{1};
  // What the design declares (0: not checked): read bursts in flight, write bursts awaiting B.
  size_t declared_reads = 0, declared_writes = 0;
  // Cycles an R or B beat may wait for the design's ready before it is a violation.
  uint64_t response_bound = 1000, r_wait = 0, b_wait = 0;
  // Deliberate faults of the model itself, for the tests of its self-checks: 1 = a B
  // answered at the first W beat of a burst, 2 = one R beat too many per burst.
  int fault = 0;

  BurstQueue reads, writes, bresps;

  // Driven; dirty: changed since the ports were last written; quiet: nothing queued, nothing offered
  bool arready = false, rvalid = false, rlast = false, awready = false, wready = false, bvalid = false;
  bool dirty = true, quiet = false;
  uint32_t rresp = 0, bresp = 0;
  std::vector<uint8_t> rdata;
  // Sampled (address and data fields only while their valid is high)
  bool arvalid = false, rready = false, awvalid = false, wvalid = false, wlast = false, bready = false;
  uint64_t araddr = 0, awaddr = 0;
  uint32_t arlen = 0, arsize = 0, arburst = 1, awlen = 0, awsize = 0, awburst = 1;
  // The W beat as the stability check compares it: data, then strobes, then WLAST.
  std::vector<uint8_t> w_payload;
  uint8_t* wdata = nullptr;
  uint8_t* wstrb = nullptr;

  Stability ar_stable{"m_axi_ar", 24}, aw_stable{"m_axi_aw", 24}, w_stable{"m_axi_w", 0};
  uint64_t read_bursts = 0, read_beats = 0, write_bursts = 0, write_beats = 0, max_in_flight = 0, w_completed = 0;
  // (cycle of the last W beat, address, beats) of every write burst: locates a wrong G row in time.
  std::vector<uint64_t> write_log;

  void init(int bits) {
    data_bits = bits;
    bus_bytes = size_t(bits / 8);
    strb_bytes = (bus_bytes + 7) / 8;
    rdata.assign(bus_bytes, 0);
    w_payload.assign(bus_bytes + strb_bytes + 1, 0);
    wdata = w_payload.data();
    wstrb = wdata + bus_bytes;
    w_stable.held.assign(w_payload.size(), 0);
  }

  TB_HOT bool in_range(uint64_t addr, uint64_t bytes) const { return addr + bytes <= mem.size(); }

  TB_COLD void check_burst(uint64_t cycle, const char* ch, uint64_t addr, uint32_t len, uint32_t size, uint32_t burst, Errors& err) {
    const std::string at = "burst at 0x" + hex(addr) + " of " + std::to_string(uint64_t(len) + 1) + " beats";
    if (burst != 1) err.add(cycle, "AXI4-BURST-INCR", ch, "burst type " + std::to_string(burst) + " (only INCR is allowed)");
    if (len > 255) err.add(cycle, "AXI4-BURST-LEN", ch, at + ": LEN " + std::to_string(len) + " > 255 (an INCR burst has at most 256 beats)");
    if ((uint64_t(1) << size) != bus_bytes)
      err.add(cycle, "AXI4-SIZE", ch, "size " + std::to_string(size) + " is not the full bus width (" + std::to_string(bus_bytes) + " bytes)");
    if (addr % bus_bytes) err.add(cycle, "AXI4-ALIGN", ch, "address 0x" + hex(addr) + " is not aligned to the bus width");
    const uint64_t bytes = (uint64_t(len) + 1) * bus_bytes;
    if ((addr & 0xfff) + bytes > 4096) err.add(cycle, "AXI4-4KB", ch, at + " crosses a 4 KiB boundary");
    if (!in_range(addr, bytes)) err.add(cycle, "AXI4-MEM-RANGE", ch, at + " runs past the end of the modelled memory (" + std::to_string(mem.size()) + " bytes)");
  }
  // The checks a burst must pass, as one test on the hot path; check_burst says which failed.
  TB_HOT bool burst_ok(uint64_t addr, uint32_t len, uint32_t size, uint32_t burst) const {
    const uint64_t bytes = (uint64_t(len) + 1) * bus_bytes;
    return burst == 1 && len <= 255 && (uint64_t(1) << size) == bus_bytes && addr % bus_bytes == 0 && (addr & 0xfff) + bytes <= 4096 && in_range(addr, bytes);
  }

  TB_COLD static void wlast_error(uint64_t cycle, bool wlast, const Burst& b, Errors& err) {
    err.add(cycle, "AXI4-WLAST", "m_axi_w",
            std::string("WLAST ") + (wlast ? "on beat " : "missing on beat ") + std::to_string(b.beat) + " of a " + std::to_string(b.len + 1) + "-beat burst at 0x" + hex(b.addr));
  }
  TB_COLD void too_many(uint64_t cycle, const char* rule, const char* ch, size_t n, size_t declared, Errors& err) {
    err.add(cycle, rule, ch, std::to_string(n) + " bursts outstanding; the design declares at most " + std::to_string(declared));
  }
  TB_COLD void not_accepted(uint64_t cycle, const char* rule, const char* ch, const Burst& b, Errors& err) {
    err.add(cycle, rule, ch, std::string("presented and not accepted for ") + std::to_string(response_bound) + " cycles (burst at 0x" + hex(b.addr) + ")");
  }
  TB_COLD static void model_error(uint64_t cycle, const char* rule, const char* ch, const std::string& what, Errors& err) { err.add(cycle, rule, ch, what); }

  // Byte by byte, for strobes that are not all set or a beat that leaves the modelled memory.
  TB_COLD void write_bytes(uint64_t cycle, uint64_t at, Errors& err) {
    bool full = true;
    for (size_t i = 0; i < bus_bytes; ++i) {
      const bool en = (wstrb[i / 8] >> (i % 8)) & 1;
      full = full && en;
      if (en && in_range(at + i, 1)) mem[at + i] = wdata[i];
    }
    if (!full) err.add(cycle, "AXI4-WSTRB", "m_axi_w", "partial WSTRB " + bytes_hex(wstrb, strb_bytes) + " at 0x" + hex(at) + " (the contract says full strobes)");
  }

  TB_HOT bool strobes_full() const {
    if (bus_bytes < 8) {
      const uint8_t m = uint8_t((1u << bus_bytes) - 1);
      return (wstrb[0] & m) == m;
    }
    for (size_t i = 0; i < strb_bytes; ++i)
      if (wstrb[i] != 0xff) return false;
    return true;
  }

  // Something for sample() to look at this cycle.
  TB_HOT bool busy() const {
    return arvalid | awvalid | wvalid | (rvalid & rready) | (bvalid & bready) | ar_stable.pending | aw_stable.pending | w_stable.pending;
  }

  // Step 2: handshakes as both sides see them before the edge.
  TB_HOT void sample(uint64_t cycle, Errors& err) {
    if (arvalid || ar_stable.pending) {
      uint8_t ar[24];
      pack_addr(ar, araddr, arlen, arsize, arburst);
      ar_stable.check(cycle, arvalid, arready, ar, err);
    }
    if (awvalid || aw_stable.pending) {
      uint8_t aw[24];
      pack_addr(aw, awaddr, awlen, awsize, awburst);
      aw_stable.check(cycle, awvalid, awready, aw, err);
    }
    if (wvalid || w_stable.pending) {
      w_payload[bus_bytes + strb_bytes] = wlast;
      w_stable.check(cycle, wvalid, wready, w_payload.data(), err);
    }

    if (arvalid && arready) {
      if (!burst_ok(araddr, arlen, arsize, arburst)) check_burst(cycle, "m_axi_ar", araddr, arlen, arsize, arburst, err);
      reads.push({araddr, arlen, cycle + latency});
      ++read_bursts;
      if (reads.size() > max_in_flight) max_in_flight = reads.size();
      if (declared_reads && reads.size() > declared_reads) too_many(cycle, "AXI4-OUTSTANDING-R", "m_axi_ar", reads.size(), declared_reads, err);
    }
    if (rvalid && rready) {
      Burst& b = reads.front();
      ++read_beats;
      if (++b.beat > b.len + (fault == 2)) reads.pop();
    }
    if (awvalid && awready) {
      if (!burst_ok(awaddr, awlen, awsize, awburst)) check_burst(cycle, "m_axi_aw", awaddr, awlen, awsize, awburst, err);
      writes.push({awaddr, awlen, 0, 0, write_bursts});
      ++write_bursts;
      const size_t n = writes.size() + bresps.size();
      if (declared_writes && n > declared_writes) too_many(cycle, "AXI4-OUTSTANDING-W", "m_axi_aw", n, declared_writes, err);
    }
    if (wvalid && wready) {
      Burst& b = writes.front();
      const uint64_t at = b.addr + uint64_t(b.beat) * bus_bytes;
      if (bool(wlast) != (b.beat == b.len)) wlast_error(cycle, wlast, b, err);
      if (strobes_full() && in_range(at, bus_bytes)) copy_bytes(&mem[at], wdata, bus_bytes);
      else write_bytes(cycle, at, err);
      ++write_beats;
      if (fault == 1 && b.beat == 0) bresps.push({b.addr, b.len, cycle + latency, 0, b.id});
      if (++b.beat > b.len || wlast) {
        ++w_completed;
        if (fault != 1) bresps.push({b.addr, b.len, cycle + latency, 0, b.id});
        write_log.insert(write_log.end(), {cycle, b.addr, uint64_t(b.beat)});
        writes.pop();
      }
    }
    if (bvalid && bready) bresps.pop();
  }

  // Whatever the memory still holds: read bursts not fully returned or taken, write bursts
  // missing W beats, B responses not taken. Empty when the design has finished its traffic.
  TB_COLD std::string outstanding() const {
    std::string o;
    auto add = [&](const char* what, size_t n) {
      if (n) o += (o.empty() ? "" : ", ") + std::to_string(n) + " " + what;
    };
    add("read bursts without their last R beat", reads.size());
    add("write bursts without their last W beat", writes.size());
    add("write bursts without their B accepted", bresps.size());
    return o;
  }

  // Step 4: choose what to present next cycle.
  TB_HOT void advance(uint64_t cycle, Errors& err) {
    // Nothing queued and no random stalls: nothing to present but the readies.
    // (A held R or B beat keeps its burst queued, so it never takes this path.)
    if (stall <= 0 && reads.empty() && writes.empty() && bresps.empty()) {
      if (!quiet) {
        arready = max_outstanding > 0;
        awready = true;
        wready = rvalid = bvalid = false;
        quiet = dirty = true;
      }
      return;
    }
    quiet = false;
    dirty = true;
    const uint64_t next = cycle + 1;
    // The order of the stalled() draws is part of a seed's meaning: keep it.
    arready = reads.size() < max_outstanding && !stalled();
    awready = writes.size() < 4 && !stalled();
    wready = !writes.empty() && !stalled();
    // R and B hold once presented (AXI rule for the slave side too); the cycles they wait
    // for the design are bounded (job key response_bound). `cycle` is the next cycle's.
    if (rvalid && !rready) {
      if (++r_wait == response_bound) not_accepted(cycle - 1, "AXI4-R-ACCEPT", "m_axi_r", reads.front(), err);
    } else {
      r_wait = 0;
      rvalid = !reads.empty() && reads.front().due <= next && !stalled();
      if (rvalid) {
        const Burst& b = reads.front();
        const uint64_t at = b.addr + uint64_t(b.beat) * bus_bytes;
        if (in_range(at, bus_bytes)) {
          copy_bytes(rdata.data(), &mem[at], bus_bytes);
          rresp = 0;
        } else {
          std::memset(rdata.data(), 0, bus_bytes);
          rresp = 2;  // SLVERR
        }
        rlast = b.beat == b.len;
        // Self-check (AXI4 A3.4.1): never a beat past the burst's LEN + 1.
        if (b.beat > b.len) model_error(cycle, "MODEL-R-BEATS", "m_axi_r", "the memory model presents beat " + std::to_string(b.beat) + " of a " + std::to_string(b.len + 1) + "-beat burst at 0x" + hex(b.addr), err);
      }
    }
    if (bvalid && !bready) {
      if (++b_wait == response_bound) not_accepted(cycle - 1, "AXI4-B-ACCEPT", "m_axi_b", bresps.front(), err);
    } else {
      b_wait = 0;
      bvalid = !bresps.empty() && bresps.front().due <= next && !stalled();
      if (bvalid) {
        const Burst& b = bresps.front();
        bresp = in_range(b.addr, uint64_t(b.len + 1) * bus_bytes) ? 0 : 2;
        // Self-check (AXI4 A3.3.1): B only after the burst's last W beat was taken.
        if (b.id >= w_completed) model_error(cycle, "MODEL-B-BEFORE-WLAST", "m_axi_b", "the memory model presents B for the burst at 0x" + hex(b.addr) + " before its last W beat", err);
      }
    }
  }

  // For a top without WLAST: the beat the memory expects to be last.
  TB_HOT bool expected_wlast() { return !writes.empty() && writes.front().beat == writes.front().len; }

  TB_HOT bool stalled() { return stall > 0 && rng.uniform() < stall; }

  TB_HOT static void pack_addr(uint8_t* p, uint64_t addr, uint32_t len, uint32_t size, uint32_t burst) {
    std::memcpy(p, &addr, 8);
    std::memcpy(p + 8, &len, 4);
    std::memcpy(p + 12, &size, 4);
    std::memcpy(p + 16, &burst, 4);
    std::memset(p + 20, 0, 4);
  }
};

// ---------------------------------------------------------------- the models of one top
struct StreamDecl {
  const char* name;
  int width;
};

struct Design {
  std::vector<StreamDecl> inputs, outputs;
};

struct Harness {
  std::vector<InStream> in;
  std::vector<OutStream> out;
  LiteMaster lite;
  AxiMem mem;
  Errors err;
  // Rules the harness's own masters broke (tb_main.h, check_own_valids): a bug of the
  // harness, never the design's, so they are kept apart and fail the run as one.
  Errors own;
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
