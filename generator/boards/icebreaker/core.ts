/**
 * icebreaker_core: everything on the PLL clock: the UART bridge, the engine and
 * its SPRAM memory. Its clock and reset come from icebreaker_top (top.ts).
 */
import { Bool, defineModule } from '../../index.ts';
import type { EngineConfig } from '../../../engine/config.ts';
import { uartBridge } from './bridge.ts';
import { instantiateEngine } from './engine-adapter.ts';
import { spramAxi } from './spram.ts';

export const CORE_NAME = 'icebreaker_core';

export function beatBytes(bits: number, what: string): number {
  if (bits % 8 !== 0) throw new RangeError(`the ${what} beat is ${bits} bits, not whole bytes: the board's protocol carries bytes`);
  return bits / 8;
}

export const icebreakerCore = (cfg: EngineConfig, divisor: number) => {
  const bridgeDef = uartBridge({
    divisor,
    gradBytes: beatBytes(cfg.P * cfg.gBits, 'gradient'),
    actBytes: beatBytes(cfg.P * cfg.aBits, 'activation'),
    resBytes: beatBytes(cfg.N * cfg.accBits, 'result'),
    busBytes: cfg.axiDataBits / 8,
  });
  const memDef = spramAxi(cfg.axiDataBits, cfg.axiAddrBits);
  return defineModule(CORE_NAME, (m) => {
    const uartRx = m.input('uart_rx', Bool());
    const uartTx = m.output('uart_tx', Bool());
    const busy = m.output('busy_n', Bool());
    const eng = instantiateEngine(m, 'u_engine', cfg);
    const br = m.instance('u_bridge', bridgeDef);
    const mem = m.instance('u_memory', memDef);
    br.rx.set(uartRx);
    uartTx.set(br.tx);

    // AXI4-Lite: bridge → engine registers.
    eng('s_axil_awaddr').set(br.awaddr);
    eng('s_axil_awvalid').set(br.awvalid);
    br.awready.set(eng('s_axil_awready'));
    eng('s_axil_wdata').set(br.wdata);
    eng('s_axil_wstrb').set(0xf);
    eng('s_axil_wvalid').set(br.wvalid);
    br.wready.set(eng('s_axil_wready'));
    br.bresp.set(eng('s_axil_bresp'));
    br.bvalid.set(eng('s_axil_bvalid'));
    eng('s_axil_bready').set(br.bready);
    eng('s_axil_araddr').set(br.araddr);
    eng('s_axil_arvalid').set(br.arvalid);
    br.arready.set(eng('s_axil_arready'));
    br.rdata.set(eng('s_axil_rdata'));
    br.rresp.set(eng('s_axil_rresp'));
    br.rvalid.set(eng('s_axil_rvalid'));
    eng('s_axil_rready').set(br.rready);

    // Streams: bridge ↔ engine.
    for (const s of ['grad', 'act'] as const) {
      const b = s === 'grad' ? { v: br.gradValid, r: br.gradReady, d: br.gradData, l: br.gradLast } : { v: br.actValid, r: br.actReady, d: br.actData, l: br.actLast };
      eng(`s_axis_${s}_tvalid`).set(b.v);
      b.r.set(eng(`s_axis_${s}_tready`));
      eng(`s_axis_${s}_tdata`).set(b.d);
      eng(`s_axis_${s}_tlast`).set(b.l);
    }
    br.resValid.set(eng('m_axis_res_tvalid'));
    eng('m_axis_res_tready').set(br.resReady);
    br.resData.set(eng('m_axis_res_tdata'));
    br.resLast.set(eng('m_axis_res_tlast'));

    // AXI4: engine → SPRAM. INCR bursts of full beats are all the engine issues (its contract).
    mem.araddr.set(eng('m_axi_araddr'));
    mem.arlen.set(eng('m_axi_arlen'));
    mem.arvalid.set(eng('m_axi_arvalid'));
    eng('m_axi_arready').set(mem.arready);
    eng('m_axi_rdata').set(mem.rdata);
    eng('m_axi_rresp').set(mem.rresp);
    eng('m_axi_rlast').set(mem.rlast);
    eng('m_axi_rvalid').set(mem.rvalid);
    mem.rready.set(eng('m_axi_rready'));
    mem.awaddr.set(eng('m_axi_awaddr'));
    mem.awlen.set(eng('m_axi_awlen'));
    mem.awvalid.set(eng('m_axi_awvalid'));
    eng('m_axi_awready').set(mem.awready);
    mem.wdata.set(eng('m_axi_wdata'));
    mem.wstrb.set(eng('m_axi_wstrb'));
    mem.wlast.set(eng('m_axi_wlast'));
    mem.wvalid.set(eng('m_axi_wvalid'));
    eng('m_axi_wready').set(mem.wready);
    eng('m_axi_bresp').set(mem.bresp);
    eng('m_axi_bvalid').set(mem.bvalid);
    mem.bready.set(eng('m_axi_bready'));
    m.unused(eng('m_axi_arsize'), eng('m_axi_arburst'), eng('m_axi_awsize'), eng('m_axi_awburst'));

    // Host ↔ SPRAM.
    mem.hostReq.set(br.hostReq);
    mem.hostWrite.set(br.hostWrite);
    mem.hostAddr.set(br.hostAddr);
    mem.hostWdata.set(br.hostWdata);
    br.hostAck.set(mem.hostAck);
    br.hostRdata.set(mem.hostRdata);

    // An LED (active low) lit while the engine's memory port is in use.
    busy.set(eng('m_axi_arvalid').or(eng('m_axi_rvalid')).or(eng('m_axi_wvalid')).not());
    return { uartRx, uartTx, busy };
  }, { preset: cfg.skipping ? 'sparse' : 'dense', divisor });
};
