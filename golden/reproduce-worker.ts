/** Worker thread of `reproduce --jobs N`: trains one configuration and posts its report. */
import { parentPort, workerData } from 'node:worker_threads';
import { train } from './trainer.ts';
import type { TrainConfig } from './config.ts';

try {
  const report = await train(workerData as TrainConfig, { onStep: (step) => parentPort!.postMessage({ step }) });
  parentPort!.postMessage({ report });
} catch (e) {
  parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) });
}
