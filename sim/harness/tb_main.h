// The testbench's main loop and job file. Included by the generated main after
// kDesign, kHasLite, kAxiDataBits and the port-binding functions (tie_off,
// set_reset, set_clock, drive, drive_lite, sample, sample_lite).
//
// Usage of the built executable:
//   tb JOB.txt                  run the job (format written by sim/harness/run.ts)
//   tb --bare N                 reset, then N clock cycles with no I/O: the design idles
//                               (one untimed cycle between: the first after reset)
//   tb --bare N HOLD.txt        the same N cycles with every input held at a constant
//                               chosen before the loop, so the design can be kept busy
//                               (held from the second cycle after reset on)
//                               (format below); still no I/O, models or checks in the loop
//   tb --replay FRAMES.bin      reset, then one cycle per frame with the inputs a job
//                               recorded (job key `record FILE`): the job's exact
//                               workload on the bare model, with no models or checks
// Both bare loops and the job loop evaluate the model twice per cycle, clock
// low then clock high: Verilator 5 finds an edge by comparing the clock with
// its value at the previous eval, so a posedge needs an eval with the clock
// low before it, and that eval is also the one that settles the design's
// outputs on the testbench's new inputs before the handshakes are sampled.
//
// HOLD.txt takes job-file keys: `in NAME FILE` (the stream's first beat is
// offered in every cycle), `hold_read FILE` (one R beat, bus bytes then a flag
// byte whose bit0 is RLAST, valid in every cycle), `script FILE` (AXI4-Lite
// commands run before the timed loop), `after FILE` (commands run after it).
// Every output stream is ready, the AXI4 memory's readies and B (OKAY) are
// high. The scripts run with those inputs held, so the design may already be
// busy when the timed loop starts; reads of both scripts are printed.
#pragma once

#include <ctime>
#include <map>

#include "tb_runtime.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif

namespace tb {

struct Job {
  uint64_t seed = 1, cycle_limit = 1000000, drain = 16;
  Pressure pressure = Pressure::None;
  uint64_t mem_size = 0, mem_latency = 1, mem_outstanding = 16;
  uint64_t declared_reads = 0, declared_writes = 0, response_bound = 1000;
  int mem_fault = 0;
  // A deliberate fault of the harness's own masters, for the test of check_own_valids:
  // 1 = they raise VALID in the first cycle after reset, 2 = already during reset.
  int harness_fault = 0;
  double mem_stall = 0;
  // Per output stream: runs of (beats per packet, packets), checked by the AXIS-TLAST monitor.
  std::map<std::string, std::vector<OutStream::Run>> packets;
  std::vector<std::pair<uint64_t, std::string>> loads;
  struct Dump {
    std::string name;
    uint64_t base, bytes;
    std::string path;
  };
  std::vector<Dump> dumps;
  std::map<std::string, std::string> ins, outs;
  std::string script, after, hold_read, reads, pokes, result, vcd, record;
  uint64_t vcd_from = 0, vcd_to = 0;
};

[[noreturn]] inline void die(const std::string& msg) {
  std::fprintf(stderr, "tb: %s\n", msg.c_str());
  std::exit(2);
}

inline Job parse_job(const std::string& path) {
  std::ifstream f(path);
  if (!f) die("cannot read job file " + path);
  Job j;
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream ss(line);
    std::string key;
    if (!(ss >> key) || key[0] == '#') continue;
    if (key == "seed") ss >> j.seed;
    else if (key == "cycle_limit") ss >> j.cycle_limit;
    else if (key == "drain") ss >> j.drain;
    else if (key == "backpressure") {
      std::string m;
      ss >> m;
      j.pressure = m == "random" ? Pressure::Random : m == "bursty" ? Pressure::Bursty : Pressure::None;
    } else if (key == "mem_size") ss >> j.mem_size;
    else if (key == "mem_latency") ss >> j.mem_latency;
    else if (key == "mem_stall") ss >> j.mem_stall;
    else if (key == "mem_outstanding") ss >> j.mem_outstanding;
    else if (key == "declared_reads") ss >> j.declared_reads;
    else if (key == "declared_writes") ss >> j.declared_writes;
    else if (key == "response_bound") ss >> j.response_bound;
    else if (key == "mem_fault") ss >> j.mem_fault;
    else if (key == "harness_fault") ss >> j.harness_fault;
    else if (key == "packets") {
      // packets NAME BEATSxCOUNT ...
      std::string n, run;
      ss >> n;
      auto& runs = j.packets[n];
      while (ss >> run) {
        const size_t x = run.find('x');
        if (x == std::string::npos) die("packets " + n + ": runs are BEATSxCOUNT, got " + run);
        const uint64_t beats = std::strtoull(run.c_str(), nullptr, 10), count = std::strtoull(run.c_str() + x + 1, nullptr, 10);
        if (beats == 0 || beats > 0xffffffffull) die("packets " + n + ": a packet has 1 .. 2^32-1 beats, got " + run);
        if (count) runs.push_back({uint32_t(beats), count});
      }
    }
    else if (key == "load") {
      uint64_t base;
      std::string p;
      ss >> base >> p;
      j.loads.emplace_back(base, p);
    } else if (key == "dump") {
      Job::Dump d;
      ss >> d.name >> d.base >> d.bytes >> d.path;
      j.dumps.push_back(d);
    } else if (key == "in") {
      std::string n, p;
      ss >> n >> p;
      j.ins[n] = p;
    } else if (key == "out") {
      std::string n, p;
      ss >> n >> p;
      j.outs[n] = p;
    } else if (key == "script") ss >> j.script;
    else if (key == "after") ss >> j.after;
    else if (key == "hold_read") ss >> j.hold_read;
    else if (key == "reads") ss >> j.reads;
    else if (key == "pokes") ss >> j.pokes;
    else if (key == "result") ss >> j.result;
    else if (key == "record") ss >> j.record;
    else if (key == "vcd") ss >> j.vcd >> j.vcd_from >> j.vcd_to;
    else die("unknown job key " + key);
  }
  return j;
}

