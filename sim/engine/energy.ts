/**
 * Energy of a simulated engine run: its activity as measured (the engine's
 * counters and the traffic the harness saw) and as the model predicts it, each
 * priced by an energy table (energy/).
 */
import { type EngineActivity, actionCounts, onChipActivity, predictedActivity } from '../../energy/actions.ts';
import { type EnergyEstimate, estimateEnergy } from '../../energy/estimate.ts';
import type { EnergyModel } from '../../energy/model.ts';
import { type EngineProblem } from '../../engine/jobs.ts';
import { thresholdAll } from '../../golden/engine-model/model.ts';
import type { SimResult } from '../harness/job.ts';
import type { LayerMeasurement } from './measure.ts';

export interface RunEnergy {
  measured: EngineActivity;
  estimate: EnergyEstimate;
}

export function measuredActivity(m: LayerMeasurement, p: EngineProblem, result: SimResult): EngineActivity {
  const { cfg, mode, plan } = m.engineJob;
  const beats = (name: string): number => result.streams[name]?.beats ?? 0;
  return {
    macs: m.macsIssued,
    gradBeats: beats('grad'),
    actBeats: beats('act'),
    resBeats: beats('res'),
    readBeats: result.memory.readBeats,
    writeBeats: result.memory.writeBeats,
    writeBursts: result.memory.writeBursts,
    busyCycles: m.cyclesBusy,
    onChip: onChipActivity(cfg, mode, { R: p.R, gt: thresholdAll(p).gt }, plan, result.memory.writeBursts, m.cyclesBusy),
  };
}

export function modelActivity(m: LayerMeasurement, p: EngineProblem): EngineActivity {
  const { cfg, mode, plan, layout } = m.engineJob;
  return predictedActivity(cfg, mode, { R: p.R, gt: thresholdAll(p).gt }, plan, m.expected.totals, layout, m.ideal);
}

/** The run's energy under `model`, estimated from what was measured. */
export function runEnergy(model: EnergyModel, m: LayerMeasurement, p: EngineProblem, result: SimResult): RunEnergy {
  const measured = measuredActivity(m, p, result);
  return { measured, estimate: estimateEnergy(model, actionCounts(m.engineJob.cfg, measured)) };
}
