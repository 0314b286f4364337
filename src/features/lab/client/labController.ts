/**
 * The prompt lab's glue: turns the UI's requests into lab requests for the task's model worker
 * (through the LabBackend its bridge provides), and the replies into store state: experiments,
 * the grid run "apply best" picks from, the trained head, the learning curve and the bias report.
 * Only ids, content hashes and class indices go to the worker; summaries come back.
 *
 * One lab call runs per task at a time; a new one supersedes (cancels) the running one. A
 * cancelled call clears its job and is not an error.
 */
import type { StoreApi } from 'zustand';
import { CALIBRATIONS, TOKEN_AGGREGATIONS } from '../../../lib/audioScoring';
import type { AttributePair } from '../../../lib/biasProbe';
import { stratifiedSample } from '../../../lib/crossValidation';
import { bestExperiment, type Experiment } from '../../../lib/experiments';
import type { HeadKind, TrainedHead } from '../../../lib/fewShot';
import { HEAD_FILE_FORMAT, HEAD_FILE_VERSION, MAX_HEAD_FILE_BYTES, parseHead, serializeHead, type HeadFile, type HeadTraining } from '../../../lib/fewShotHead';
import { refuseIfLarger } from '../../../lib/fileSizeLimit';
import { labelIdentity, parseLabels } from '../../../lib/labels';
import type { Task } from '../../../lib/tasks';
import type { AppState } from '../../../store';
import type { ActiveHead, LabJob } from '../../../store/labSlice';
import { labelsTextOf } from '../../../store/settingsSlice';
import type { AudioLabOptions, GridConfigResult, GridSearchRequest, HeadSummary, LabItem } from '../shared/labProtocol';
import {
  countsPerClass,
  currentTemplatesOf,
  currentZeroShotConfig,
  imageEmbeddingOf,
  isWhisper,
  itemsFromDecisions,
  itemsWithTruth,
  labCandidatesOf,
  readyModelOf,
} from './labInputs';
import type { LabBackend, LabCallOptions, LabService, TrainHeadOptions } from './labService';

/** k of stratified k-fold: fewer when the smallest class is smaller (see crossValidation.foldCount). */
export const LAB_MAX_FOLDS = 5;
/** Random stratified splits per learning-curve size (mean and spread over them). */
export const LEARNING_CURVE_SPLITS = 5;
/**
 * One fixed seed: the same items give the same folds and splits every run, so two experiments
 * differ only by their configuration.
 */
export const LAB_SEED = 20_240_301;
/** Cross-validation needs two items of a class to hold one out. */
const MIN_ITEMS_PER_CLASS = 2;

/** Saves a file (the browser's download path in the app; a recorder in tests). */
export type SaveFile = (blob: Blob, fileName: string) => void;

export interface LabControllerOptions {
  seed?: number;
  now?: () => number;
  newId?: () => string;
}

/** Thrown (and shown as the task's lab error) when the lab can't run as asked. */
class LabRefusal extends Error {}

type Body<R> = Omit<R, 'type' | 'requestId'>;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function configName(config: GridConfigResult): string {
  const template = (text: string) => (text.trim() === '' ? '(label alone)' : text.trim());
  const base =
    config.kind === 'single'
      ? template(config.templates[0] ?? '')
      : config.kind === 'best-single'
        ? `best single: ${template(config.templates[0] ?? '')}`
        : config.kind === 'ensemble'
          ? `ensemble of ${config.templates.length}`
          : `greedy: ${plural(config.templates.length, 'template')}`;
  const audio = [config.calibration === null ? null : `calibration ${config.calibration}`, config.aggregation].filter((part) => part !== null);
  return audio.length > 0 ? `${base} (${audio.join(', ')})` : base;
}