inline std::vector<LiteCmd> parse_script(const std::string& path) {
  std::vector<LiteCmd> cmds;
  if (path.empty()) return cmds;
  std::ifstream f(path);
  if (!f) die("cannot read script " + path);
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    ++n;
    std::istringstream ss(line);
    std::string op, a, b, c, d;
    if (!(ss >> op) || op[0] == '#') continue;
    ss >> a >> b >> c >> d;
    auto num = [&](const std::string& s) -> uint64_t {
      if (s.empty()) die("script line " + std::to_string(n) + ": missing operand");
      return std::strtoull(s.c_str(), nullptr, 0);
    };
    LiteCmd cmd{};
    if (op == "write") cmd.op = LiteCmd::Write, cmd.addr = uint32_t(num(a)), cmd.data = uint32_t(num(b));
    else if (op == "read") cmd.op = LiteCmd::Read, cmd.addr = uint32_t(num(a));
    else if (op == "wait") {
      cmd.op = LiteCmd::Wait, cmd.addr = uint32_t(num(a)), cmd.mask = uint32_t(num(b)), cmd.data = uint32_t(num(c));
      if (d == "quiescent") cmd.quiescent = true;
      else if (!d.empty()) die("script line " + std::to_string(n) + ": wait takes ADDR MASK VALUE [quiescent]");
    } else if (op == "expect") cmd.op = LiteCmd::Expect, cmd.addr = uint32_t(num(a)), cmd.mask = uint32_t(num(b)), cmd.data = uint32_t(num(c));
    else if (op == "poke") cmd.op = LiteCmd::Poke, cmd.addr = uint32_t(num(a)), cmd.data = uint32_t(num(b)), cmd.cycles = c.empty() ? 0 : num(c);
    else if (op == "idle") cmd.op = LiteCmd::Idle, cmd.cycles = num(a);
    else die("script line " + std::to_string(n) + ": unknown command " + op);
    if (cmd.op == LiteCmd::Idle && cmd.cycles == 0) continue;
    cmds.push_back(cmd);
  }
  return cmds;
}

