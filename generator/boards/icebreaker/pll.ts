/**
 * SB_PLL40 divider settings, found as icestorm's `icepll` finds them (simple
 * feedback): every DIVR, DIVF, DIVQ whose phase detector (F_in/(DIVR+1), 10..133 MHz)
 * and VCO (F_pfd·(DIVF+1), 533..1066 MHz) are in range, the first one whose output
 * F_vco/2^DIVQ is closest to the request; FILTER_RANGE from F_pfd.
 * test/board/pll.test.ts compares this with the `icepll` binary.
 */
export interface PllSetting {
  divr: number;
  divf: number;
  divq: number;
  filterRange: number;
  /** The frequency the setting gives, MHz. */
  outMHz: number;
  pfdMHz: number;
  vcoMHz: number;
}

export function filterRangeFor(pfdMHz: number): number {
  if (pfdMHz < 17) return 1;
  if (pfdMHz < 26) return 2;
  if (pfdMHz < 44) return 3;
  if (pfdMHz < 66) return 4;
  if (pfdMHz < 101) return 5;
  return 6;
}

export function pllSetting(inMHz: number, wantMHz: number): PllSetting {
  let best: PllSetting | undefined;
  for (let divr = 0; divr <= 15; divr++) {
    const pfd = inMHz / (divr + 1);
    if (pfd < 10 || pfd > 133) continue;
    for (let divf = 0; divf <= 127; divf++) {
      const vco = pfd * (divf + 1);
      if (vco < 533 || vco > 1066) continue;
      for (let divq = 1; divq <= 6; divq++) {
        const out = vco / 2 ** divq;
        if (!best || Math.abs(out - wantMHz) < Math.abs(best.outMHz - wantMHz)) {
          best = { divr, divf, divq, filterRange: filterRangeFor(pfd), outMHz: out, pfdMHz: pfd, vcoMHz: vco };
        }
      }
    }
  }
  if (!best) throw new RangeError(`no SB_PLL40 setting for ${inMHz} MHz in`);
  return best;
}
