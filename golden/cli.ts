/** CLI commands of golden/: `train` and `reproduce` (see golden/README.md). */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { UsageError, UserError } from '../util/errors.ts';
import { numberArg, numberListArg, presetArg } from '../cli/options.ts';
import { parseTrainConfig, DEFAULT_CORPUS, TRAIN_DEFAULTS as D } from './config.ts';
import { train } from './trainer.ts';
import type { EngineBackwardFactory, OffloadedBackwardProducts } from './backward-products.ts';
import { reproduce, parseReproduceOptions } from './reproduce.ts';
import { addExecutorOptions, slurmCampaignOf } from '../cluster/cli.ts';
import { reproduceFull } from './sweep.ts';
import { DEFAULT_FULL_SEEDS, FULL_MODELS } from './full-preset.ts';

const num = numberArg;
const list = numberListArg;

/** The settings the user typed (not commander defaults), so they override a --config file. */
function explicitOnly(values: Record<string, unknown>, cmd: Command): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([k]) => cmd.getOptionValueSource(k) === 'cli'));
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UserError(`--config ${path}: cannot read the file; check the path`);
  }
  try {
    const v = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error();
    return v;
  } catch {
    throw new UserError(`--config ${path}: not a JSON object of train settings`);
  }
}

/** `engineBackward` serves `train --backward fixed|rtl`; without it those choices are refused. */
export function register(program: Command, deps: { engineBackward?: EngineBackwardFactory } = {}): void {
  program
    .command('train')
    .description('train the character LSTM with sparsified gate gradients (|dz| < θ zeroed); writes report.json and a checkpoint')
    .option('--corpus <file>', 'training text (90/10 train/validation split)', DEFAULT_CORPUS)
    .addOption(new Option('--model <kind>', 'char: one-hot characters; word: the --words most frequent words plus <unk>, embedding input').choices(['char', 'word']).default(D.model))
    .option('--words <n>', 'word model: vocabulary size before <unk>', num('--words'), D.words)
    .option('--embedding <n>', 'word model: embedding width E (the input width of layer 0)', num('--embedding'), D.embedding)
    .option('--hidden <n>', 'LSTM units H', num('--hidden'), D.hidden)
    .option('--layers <n>', 'stacked LSTM layers L', num('--layers'), D.layers)
    .option('--batch <n>', 'streams per batch B', num('--batch'), D.batch)
    .option('--seq <n>', 'truncated BPTT length T', num('--seq'), D.seq)
    .option('--steps <n>', 'SGD steps', num('--steps'), D.steps)
    .option('--lr <x>', 'initial learning rate', num('--lr'), D.lr)
    .addOption(new Option('--schedule <s>', 'exp: exponential decay to --lr × --lr-decay; plateau: × --lr-factor after --patience validations without improvement, early stop after --max-decays cuts (--steps is the budget bound)').choices(['exp', 'plateau']).default(D.schedule))
    .option('--lr-decay <x>', 'final learning rate as a fraction of --lr (exponential decay)', num('--lr-decay'), D.lrDecay)
    .option('--patience <n>', 'plateau: validations without improvement before a cut', num('--patience'), D.patience)
    .option('--lr-factor <x>', 'plateau: learning-rate factor of a cut', num('--lr-factor'), D.lrFactor)
    .option('--max-decays <n>', 'plateau: cuts before the next plateau stops the run', num('--max-decays'), D.maxDecays)
    .option('--min-delta <x>', 'plateau: relative improvement of the validation loss that counts', num('--min-delta'), D.minDelta)
    .option('--momentum <μ>', 'SGD momentum (0: plain SGD)', num('--momentum'), D.momentum)
    .option('--clip <x>', 'global gradient-norm clipping threshold', num('--clip'), D.clip)
    .option('--seed <n>', 'random seed (same seed, same bits)', num('--seed'), D.seed)
    .option('--threshold <θ>', 'zero dz elements with |dz| < θ (0 = dense training)', num('--threshold'), D.threshold)
    .option('--target-sparsity <s>', 'instead of a fixed θ, pick θ per BPTT step to zero this fraction of dz (0..1)', num('--target-sparsity'))
    .addOption(new Option('--precision <p>', 'arithmetic').choices(['float32', 'float64']).default(D.precision))
    .option('--eval-every <n>', 'validate every n steps (0: only at the end)', num('--eval-every'), D.evalEvery)
    .option('--valid-chars <n>', 'validation characters evaluated (0: the whole split)', num('--valid-chars'), D.validChars)
    .option('--init <file>', 'start from these weights (safetensors, PyTorch nn.LSTM names)')
    .option('--out <dir>', 'output directory', D.out)
    .option('--dump-streams <dir>', 'write a gradient dump (safetensors) per dumped step into <dir>')
    .option('--dump-steps <list>', 'steps to dump, comma separated (default: first and last)', list('--dump-steps'))
    .option('--quiet', 'no progress bar')
    .addOption(new Option('--state <file>', 'resumable run: save the mid-run state here at every validation and continue from it when it matches this config (reproduce --full uses it)').hideHelp())
    .option('--config <file>', 'JSON file with any of these settings (camelCase keys, e.g. {"hidden": 64, "lrDecay": 0.2}); flags given on the command line win')
    .addOption(new Option('--backward <impl>', "where the LSTM layer's backward products run: float GEMMs, the engine's bit-exact fixed-point model, or the Verilated engine RTL").choices(['float', 'fixed', 'rtl']).default('float'))
    .option('--engine-preset <name>', 'engine preset for --backward fixed|rtl (R = 4H must fit its rMax)', presetArg('--engine-preset'), 'tiny')
    .option('--rtl <dir>', 'with --backward rtl: this engine Verilog instead of rtl/<preset>')
    .option('--mem-latency <n>', 'with --backward rtl: external memory latency in cycles', num('--mem-latency'), 20)
    .action(async (o, cmd: Command) => {
      const fromFlags = {
        corpus: o.corpus, model: o.model, words: o.words, embedding: o.embedding, hidden: o.hidden, layers: o.layers, batch: o.batch, seq: o.seq, steps: o.steps,
        lr: o.lr, lrDecay: o.lrDecay, schedule: o.schedule, patience: o.patience, lrFactor: o.lrFactor, maxDecays: o.maxDecays, minDelta: o.minDelta, momentum: o.momentum, clip: o.clip, seed: o.seed, threshold: o.threshold,
        targetSparsity: o.targetSparsity ?? null, precision: o.precision, evalEvery: o.evalEvery, validChars: o.validChars,
        init: o.init ?? null, out: o.out, dumpStreams: o.dumpStreams ?? null, dumpSteps: o.dumpSteps ?? null, quiet: Boolean(o.quiet),
      };
      const explicit = explicitOnly(fromFlags, cmd);
      // --threshold 0 with --target-sparsity is as contradictory as any other θ.
      if (explicit.threshold !== undefined && explicit.targetSparsity !== undefined) {
        throw new UsageError('--threshold and --target-sparsity exclude each other: give a fixed threshold or a target sparsity, not both');
      }
      const file = o.config ? readConfigFile(o.config) : undefined;
      const cfg = file
        ? parseTrainConfig({ ...file, ...explicit }, { file: o.config, fromFile: new Set(Object.keys(file).filter((k) => !(k in explicit))) })
        : parseTrainConfig(fromFlags);
      let products: OffloadedBackwardProducts | undefined;
      if (o.backward !== 'float') {
        if (!deps.engineBackward) throw new UsageError(`--backward ${o.backward} needs the engine, which this build of the command line does not include; use --backward float`);
        products = await deps.engineBackward(o.backward, o.enginePreset, { rtl: o.rtl, memLatency: o.memLatency });
      }
      const r = await train(cfg, { products, stateFile: o.state });
      const a = r.accounting.lstm;
      process.stdout.write(
        `validation ${r.final.validBpc.toFixed(4)} ${cfg.model === 'word' ? `bits/word (perplexity ${r.final.validPerplexity.toFixed(1)}, ` : `bpc (`}loss ${r.final.validLoss.toFixed(4)}), ` +
        (cfg.schedule === 'plateau' ? `${r.stop.converged ? `converged: stopped on a plateau at step ${r.final.step}` : `NOT converged: the budget of ${r.final.step} steps ran out`} (best validation at step ${r.final.bestStep}), ` : '') +
        `dz sparsity ${(100 * a.sparsityAfter).toFixed(1)}%, ` +
        `${(100 * a.redundantFraction).toFixed(1)}% of LSTM training MACs redundant, ${Math.round(r.throughput.tokensPerSec)} tokens/s\n` +
        (products ? `backward products on the engine (${o.backward}, preset ${o.enginePreset}): ${products.stats.calls} runs, ${products.stats.macsSkipped} of ${products.stats.macsIssued + products.stats.macsSkipped} MACs skipped${o.backward === 'rtl' ? `, ${products.stats.cycles} busy cycles` : ''}\n` : '') +
        `wrote ${cfg.out}/report.json and ${r.checkpoint}${r.dumps.length ? ` and ${r.dumps.length} gradient dump(s) in ${cfg.dumpStreams}` : ''}\n`,
      );
    });

  addExecutorOptions(program
    .command('reproduce')
    .description("the paper's experiment: dense baseline vs several θ and target sparsities on one seed and budget; prints and writes a table. With --full: three models trained to convergence over several seeds, with confidence intervals and a verdict (docs/results/README.md)")
    .option('--corpus <file>', 'training text', DEFAULT_CORPUS)
    .option('--quick', 'a tiny model and budget (seconds; for tests); with --full, tiny models of the same structure')
    .option('--full', 'train every model and setting of golden/full-preset.ts to convergence (plateau schedule, early stopping) over several seeds; resumable: a rerun keeps the finished runs')
    .option('--summarise', 'with --full: train nothing, summarise the runs finished so far into reproduce-full-partial.md/.json (a sweep still running)')
    .option('--seeds <n>', `with --full: seeds per setting (default ${DEFAULT_FULL_SEEDS})`, num('--seeds'))
    .option('--models <list>', `with --full: models to train, comma separated (${FULL_MODELS.map((m) => m.id).join(', ')})`, (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean))
    .option('--steps <n>', 'SGD steps per run (overrides the preset)', num('--steps'))
    .option('--hidden <n>', 'LSTM units H (overrides the preset)', num('--hidden'))
    .option('--layers <n>', 'LSTM layers (overrides the preset)', num('--layers'))
    .option('--thetas <list>', 'fixed thresholds θ, comma separated (overrides the preset)', list('--thetas'))
    .option('--targets <list>', 'target sparsities, comma separated (overrides the preset; empty string for none)', (v: string) => (v.trim() === '' ? [] : list('--targets')(v)))
    .option('--seed <n>', 'random seed', num('--seed'), 1)
    .option('--jobs <n>', 'runs trained in parallel (one process each; results do not depend on it)', num('--jobs'), 2)
    .option('--out <dir>', 'output directory', 'out/reproduce')
    .option('--quiet', 'no progress output'))
    .action(async (o) => {
      const slurm = slurmCampaignOf(o);
      const opts = parseReproduceOptions(o);
      if (opts.full) {
        const f = await reproduceFull(opts, slurm);
        process.stdout.write(f.markdown);
        process.stdout.write(`\n${f.runs.length} runs (${f.trained} trained now, ${f.skipped} kept from before) in ${f.wallSeconds.toFixed(0)} s wall time; wrote ${f.file} and its .md\n`);
        return;
      }
      const r = await reproduce(opts, slurm);
      process.stdout.write(r.markdown);
      process.stdout.write(`\n${r.runs.length} runs in ${r.wallSeconds.toFixed(0)} s wall time (--jobs ${opts.jobs}); wrote ${opts.out}/reproduce.json and ${opts.out}/reproduce.md\n`);
    });
}