// The reset rules, for both sides of every port (rules AXI-RESET-VALID, AXIS-RESET-TVALID):
// - AXI4 (IHI 0022E) A3.1.2: during reset a master drives ARVALID, AWVALID and WVALID LOW
//   and a slave drives RVALID and BVALID LOW; "the earliest point after reset that a master
//   is permitted to begin driving ARVALID, AWVALID, or WVALID HIGH is at a rising ACLK edge
//   after ARESETn is HIGH" (Figure A3-1; ARM's checker AXI4_ERRM_AWVALID_RESET).
// - AXI4-Stream (IHI 0051A) 2.7.2: the same for TVALID (ARM's AXI4STREAM_ERRM_TVALID_RESET:
//   "TVALID is LOW for the first cycle after ARESETn goes HIGH").
// - A slave's RVALID and BVALID answer a request (A3.3.1), and none can be made before that
//   first edge, so they are low in the first cycle after reset too: ZipCPU's wb2axip
//   formal properties (faxi_slave.v) assert !RVALID && !BVALID in every cycle after one in reset.
// Cycle 0 of a job is that first cycle: reset was sampled asserted at the edge before it.

// Every VALID the design drives. Sampled ports are in h (sample()).
TB_COLD void check_reset_valids(Harness& h, uint64_t cycle, const char* when) {
  for (auto& s : h.out)
    if (s.valid) h.err.add(cycle, "AXIS-RESET-TVALID", s.name, std::string("TVALID high ") + when);
  auto axi = [&](bool v, const char* ch) {
    if (v) h.err.add(cycle, "AXI-RESET-VALID", ch, std::string("VALID high ") + when);
  };
  if (kAxiDataBits) axi(h.mem.arvalid, "m_axi_ar"), axi(h.mem.awvalid, "m_axi_aw"), axi(h.mem.wvalid, "m_axi_w");
  if (kHasLite) axi(h.lite.bvalid, "s_axil_b"), axi(h.lite.rvalid, "s_axil_r");
}

// Every VALID the harness drives, by the same rules: its stream sources and AXI4-Lite master are
// masters, its memory a slave. What the models hold is what drive() put on the ports.
TB_COLD void check_own_valids(Harness& h, uint64_t cycle, const char* when) {
  for (auto& s : h.in)
    if (s.valid) h.own.add(cycle, "AXIS-RESET-TVALID", std::string("s_axis_") + s.name, std::string("the harness's source drove TVALID high ") + when);
  auto axi = [&](bool v, const char* ch, const char* who) {
    if (v) h.own.add(cycle, "AXI-RESET-VALID", ch, std::string("the harness's ") + who + " drove VALID high " + when);
  };
  if (kHasLite) axi(h.lite.awvalid, "s_axil_aw", "AXI4-Lite master"), axi(h.lite.wvalid, "s_axil_w", "AXI4-Lite master"), axi(h.lite.arvalid, "s_axil_ar", "AXI4-Lite master");
  if (kAxiDataBits) axi(h.mem.rvalid, "m_axi_r", "memory"), axi(h.mem.bvalid, "m_axi_b", "memory");
}

// harness_fault: the harness's own masters raise VALID early, as a harness bug would. The
// sources offer their first beat, the AXI4-Lite master presents its first command and the
// memory answers R and B that nobody asked for (the run stops before any is taken).
TB_COLD void raise_own_valids(Harness& h) {
  for (auto& s : h.in) s.valid = s.count > 0, s.dirty = true;
  h.lite.drive();
  if (kAxiDataBits) h.mem.rvalid = h.mem.bvalid = h.mem.dirty = true;
}

// A completion point (a `wait ... quiescent` that just matched): nothing may be outstanding.
TB_COLD void check_completion(Harness& h, uint64_t cycle) {
  if (kAxiDataBits) {
    if (!h.mem.reads.empty())
      h.err.add(cycle, "DONE-READS", "m_axi_r", "completion with " + std::to_string(h.mem.reads.size()) + " read bursts still waiting for their last R beat");
    if (!h.mem.writes.empty() || !h.mem.bresps.empty())
      h.err.add(cycle, "DONE-WRITES", "m_axi_b",
                "completion with " + std::to_string(h.mem.writes.size()) + " write bursts missing W beats and " + std::to_string(h.mem.bresps.size()) + " without their B accepted");
  }
  for (auto& s : h.out)
    if (s.valid && !s.ready) h.err.add(cycle, "DONE-STREAM", s.name, "completion with a beat still offered and not taken");
}