function fileNamePart(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((label, i) => labelIdentity(label) === labelIdentity(b[i] ?? ''));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A copy of a head's weights on this side, to give a restarted worker back the head it lost. */
interface HeadCopy {
  headId: string;
  head: TrainedHead;
  embedding: HeadSummary['embedding'];
}

export class LabController implements LabService {
  private readonly running = new Map<Task, AbortController>();
  /** How each head the workers hold was trained (a head file carries it). */
  private readonly training = new Map<string, HeadTraining>();
  /** Per task, the weights of the head trained or imported last (one head file's worth at most). */
  private readonly headCopies = new Map<Task, HeadCopy>();
  private readonly seed: number;
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(
    private readonly store: StoreApi<AppState>,
    private readonly backends: Record<Task, LabBackend>,
    private readonly saveFile: SaveFile,
    options: LabControllerOptions = {},
  ) {
    this.seed = options.seed ?? LAB_SEED;
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? (() => crypto.randomUUID());
  }

  // ---- grid search and evaluation ----------------------------------------------------------

  async runGridSearch(task: Task, templates: string[]): Promise<void> {
    await this.run(task, 'grid', async (call) => {
      if (templates.length === 0) throw new LabRefusal('Pick at least one template to search over.');
      const audio = isWhisper(this.state, task) ? { calibrations: [...CALIBRATIONS], aggregations: [...TOKEN_AGGREGATIONS] } : null;
      const request = this.gridRequest(task, templates, audio, 'The grid search');
      const result = await this.backends[task].gridSearch(request.body, call);
      if (!result || call.signal.aborted) return;
      const runId = this.newId();
      const experiments = result.configs.map((config) => this.experimentOf(task, request, config, result.evaluated, runId, config.kind));
      const state = this.state;
      state.addExperiments(experiments);
      state.setLastGridRun(task, runId);
    });
  }

  async evaluateCurrent(task: Task): Promise<void> {
    await this.run(task, 'evaluate', async (call) => {
      const state = this.state;
      const templates = currentTemplatesOf(state, task);
      const audio = isWhisper(state, task) ? { calibrations: [state.calibration], aggregations: [state.aggregation] } : null;
      const request = this.gridRequest(task, templates, audio, 'Evaluating the current configuration');
      const result = await this.backends[task].gridSearch(request.body, call);
      if (!result || call.signal.aborted) return;
      const config =
        result.configs.find((candidate) => candidate.kind === 'ensemble') ??
        (templates.length === 1 ? result.configs.find((candidate) => candidate.kind === 'single') : undefined);
      if (!config) throw new Error('The worker returned no evaluation of the current templates.');
      this.state.addExperiments([this.experimentOf(task, request, config, result.evaluated, null, 'current')]);
    });
  }

  applyExperiment(id: string): void {
    const experiment = this.state.experiments.find((candidate) => candidate.id === id);
    if (!experiment) return;
    this.apply(experiment);
  }

  applyBest(task: Task): void {
    const state = this.state;
    const runId = state.lastGridRun[task];
    const best = runId === null ? null : bestExperiment(state.experiments.filter((e) => e.runId === runId && e.task === task));
    if (!best) {
      state.setLabError(task, 'Run a grid search first: "apply best" picks from its results.');
      return;
    }
    this.apply(best);
  }

  // ---- few-shot heads ----------------------------------------------------------------------

  async trainHead(task: Task, options: TrainHeadOptions): Promise<void> {
    await this.run(task, 'train', async (call) => {
      const { modelId, labels } = this.readyFor(task);
      const candidates = labCandidatesOf(this.state, task);
      const truth = itemsWithTruth(candidates, labels).items;
      const examples = options.source === 'truth' ? truth : itemsFromDecisions(candidates, labels).items;
      const items = limitPerClass(examples, options.examplesPerClass, this.seed);
      const classesTrained = countsPerClass(items, labels.length).filter((n) => n > 0).length;
      if (classesTrained < 2)
        throw new LabRefusal(
          options.source === 'truth'
            ? `Training needs items with ground truth in at least 2 classes (${plural(classesTrained, 'class', 'classes')} have some).`
            : `Training needs accepted or relabelled items in at least 2 classes (${plural(classesTrained, 'class', 'classes')} have some): review some items first.`,
        );
      const trained = new Set(items.map((item) => item.itemId));
      const heldOut = truth.filter((item) => !trained.has(item.itemId));
      const headId = this.newId();
      const summary = await this.backends[task].trainHead(
        {
          headId,
          kind: options.kind,
          zeroShot: currentZeroShotConfig(this.state, task),
          items,
          heldOut,
          initFromZeroShot: options.initFromZeroShot,
          maxFolds: LAB_MAX_FOLDS,
          seed: this.seed,
          imageEmbedding: imageEmbeddingOf(this.state, task),
        },
        call,
      );
      if (call.signal.aborted) return;
      this.training.set(summary.headId, {
        source: options.source,
        examples: summary.examples,
        perClass: Object.fromEntries(labels.map((label, i) => [label, countsPerClass(items, labels.length)[i] ?? 0])),
        chosen: summary.chosen,
        cvAccuracy: summary.cvAccuracy,
        folds: summary.folds,
        initialisedFromZeroShot: options.kind === 'logistic' && options.initFromZeroShot,
        embedding: summary.embedding,
        trainedAt: new Date(this.now()).toISOString(),
      });
      this.state.setHead(task, this.activeHead(summary, options.source, modelId, labels));
      await this.keepCopyOf(task, summary.headId);
    });
  }

  /** Not a job of its own: it reads the held head without stopping a run in progress. */
  async exportHead(task: Task): Promise<void> {
    try {
      const active = this.state.heads[task];
      if (!active) throw new LabRefusal('There is no head to export: train or import one first.');
      const exported = await this.backends[task].exportHead(active.headId);
      if (!exported) throw new LabRefusal('The model worker no longer holds this head (it restarted or the model changed): train it again.');
      const training: HeadTraining = this.training.get(active.headId) ?? {
        source: active.source === 'imported' ? 'truth' : active.source,
        examples: active.examples,
        perClass: {},
        chosen: active.chosen,
        cvAccuracy: active.cvAccuracy,
        folds: null,
        initialisedFromZeroShot: false,
        embedding: exported.embedding,
        trainedAt: new Date(this.now()).toISOString(),
      };
      const file: HeadFile = {
        format: HEAD_FILE_FORMAT,
        version: HEAD_FILE_VERSION,
        task,
        modelId: active.modelId,
        labels: active.labels,
        embeddingDim: exported.head.dim,
        head: exported.head,
        training: { ...training, embedding: exported.embedding },
      };
      this.saveFile(new Blob([serializeHead(file)], { type: 'application/json' }), `${fileNamePart(active.modelId)}-${active.kind}-head.json`);
    } catch (error) {
      this.state.setLabError(task, messageOf(error));
    }
  }

  async importHead(task: Task, file: File): Promise<void> {
    await this.run(task, 'train', async (call) => {
      const { modelId, labels } = this.readyFor(task);
      let head: HeadFile;
      refuseIfLarger(file, MAX_HEAD_FILE_BYTES, 'a head file');
      try {
        head = parseHead(await file.text());
      } catch (error) {
        throw new LabRefusal(`${file.name}: ${messageOf(error)}`);
      }
      if (head.task !== task) throw new LabRefusal(`${file.name} is a head for ${head.task}, not ${task}.`);
      if (head.modelId !== modelId) throw new LabRefusal(`${file.name} was trained on ${head.modelId}; the current model is ${modelId}. Load that model to use it.`);
      if (!sameLabels(head.labels, labels))
        throw new LabRefusal(`${file.name} was trained for the labels ${head.labels.join(', ')}; the current labels are ${labels.join(', ')}. Set the same labels, in the same order, to use it.`);
      const headId = this.newId();
      const summary = await this.backends[task].importHead(headId, head.head, head.training.embedding);
      if (call.signal.aborted) return;
      this.training.set(summary.headId, head.training);
      this.headCopies.set(task, { headId: summary.headId, head: head.head, embedding: head.training.embedding });
      this.state.setHead(task, this.activeHead(summary, 'imported', modelId, labels));
    });
  }

  async runLearningCurve(task: Task, heads: HeadKind[]): Promise<void> {
    await this.run(task, 'curve', async (call) => {
      if (heads.length === 0) throw new LabRefusal('Pick at least one head for the learning curve.');
      const { labels } = this.readyFor(task);
      const items = this.truthItemsForCrossValidation(task, labels, 'The learning curve');
      const curve = await this.backends[task].learningCurve(
        { zeroShot: currentZeroShotConfig(this.state, task), items, heads, splits: LEARNING_CURVE_SPLITS, seed: this.seed, imageEmbedding: imageEmbeddingOf(this.state, task) },
        call,
      );
      if (!curve || call.signal.aborted) return;
      this.state.setLearningCurve(task, curve);
    });
  }

  // ---- bias probe --------------------------------------------------------------------------

  async runBiasProbe(template: string, pairs: AttributePair[]): Promise<void> {
    const task: Task = 'image';
    await this.run(task, 'bias', async (call) => {
      const backend = this.backends[task];
      if (!backend.biasProbe) throw new LabRefusal('The image model worker does not answer the bias probe.');
      if (pairs.length === 0) throw new LabRefusal('Add at least one pair of attribute words.');
      const { labels } = this.readyFor(task);
      const items = labCandidatesOf(this.state, task).map(({ itemId, contentHash }) => ({ itemId, contentHash }));
      if (items.length === 0) throw new LabRefusal('The bias probe needs images the model has embedded: add some first.');
      const report = await backend.biasProbe({ template, labels, pairs, items, imageEmbedding: { resizeMode: this.state.imageResizeMode } }, call);
      if (call.signal.aborted) return;
      this.state.setBiasReport({
        template,
        pairs: report.pairs.map((pair) => ({
          a: pair.pair.a,
          b: pair.pair.b,
          meanGap: pair.meanGap,
          gapStd: pair.gapStd,
          meanPreferenceA: pair.meanPreferenceA,
          flips: pair.flips,
          items: pair.items,
        })),
        association: report.association,
        items: report.items,
      });
    });
  }

  cancel(task: Task): void {
    this.running.get(task)?.abort();
  }

  /**
   * The task's worker restarted (a crash, a lost GPU) with `modelId` and holds no head: the active
   * head, if it is for that model, is sent to it again under its own id, so the items keep being
   * ranked with it. Call it as the bridge reports the restart: the import then goes to the worker
   * ahead of the requests that waited for it, and the worker runs requests in order.
   */
  restoreHead(task: Task, modelId: string): void {
    const active = this.state.heads[task];
    const copy = this.headCopies.get(task);
    if (!active || !copy || copy.headId !== active.headId || active.modelId !== modelId) return;
    // A failure here leaves the worker without it: the controllers then see it lost and say so.
    this.backends[task].importHead(copy.headId, copy.head, copy.embedding).catch(() => undefined);
  }

  // ---- internals ---------------------------------------------------------------------------

  private get state(): AppState {
    return this.store.getState();
  }

  /**
   * Runs one lab call for the task: supersedes a running one, shows progress as the task's job,
   * and turns a failure into the task's lab error (a cancellation into nothing).
   */
  private async run(task: Task, kind: LabJob['kind'], work: (call: Required<Pick<LabCallOptions, 'signal' | 'onProgress'>>) => Promise<void>): Promise<void> {
    this.running.get(task)?.abort();
    const controller = new AbortController();
    this.running.set(task, controller);
    const isCurrent = () => this.running.get(task) === controller && !controller.signal.aborted;
    const state = this.state;
    state.setLabError(task, null);
    state.setLabJob(task, { kind, stage: 'starting', done: 0, total: 0 });
    try {
      await work({
        signal: controller.signal,
        onProgress: (progress) => {
          if (isCurrent()) this.state.setLabJob(task, { kind, ...progress });
        },
      });
    } catch (error) {
      if (!controller.signal.aborted) this.state.setLabError(task, messageOf(error));
    } finally {
      if (this.running.get(task) === controller) {
        this.running.delete(task);
        this.state.setLabJob(task, null);
      }
    }
  }

  /** Keeps the trained head's weights on this side (see restoreHead); without them a restart loses it, as before. */
  private async keepCopyOf(task: Task, headId: string): Promise<void> {
    try {
      const exported = await this.backends[task].exportHead(headId);
      if (exported && this.state.heads[task]?.headId === headId) this.headCopies.set(task, { headId, ...exported });
    } catch {
      // The head works all the same; only a restart would lose it.
    }
  }

  /** The task's model and labels, or a refusal saying what is missing. */
  private readyFor(task: Task): { modelId: string; labels: string[]; alternatives: string[][] } {
    const state = this.state;
    const model = readyModelOf(state, task);
    if (!model) throw new LabRefusal(`The ${task} model is not ready yet: the lab works once it has loaded.`);
    const { labels, alternatives } = parseLabels(labelsTextOf(state, task));
    if (labels.length < 2) throw new LabRefusal('The lab needs at least 2 labels to tell apart.');
    return { modelId: model.modelId, labels, alternatives };
  }

  /** Items with truth, refused unless every class that has any has at least two (one to hold out). */
  private truthItemsForCrossValidation(task: Task, labels: readonly string[], what: string): LabItem[] {
    const { items, outsideLabels } = itemsWithTruth(labCandidatesOf(this.state, task), labels);
    const outside = outsideLabels > 0 ? ` (${plural(outsideLabels, 'item')} with a truth that is not one of the labels ${outsideLabels === 1 ? 'is' : 'are'} left out)` : '';
    if (items.length === 0)
      throw new LabRefusal(`${what} needs items with ground truth among the current labels: drop a folder of class folders or import a truth CSV${outside}.`);
    const counts = countsPerClass(items, labels.length);
    const short = labels.filter((_, i) => (counts[i] ?? 0) > 0 && (counts[i] ?? 0) < MIN_ITEMS_PER_CLASS);
    if (short.length > 0)
      throw new LabRefusal(
        `${what} needs at least ${MIN_ITEMS_PER_CLASS} items with ground truth per class; ${short.map((label) => `"${label}"`).join(', ')} ${short.length === 1 ? 'has' : 'have'} only 1${outside}.`,
      );
    return items;
  }

  private gridRequest(
    task: Task,
    templates: string[],
    audio: AudioLabOptions | null,
    what: string,
  ): { body: Body<GridSearchRequest>; modelId: string; labelsText: string } {
    const { modelId, labels, alternatives } = this.readyFor(task);
    const items = this.truthItemsForCrossValidation(task, labels, what);
    return {
      body: { labels, alternatives, templates, items, maxFolds: LAB_MAX_FOLDS, seed: this.seed, audio, imageEmbedding: imageEmbeddingOf(this.state, task) },
      modelId,
      labelsText: labelsTextOf(this.state, task),
    };
  }

  private experimentOf(
    task: Task,
    request: { body: Body<GridSearchRequest>; modelId: string; labelsText: string },
    config: GridConfigResult,
    evaluated: number,
    runId: string | null,
    kind: Experiment['kind'],
  ): Experiment {
    return {
      id: this.newId(),
      runId,
      task,
      modelId: request.modelId,
      createdAt: this.now(),
      kind,
      name: kind === 'current' ? `current: ${configName(config)}` : configName(config),
      templates: [...config.templates],
      labelsText: request.labelsText,
      labels: [...request.body.labels],
      calibration: config.calibration,
      aggregation: config.aggregation,
      classifier: 'zero-shot',
      evaluated,
      accuracy: config.accuracy,
      cvAccuracy: config.cvAccuracy,
      macroF1: config.macroF1,
      perClassRecall: [...config.perClassRecall],
      perClassSupport: [...config.perClassSupport],
      confusion: config.confusion.map((row) => [...row]),
    };
  }

  /**
   * Sets the task's templates (and, for audio, calibration and score rule) to the experiment's:
   * the controllers re-rank the items (text-only work). A zero-shot experiment also stops a head
   * from ranking the items, so what they show is the configuration applied.
   */
  private apply(experiment: Experiment): void {
    const state = this.state;
    const task = experiment.task;
    state.setLabError(task, null);
    state.setTaskTemplate(task, experiment.templates.join('\n'));
    if (task === 'audio') {
      if (experiment.calibration !== null) state.setCalibration(experiment.calibration);
      if (experiment.aggregation !== null) state.setAggregation(experiment.aggregation);
    }
    if (experiment.classifier === 'zero-shot' && state.heads[task]?.inUse) state.updateHead(task, { inUse: false });
  }

  private activeHead(summary: HeadSummary, source: ActiveHead['source'], modelId: string, labels: string[]): ActiveHead {
    return {
      headId: summary.headId,
      kind: summary.kind,
      modelId,
      labels,
      dim: summary.dim,
      chosen: summary.chosen,
      cvAccuracy: summary.cvAccuracy,
      heldOutAccuracy: summary.heldOutAccuracy,
      zeroShotHeldOutAccuracy: summary.zeroShotHeldOutAccuracy,
      examples: summary.examples,
      source,
      inUse: true,
      zeroShotWeight: 0,
    };
  }
}

/** A seeded stratified sample of at most `perClass` items of each class (all of them when null). */
function limitPerClass(items: readonly LabItem[], perClass: number | null, seed: number): LabItem[] {
  if (perClass === null) return [...items];
  const { train } = stratifiedSample(items.map((item) => item.truth), Math.max(1, Math.floor(perClass)), seed);
  return train.map((index) => items[index]!);
}