template <typename Top>
void reset(Top* t, Harness& h) {
  tie_off(t);
  drive(t, h);
  set_reset(t, true);
  for (int i = 0; i < 8; ++i) {
    set_clock(t, false);
    t->eval();
    set_clock(t, true);
    t->eval();
    sample(t, h);
    // Before the first edge a synchronously reset design holds whatever it powered up with.
    if (i > 0) check_reset_valids(h, 0, "during reset");
    check_own_valids(h, 0, "during reset");
  }
  set_clock(t, false);
  set_reset(t, false);
  t->eval();
}

// The streams and memory of a job, with its backpressure and seed.
inline void load_models(Harness& h, const Job& job) {
  for (size_t i = 0; i < kDesign.inputs.size(); ++i) {
    const auto& d = kDesign.inputs[i];
    h.in.emplace_back(d.name, d.width, job.pressure, job.seed * 1000003ull + i + 1);
    auto it = job.ins.find(d.name);
    if (it != job.ins.end()) {
      h.in.back().buf = read_file(it->second);
      const size_t stride = h.in.back().data_bytes + 1;
      if (h.in.back().buf.size() % stride)
        die("stream " + std::string(d.name) + ": file size is not a whole number of " + std::to_string(stride) + "-byte beats");
      h.in.back().count = h.in.back().buf.size() / stride;
    }
  }
  for (const auto& kv : job.ins) {
    bool known = false;
    for (auto& d : kDesign.inputs) known = known || kv.first == d.name;
    if (!known) die("the top has no input stream s_axis_" + kv.first);
  }
  for (size_t i = 0; i < kDesign.outputs.size(); ++i) {
    const auto& d = kDesign.outputs[i];
    h.out.emplace_back(d.name, d.width, job.pressure, job.seed * 1000003ull + 500 + i);
    auto it = job.packets.find(d.name);
    if (it != job.packets.end()) h.out.back().packets = it->second, h.out.back().check_packets = true;
  }
  for (const auto& kv : job.packets) {
    bool known = false;
    for (auto& d : kDesign.outputs) known = known || kv.first == d.name;
    if (!known) die("the top has no output stream m_axis_" + kv.first);
  }
  h.lite.script = parse_script(job.script);
  if (!kHasLite && !h.lite.script.empty()) die("the job has an AXI4-Lite script but the top has no s_axil_* port");
  if (kAxiDataBits) {
    h.mem.init(kAxiDataBits);
    h.mem.mem.assign(job.mem_size, 0);
    h.mem.latency = job.mem_latency < 1 ? 1 : job.mem_latency;
    h.mem.stall = job.mem_stall;
    h.mem.max_outstanding = job.mem_outstanding;
    h.mem.declared_reads = job.declared_reads;
    h.mem.declared_writes = job.declared_writes;
    h.mem.response_bound = job.response_bound < 1 ? 1 : job.response_bound;
    h.mem.fault = job.mem_fault;
    h.mem.rng = Rng(job.seed * 7919ull + 17);
    for (const auto& [base, path] : job.loads) {
      const auto bytes = read_file(path);
      if (base + bytes.size() > h.mem.mem.size()) die("memory load at " + std::to_string(base) + " runs past the modelled memory");
      std::memcpy(&h.mem.mem[base], bytes.data(), bytes.size());
    }
  }
}

// The timed loop of both baselines: nothing but the clock changes.
template <typename Top>
void clock_loop(Top* t, uint64_t cycles) {
  for (uint64_t c = 0; c < cycles; ++c) {
    set_clock(t, false);
    t->eval();
    set_clock(t, true);
    t->eval();
  }
}

// Runs h.lite.script to its end with every other input left as it is (the held constants).
template <typename Top>
void run_lite(Top* t, Harness& h, const char* which) {
  h.lite.pc = 0;
  h.lite.drive();
  for (uint64_t cycle = 0; !h.lite.done(); ++cycle) {
    if (cycle == 1000000) die(std::string("the ") + which + " script did not finish in 1000000 cycles");
    drive_lite(t, h);
    set_clock(t, false);
    t->eval();
    sample_lite(t, h);
    if (h.lite.busy()) h.lite.sample(cycle, h.err);
    set_clock(t, true);
    t->eval();
    h.lite.advance(cycle, h.err);
  }
}

template <typename Top>
int bare_loop(uint64_t cycles, const char* hold_path) {
  VerilatedContext ctx;
  Top* t = new Top{&ctx};
  Harness h;
  Job job;
  if (hold_path) job = parse_job(hold_path);
  load_models(h, job);
  if (hold_path && !job.hold_read.empty() && !kAxiDataBits) die("hold_read given but the top has no m_axi_* port");
  reset(t, h);
  // The held VALIDs rise after the first cycle out of reset, as a job's do (check_reset_valids).
  clock_loop(t, 1);
  if (hold_path) {
    for (auto& s : h.in) s.valid = s.count > 0, s.dirty = true;  // beat 0, never taken: next_beat stays 0
    for (auto& s : h.out) s.ready = true;
    if (kAxiDataBits) {
      h.mem.arready = h.mem.awready = h.mem.wready = h.mem.bvalid = h.mem.dirty = true;
      if (!job.hold_read.empty()) {
        const auto beat = read_file(job.hold_read);
        if (beat.size() != h.mem.bus_bytes + 1) die("hold_read must be one " + std::to_string(h.mem.bus_bytes + 1) + "-byte beat");
        std::memcpy(h.mem.rdata.data(), beat.data(), h.mem.bus_bytes);
        h.mem.rlast = beat[h.mem.bus_bytes] & 1;
        h.mem.rvalid = true;
      }
    }
    drive(t, h);
    run_lite(t, h, "setup");
  }

  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  clock_loop(t, cycles);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = double(std::clock() - cpu_start) / CLOCKS_PER_SEC;

  if (hold_path) {
    h.lite.script = parse_script(job.after);
    run_lite(t, h, "after");
  }
  std::printf("{\"cycles\":%llu,\"sim_seconds\":%.6f,\"cpu_seconds\":%.6f,\"errors_total\":%zu,\"reads\":[", (unsigned long long)cycles, secs, cpu,
              h.err.total);
  for (size_t i = 0; i < h.lite.reads.size(); ++i) std::printf("%s[%u,%u]", i ? "," : "", h.lite.reads[i].addr, h.lite.reads[i].data);
  std::printf("]}\n");
  t->final();
  delete t;
  return 0;
}

// The job's own workload without the harness: its recorded inputs, one frame
// per cycle, are copied into the ports and nothing else happens between evals.
// The outputs' digest at the end shows the model went where the job went.
template <typename Top>
int replay_loop(const char* frames_path) {
  const std::vector<uint8_t> frames = read_file(frames_path);
  if (frames.empty() || frames.size() % kFrameBytes) die(std::string(frames_path) + ": not a whole number of " + std::to_string(kFrameBytes) + "-byte frames of this top");
  const uint64_t cycles = frames.size() / kFrameBytes;
  VerilatedContext ctx;
  Top* t = new Top{&ctx};
  Harness h;
  load_models(h, Job{});
  reset(t, h);

  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  const uint8_t* f = frames.data();
  for (uint64_t c = 0; c < cycles; ++c, f += kFrameBytes) {
    replay_inputs(t, f);
    set_clock(t, false);
    t->eval();
    set_clock(t, true);
    t->eval();
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = double(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  std::printf("{\"cycles\":%llu,\"sim_seconds\":%.6f,\"cpu_seconds\":%.6f,\"outputs_digest\":\"%016llx\"}\n", (unsigned long long)cycles, secs, cpu,
              (unsigned long long)outputs_digest(t));
  t->final();
  delete t;
  return 0;
}

// Steps 2 and 4 of a cycle (tb_runtime.h): every check is skipped on a channel with nothing on it.
TB_HOT void check_sampled(Harness& h, uint64_t cycle) {
  for (auto& s : h.out)
    if (s.busy()) s.sample(cycle, h.err);
  if (kHasLite && h.lite.busy()) h.lite.sample(cycle, h.err);
  if (kAxiDataBits && h.mem.busy()) h.mem.sample(cycle, h.err);
}
TB_HOT void advance_models(Harness& h, uint64_t cycle) {
  for (auto& s : h.in) s.advance();
  for (auto& s : h.out) s.advance();
  h.lite.advance(cycle, h.err);
  if (h.lite.completion) [[unlikely]] {
    h.lite.completion = false;
    check_completion(h, cycle);
  }
  if (kAxiDataBits) h.mem.advance(cycle + 1, h.err);
}
// The end of cycle 0, the first after reset, in which every VALID of the harness was low:
// the models choose what they present from cycle 1 on, as advance_models does each cycle after.
TB_COLD void open_models(Harness& h, uint64_t cycle) {
  for (auto& s : h.in) s.advance();
  for (auto& s : h.out) s.advance();
  h.lite.drive();
  if (kAxiDataBits) h.mem.advance(cycle + 1, h.err);
}

// kRecord: keep every cycle's inputs for --replay; a template argument, so a job
// that does not record pays nothing for it in the loop.
template <typename Top, bool kRecord>
int run_job(const Job& job) {
  VerilatedContext ctx;
  Top* t = new Top{&ctx};
  Harness h;
  load_models(h, job);

#if VM_TRACE
  VerilatedVcdC* vcd = nullptr;
  if (!job.vcd.empty()) {
    ctx.traceEverOn(true);
    vcd = new VerilatedVcdC;
    t->trace(vcd, 99);
    vcd->open(job.vcd.c_str());
  }
#endif

  if (job.harness_fault == 2) raise_own_valids(h);
  reset(t, h);
  if (job.harness_fault == 1) raise_own_valids(h);

  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  uint64_t cycle = 0, end_cycle = 0, drain = job.drain;
  bool finished = false, timed_out = false;
  auto inputs_taken = [&] {
    for (auto& s : h.in)
      if (s.next_beat < s.count) return false;
    return true;
  };
  std::vector<uint8_t> frames;
  while (true) {
    drive(t, h);
    if constexpr (kRecord) {
      frames.resize(frames.size() + kFrameBytes);
      record_inputs(t, frames.data() + frames.size() - kFrameBytes);
    }
    set_clock(t, false);
    t->eval();
#if VM_TRACE
    if (vcd && cycle >= job.vcd_from && cycle <= job.vcd_to) vcd->dump(cycle * 10);
#endif
    sample(t, h);
    if (cycle == 0) [[unlikely]] {
      check_reset_valids(h, 0, "in the first cycle after reset");
      check_own_valids(h, 0, "in the first cycle after reset");
      // A harness bug: stop before a handshake it should not have offered reaches the models.
      if (h.own.total) break;
    }
    check_sampled(h, cycle);
    set_clock(t, true);
    t->eval();
#if VM_TRACE
    if (vcd && cycle >= job.vcd_from && cycle <= job.vcd_to) vcd->dump(cycle * 10 + 5);
#endif
    if (cycle == 0) [[unlikely]] {
      open_models(h, cycle);
      ++cycle;
      continue;
    }
    advance_models(h, cycle);
    ++cycle;
    if (!finished && h.lite.done() && inputs_taken()) finished = true, end_cycle = cycle;
    if (finished) {
      // Drain until the outputs have been quiet for `drain` cycles: a beat still
      // offered (its sink shut by backpressure) restarts the count, so it is captured.
      bool offering = false;
      for (auto& s : h.out) offering = offering || s.valid;
      if (offering) drain = job.drain;
      else if (drain-- == 0) break;
      if (cycle >= end_cycle + job.cycle_limit) {
        h.err.add(cycle, "HARNESS-DRAIN", "m_axis", "outputs still offered beats after the script ended; stopped draining at the cycle limit");
        break;
      }
    }
    if (!finished && cycle >= job.cycle_limit) {
      timed_out = true;
      end_cycle = cycle;
      break;
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = double(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  // A response the design never took, or a burst it never finished (a timed-out run fails anyway).
  if (kAxiDataBits && !timed_out) {
    const std::string left = h.mem.outstanding();
    if (!left.empty()) h.err.add(cycle, "AXI4-END-OUTSTANDING", "m_axi", "at the end of the run: " + left);
  }
#if VM_TRACE
  if (vcd) {
    vcd->close();
    delete vcd;
  }
#endif

  if constexpr (kRecord) write_file(job.record, frames.data(), frames.size());
  for (auto& s : h.out) {
    auto it = job.outs.find(s.name);
    if (it == job.outs.end()) continue;
    write_file(it->second, s.out.data(), s.out.size());
    write_file(it->second + ".cycles", reinterpret_cast<const uint8_t*>(s.beat_cycles.data()), s.beat_cycles.size() * 8);
  }
  if (!job.reads.empty()) {
    std::string text;
    char line[80];
    for (auto& r : h.lite.reads) {
      std::snprintf(line, sizeof line, "0x%08x 0x%08x %llu\n", r.addr, r.data, (unsigned long long)r.cycle);
      text += line;
    }
    write_file(job.reads, reinterpret_cast<const uint8_t*>(text.data()), text.size());
    write_file(job.reads + ".writes", reinterpret_cast<const uint8_t*>(h.mem.write_log.data()), h.mem.write_log.size() * 8);
  }
  if (!job.pokes.empty()) {
    std::string text;
    char line[120];
    for (auto& p : h.lite.pokes) {
      std::snprintf(line, sizeof line, "0x%08x 0x%08x %llu %u %llu\n", p.addr, p.data, (unsigned long long)p.handshake, p.resp, (unsigned long long)p.b_cycle);
      text += line;
    }
    write_file(job.pokes, reinterpret_cast<const uint8_t*>(text.data()), text.size());
  }
  for (const auto& d : job.dumps) {
    if (d.base + d.bytes > h.mem.mem.size()) die("memory dump " + d.name + " runs past the modelled memory");
    write_file(d.path, h.mem.mem.data() + d.base, d.bytes);
  }

  std::ostringstream js;
  js << "{\"cycles\":" << end_cycle << ",\"timed_out\":" << (timed_out ? "true" : "false");
  js << ",\"script_position\":" << h.lite.pc << ",\"script_length\":" << h.lite.script.size();
  auto violations = [&](const Errors& e) {
    for (size_t i = 0; i < e.list.size(); ++i) {
      const Violation& v = e.list[i];
      js << (i ? "," : "") << "{\"rule\":" << json_str(v.rule) << ",\"channel\":" << json_str(v.channel) << ",\"cycle\":" << v.cycle
         << ",\"detail\":" << json_str(v.detail) << "}";
    }
  };
  js << ",\"errors_total\":" << h.err.total << ",\"errors\":[";
  violations(h.err);
  js << "],\"harness_errors\":[";
  violations(h.own);
  js << "],\"inputs\":{";
  for (size_t i = 0; i < h.in.size(); ++i)
    js << (i ? "," : "") << json_str(h.in[i].name) << ":{\"beats\":" << h.in[i].next_beat << ",\"offered\":" << h.in[i].count
       << ",\"stall_cycles\":" << h.in[i].stall_cycles << "}";
  js << "},\"outputs\":{";
  for (size_t i = 0; i < h.out.size(); ++i)
    js << (i ? "," : "") << json_str(h.out[i].name) << ":{\"beats\":" << h.out[i].beats << ",\"stall_cycles\":" << h.out[i].stall_cycles << "}";
  js << "},\"memory\":{\"read_bursts\":" << h.mem.read_bursts << ",\"read_beats\":" << h.mem.read_beats
     << ",\"write_bursts\":" << h.mem.write_bursts << ",\"write_beats\":" << h.mem.write_beats
     << ",\"max_outstanding_reads\":" << h.mem.max_in_flight << "}";
  char secbuf[32];
  std::snprintf(secbuf, sizeof secbuf, "%.6f", secs);
  js << ",\"sim_seconds\":" << secbuf;
  std::snprintf(secbuf, sizeof secbuf, "%.6f", cpu);
  js << ",\"cpu_seconds\":" << secbuf << ",\"loop_cycles\":" << cycle;
  std::snprintf(secbuf, sizeof secbuf, "%016llx", (unsigned long long)outputs_digest(t));
  js << ",\"outputs_digest\":\"" << secbuf << "\"}\n";
  const std::string out = js.str();
  if (!job.result.empty()) write_file(job.result, reinterpret_cast<const uint8_t*>(out.data()), out.size());
  else std::fputs(out.c_str(), stdout);
  t->final();
  delete t;
  return 0;
}

template <typename Top>
int tb_main(int argc, char** argv) {
  if ((argc == 3 || argc == 4) && std::string(argv[1]) == "--bare") return bare_loop<Top>(std::strtoull(argv[2], nullptr, 0), argc == 4 ? argv[3] : nullptr);
  if (argc == 3 && std::string(argv[1]) == "--replay") return replay_loop<Top>(argv[2]);
  if (argc != 2) die("usage: tb JOB.txt | tb --bare CYCLES [HOLD.txt] | tb --replay FRAMES.bin");
  const Job job = parse_job(argv[1]);
  return job.record.empty() ? run_job<Top, false>(job) : run_job<Top, true>(job);
}

}  // namespace tb
