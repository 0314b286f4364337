import { describe, expect, it, vi } from 'vitest';
import type { StoreApi } from 'zustand';
import type { LearningCurve, TrainedHead } from '../../../lib/fewShot';
import { HEAD_FILE_FORMAT, HEAD_FILE_VERSION, MAX_HEAD_FILE_BYTES, parseHead, serializeHead, type HeadFile } from '../../../lib/fewShotHead';
import type { Task } from '../../../lib/tasks';
import type { ModelFamily } from '../../../lib/workerReports';
import { createUnpersistedStore, type AppState } from '../../../store';
import type { AudioItem } from '../../../store/audioItemsSlice';
import type { ImageItem } from '../../../store/itemsSlice';
import type { ActiveHead } from '../../../store/labSlice';
import type {
  BiasProbeRequest,
  BiasReport,
  GridConfigResult,
  GridSearchRequest,
  GridSearchResult,
  HeadSummary,
  LearningCurveRequest,
  TrainHeadRequest,
} from '../shared/labProtocol';
import { LAB_MAX_FOLDS, LAB_SEED, LEARNING_CURVE_SPLITS, LabController } from './labController';
import type { LabBackend, LabCallOptions } from './labService';

type Body<R> = Omit<R, 'type' | 'requestId'>;

function imageItem(id: string, truth: string | null, overrides: Partial<ImageItem> = {}): ImageItem {
  return {
    id,
    name: `${id}.png`,
    path: `root/${truth ?? 'none'}/${id}.png`,
    truth,
    decision: 'none',
    finalLabel: null,
    blob: new Blob(['x'], { type: 'image/png' }),
    contentHash: `hash-${id}`,
    state: 'done',
    error: null,
    predictions: [],
    rankedPromptsKey: 'key',
    classifier: 'zero-shot',
    width: 4,
    height: 4,
    ...overrides,
  };
}

function audioItem(id: string, truth: string | null, overrides: Partial<AudioItem> = {}): AudioItem {
  return {
    id,
    name: `${id}.wav`,
    path: `words/${truth ?? 'none'}/${id}.wav`,
    truth,
    decision: 'none',
    finalLabel: null,
    blob: new Blob(['x'], { type: 'audio/wav' }),
    url: `blob:${id}`,
    contentHash: `hash-${id}`,
    state: 'done',
    error: null,
    durationSeconds: 1,
    peaks: null,
    rawScores: null,
    rankedPromptsKey: 'key',
    headProbabilities: null,
    predictions: [],
    classifier: 'zero-shot',
    transcript: null,
    transcriptSeconds: null,
    note: null,
    ...overrides,
  };
}

function ready(store: StoreApi<AppState>, task: Task, modelId: string, family: ModelFamily): void {
  store.getState().setModelStatus(task, {
    state: 'ready',
    modelId,
    info: { modelId, backend: 'wasm', dtype: 'fp32', family, threads: 1, loadMs: 1, warmupMs: 1 },
  });
}

function config(overrides: Partial<GridConfigResult>): GridConfigResult {
  return {
    kind: 'single',
    templates: ['a photo of a {}.'],
    calibration: null,
    aggregation: null,
    accuracy: 0.5,
    cvAccuracy: 0.5,
    macroF1: 0.5,
    perClassRecall: [0.5, 0.5],
    perClassSupport: [2, 2],
    confusion: [
      [1, 1],
      [1, 1],
    ],
    ...overrides,
  };
}

function summary(overrides: Partial<HeadSummary> = {}): HeadSummary {
  return {
    headId: 'head',
    kind: 'logistic',
    dim: 3,
    chosen: { C: 1 },
    cvAccuracy: 0.9,
    folds: 2,
    examples: 4,
    embedding: 'image',
    heldOutAccuracy: null,
    zeroShotHeldOutAccuracy: null,
    heldOutItems: 0,
    ...overrides,
  };
}

const logisticHead: TrainedHead = {
  kind: 'logistic',
  classes: 2,
  dim: 3,
  C: 1,
  model: { weights: new Float64Array(6), bias: new Float64Array(2), classes: 2, dim: 3 },
};

/** Records every request; answers with what each test sets (or waits until the call is cancelled). */
class FakeBackend implements LabBackend {
  grids: Array<Body<GridSearchRequest>> = [];
  trainings: Array<Body<TrainHeadRequest>> = [];
  curves: Array<Body<LearningCurveRequest>> = [];
  probes: Array<Body<BiasProbeRequest>> = [];
  imports: Array<{ headId: string; head: TrainedHead; embedding: HeadSummary['embedding'] }> = [];
  gridResult: GridSearchResult | 'wait-for-cancel' = { configs: [], folds: 2, evaluated: 0 };
  held = new Map<string, TrainedHead>();

  async gridSearch(request: Body<GridSearchRequest>, options?: LabCallOptions): Promise<GridSearchResult | null> {
    this.grids.push(request);
    options?.onProgress?.({ stage: 'scoring templates', done: 1, total: 2 });
    if (this.gridResult === 'wait-for-cancel') {
      const signal = options?.signal;
      return new Promise((resolve) => signal?.addEventListener('abort', () => resolve(null)));
    }
    return this.gridResult;
  }

  async trainHead(request: Body<TrainHeadRequest>): Promise<HeadSummary> {
    this.trainings.push(request);
    this.held.set(request.headId, logisticHead);
    return summary({ headId: request.headId, kind: request.kind, examples: request.items.length });
  }

  async learningCurve(request: Body<LearningCurveRequest>): Promise<LearningCurve | null> {
    this.curves.push(request);
    return { sizes: [1], zeroShot: [{ perClass: 1, mean: 0.5, std: 0, splits: 5 }], heads: { logistic: [{ perClass: 1, mean: 0.7, std: 0.1, splits: 5 }], knn: [], 'tip-adapter': [] } };
  }

  async exportHead(headId: string): Promise<{ head: TrainedHead; embedding: HeadSummary['embedding'] } | null> {
    const head = this.held.get(headId);
    return head ? { head, embedding: 'image' } : null;
  }

  async importHead(headId: string, head: TrainedHead, embedding: HeadSummary['embedding']): Promise<HeadSummary> {
    this.imports.push({ headId, head, embedding });
    this.held.set(headId, head);
    return summary({ headId, kind: head.kind, examples: 0 });
  }

  async biasProbe(request: Body<BiasProbeRequest>): Promise<BiasReport> {
    this.probes.push(request);
    return {
      pairs: [{ pair: request.pairs[0]!, meanGap: 2.5, gapStd: 0.5, meanPreferenceA: 0.9, flips: 3, items: request.items.length }],
      association: { labels: request.labels, attributes: ['red', 'blue'], cosines: [[0.3, 0.1]] },
      items: request.items.length,
    };
  }
}

function setup() {
  const store = createUnpersistedStore();
  const image = new FakeBackend();
  const audio = new FakeBackend();
  const saved: Array<{ blob: Blob; name: string }> = [];
  let ids = 0;
  let clock = 1_000;
  const lab = new LabController(store, { image, audio }, (blob, name) => saved.push({ blob, name }), {
    newId: () => `id-${++ids}`,
    now: () => clock++,
  });
  return { store, image, audio, lab, saved };
}

/** Image task with the built-in model ready, labels `cat` (two prompts) and `dog`, and four labelled images. */
function imageSetup() {
  const context = setup();
  const { store } = context;
  ready(store, 'image', 'builtin/clip-shapes', 'clip');
  store.getState().applySettings({ labelsText: 'cat: a tabby cat | a kitten\ndog', template: 'a photo of a {}.\na drawing of a {}.' });
  store.getState().addItems([
    imageItem('c1', 'cat'),
    imageItem('c2', ' CAT'),
    imageItem('d1', 'dog'),
    imageItem('d2', 'Dog'),
    imageItem('bird', 'bird'),
    imageItem('unlabelled', null),
    imageItem('pending', 'cat', { state: 'pending', contentHash: null }),
    imageItem('failed', 'dog', { state: 'error' }),
  ]);
  return context;
}

function audioSetup(family: 'whisper' | 'clap') {
  const context = setup();
  const { store } = context;
  ready(store, 'audio', family === 'whisper' ? 'builtin/whisper-words' : 'Xenova/clap-htsat-unfused', family);
  store.getState().applySettings({ audioLabelsText: 'yes\nno', audioTemplate: ' {}', calibration: 'prior', aggregation: 'sum-with-eot' });
  store.getState().addAudioItems([audioItem('y1', 'yes'), audioItem('y2', 'yes'), audioItem('n1', 'no'), audioItem('n2', 'no'), audioItem('decoding', 'no', { state: 'decoding' })]);
  return context;
}

describe('LabController grid search', () => {
  it('sends the labels, their prompts, the templates and the items with truth as class indices', async () => {
    const { image, lab, store } = imageSetup();
    await lab.runGridSearch('image', ['a {}', 'itap of a {}.']);
    expect(store.getState().labErrors.image).toBeNull();
    expect(image.grids).toEqual([
      {
        labels: ['cat', 'dog'],
        alternatives: [['a tabby cat', 'a kitten'], ['dog']],
        templates: ['a {}', 'itap of a {}.'],
        // Truth matched as labels are (case and spacing ignored); "bird" is not a label; unembedded and failed images are left out.
        items: [
          { itemId: 'c1', contentHash: 'hash-c1', truth: 0 },
          { itemId: 'c2', contentHash: 'hash-c2', truth: 0 },
          { itemId: 'd1', contentHash: 'hash-d1', truth: 1 },
          { itemId: 'd2', contentHash: 'hash-d2', truth: 1 },
        ],
        maxFolds: LAB_MAX_FOLDS,
        seed: LAB_SEED,
        audio: null,
        imageEmbedding: { resizeMode: 'exact' },
      },
    ]);
  });

  it('crosses the templates with every calibration and score rule for Whisper only', async () => {
    const whisper = audioSetup('whisper');
    await whisper.lab.runGridSearch('audio', [' {}', ' [{}]']);
    expect(whisper.audio.grids[0]?.audio).toEqual({ calibrations: ['none', 'zero-input', 'prior'], aggregations: ['mean', 'sum-with-eot'] });
    expect(whisper.audio.grids[0]?.items.map((item) => item.itemId)).toEqual(['y1', 'y2', 'n1', 'n2']);
    expect(whisper.image.grids).toEqual([]);

    const clap = audioSetup('clap');
    await clap.lab.runGridSearch('audio', ['This is a sound of {}.']);
    expect(clap.audio.grids[0]?.audio).toBeNull();
  });

  it('saves every configuration as an experiment of one run, and remembers the run for "apply best"', async () => {
    const { image, lab, store } = imageSetup();
    image.gridResult = {
      folds: 2,
      evaluated: 4,
      configs: [
        config({ kind: 'single', templates: ['a {}'], accuracy: 0.5, cvAccuracy: 0.5 }),
        config({ kind: 'ensemble', templates: ['a {}', 'itap of a {}.'], accuracy: 0.75, cvAccuracy: 0.75 }),
        config({ kind: 'greedy', templates: ['itap of a {}.'], accuracy: 1, cvAccuracy: 0.75 }),
      ],
    };
    await lab.runGridSearch('image', ['a {}', 'itap of a {}.']);
    const { experiments, lastGridRun } = store.getState();
    expect(experiments.map((e) => [e.kind, e.name, e.accuracy, e.cvAccuracy])).toEqual([
      ['single', 'a {}', 0.5, 0.5],
      ['ensemble', 'ensemble of 2', 0.75, 0.75],
      ['greedy', 'greedy: 1 template', 1, 0.75],
    ]);
    const runIds = new Set(experiments.map((e) => e.runId));
    expect(runIds.size).toBe(1);
    expect(lastGridRun.image).toBe([...runIds][0]);
    expect(experiments[0]).toMatchObject({
      task: 'image',
      modelId: 'builtin/clip-shapes',
      labels: ['cat', 'dog'],
      labelsText: 'cat: a tabby cat | a kitten\ndog',
      classifier: 'zero-shot',
      evaluated: 4,
      calibration: null,
      aggregation: null,
    });
    // "apply best": CV ties at 0.75, in-sample accuracy breaks it (greedy), and the template box gets its templates.
    lab.applyBest('image');
    expect(store.getState().template).toBe('itap of a {}.');
  });

  it('"apply best" picks only from the last run', async () => {
    const { image, lab, store } = imageSetup();
    image.gridResult = { folds: 2, evaluated: 4, configs: [config({ templates: ['old winner {}'], cvAccuracy: 1, accuracy: 1 })] };
    await lab.runGridSearch('image', ['old winner {}']);
    image.gridResult = {
      folds: 2,
      evaluated: 4,
      configs: [config({ templates: ['x {}'], cvAccuracy: 0.6 }), config({ kind: 'ensemble', templates: ['x {}', 'y {}'], cvAccuracy: 0.7 })],
    };
    await lab.runGridSearch('image', ['x {}', 'y {}']);
    lab.applyBest('image');
    expect(store.getState().template).toBe('x {}\ny {}');
  });

  it('applies an audio experiment’s calibration and score rule with its templates', async () => {
    const { audio, lab, store } = audioSetup('whisper');
    audio.gridResult = { folds: 2, evaluated: 4, configs: [config({ templates: [' [{}]', ' {}'], calibration: 'zero-input', aggregation: 'mean' })] };
    await lab.runGridSearch('audio', [' {}', ' [{}]']);
    const [experiment] = store.getState().experiments;
    expect(experiment?.name).toBe('[{}] (calibration zero-input, mean)');
    lab.applyExperiment(experiment!.id);
    expect(store.getState()).toMatchObject({ audioTemplate: ' [{}]\n {}', calibration: 'zero-input', aggregation: 'mean', template: 'a photo of a {}.' });
  });

  it('stops a head from ranking the items when a zero-shot configuration is applied', async () => {
    const { image, lab, store } = imageSetup();
    await lab.trainHead('image', { kind: 'knn', source: 'truth', initFromZeroShot: false, examplesPerClass: null });
    expect(store.getState().heads.image?.inUse).toBe(true);
    image.gridResult = { folds: 2, evaluated: 4, configs: [config({})] };
    await lab.runGridSearch('image', ['a photo of a {}.']);
    lab.applyBest('image');
    expect(store.getState().heads.image?.inUse).toBe(false);
  });

  it('refuses, saying why, when the model is not ready or a class has fewer than 2 items with truth', async () => {
    const notReady = setup();
    notReady.store.getState().addItems([imageItem('c1', 'red circle'), imageItem('c2', 'red circle')]);
    await notReady.lab.runGridSearch('image', ['a {}']);
    expect(notReady.store.getState().labErrors.image).toMatch(/image model is not ready/);
    expect(notReady.image.grids).toEqual([]);

    const { image, lab, store } = imageSetup();
    store.getState().removeItem('d2');
    await lab.runGridSearch('image', ['a {}']);
    expect(store.getState().labErrors.image).toMatch(/at least 2 items with ground truth per class; "dog" has only 1 \(1 item with a truth that is not one of the labels is left out\)/);
    expect(image.grids).toEqual([]);
    expect(store.getState().labJobs.image).toBeNull();

    store.getState().clearItems();
    await lab.runGridSearch('image', ['a {}']);
    expect(store.getState().labErrors.image).toMatch(/needs items with ground truth/);
  });

  it('shows progress as the task’s lab job, and clears it when done', async () => {
    const { image, lab, store } = imageSetup();
    const jobs: unknown[] = [];
    store.subscribe((state, previous) => {
      if (state.labJobs.image !== previous.labJobs.image) jobs.push(state.labJobs.image);
    });
    image.gridResult = { folds: 2, evaluated: 4, configs: [] };
    await lab.runGridSearch('image', ['a {}']);
    expect(jobs).toEqual([
      { kind: 'grid', stage: 'starting', done: 0, total: 0 },
      { kind: 'grid', stage: 'scoring templates', done: 1, total: 2 },
      null,
    ]);
  });

  it('cancels a running search: the job goes, no experiment is saved and it is not an error', async () => {
    const { image, lab, store } = imageSetup();
    image.gridResult = 'wait-for-cancel';
    const running = lab.runGridSearch('image', ['a {}']);
    await vi.waitFor(() => expect(image.grids).toHaveLength(1));
    expect(store.getState().labJobs.image?.kind).toBe('grid');
    lab.cancel('image');
    await running;
    expect(store.getState().labJobs.image).toBeNull();
    expect(store.getState().labErrors.image).toBeNull();
    expect(store.getState().experiments).toEqual([]);
    expect(store.getState().lastGridRun.image).toBeNull();
  });

  it('reports a worker failure as the task’s lab error', async () => {
    const { image, lab, store } = imageSetup();
    vi.spyOn(image, 'gridSearch').mockRejectedValue(new Error('worker crashed'));
    await lab.runGridSearch('image', ['a {}']);
    expect(store.getState().labErrors.image).toBe('worker crashed');
    expect(store.getState().labJobs.image).toBeNull();
  });
});

describe('LabController evaluateCurrent', () => {
  it('evaluates the current templates (and, for Whisper, the current calibration and score rule) as one "current" experiment', async () => {
    const { audio, lab, store } = audioSetup('whisper');
    store.getState().setTaskTemplate('audio', ' {}\n This is {}.');
    audio.gridResult = {
      folds: 2,
      evaluated: 4,
      configs: [
        config({ kind: 'single', templates: [' {}'], calibration: 'prior', aggregation: 'sum-with-eot' }),
        config({ kind: 'ensemble', templates: [' {}', ' This is {}.'], calibration: 'prior', aggregation: 'sum-with-eot', accuracy: 0.75 }),
      ],
    };
    await lab.evaluateCurrent('audio');
    expect(audio.grids[0]).toMatchObject({ templates: [' {}', ' This is {}.'], audio: { calibrations: ['prior'], aggregations: ['sum-with-eot'] } });
    const { experiments, lastGridRun } = store.getState();
    expect(experiments).toHaveLength(1);
    expect(experiments[0]).toMatchObject({ kind: 'current', runId: null, accuracy: 0.75, templates: [' {}', ' This is {}.'] });
    expect(lastGridRun.audio).toBeNull();
  });
});

describe('LabController heads', () => {
  it('trains on the items with truth and keeps none back; the head is used by the items', async () => {
    const { image, lab, store } = imageSetup();
    await lab.trainHead('image', { kind: 'logistic', source: 'truth', initFromZeroShot: true, examplesPerClass: null });
    const [request] = image.trainings;
    expect(request?.items.map((item) => [item.itemId, item.truth])).toEqual([
      ['c1', 0],
      ['c2', 0],
      ['d1', 1],
      ['d2', 1],
    ]);
    expect(request?.heldOut).toEqual([]);
    expect(request).toMatchObject({ kind: 'logistic', initFromZeroShot: true, maxFolds: LAB_MAX_FOLDS, seed: LAB_SEED });
    // The zero-shot classifier the items show: every template × every label prompt.
    expect(request?.zeroShot).toEqual({
      labels: ['cat', 'dog'],
      classPrompts: [
        ['a photo of a a tabby cat.', 'a photo of a a kitten.', 'a drawing of a a tabby cat.', 'a drawing of a a kitten.'],
        ['a photo of a dog.', 'a drawing of a dog.'],
      ],
      aggregation: null,
      calibration: null,
    });
    expect(store.getState().heads.image).toEqual<ActiveHead>({
      headId: request!.headId,
      kind: 'logistic',
      modelId: 'builtin/clip-shapes',
      labels: ['cat', 'dog'],
      dim: 3,
      chosen: { C: 1 },
      cvAccuracy: 0.9,
      heldOutAccuracy: null,
      zeroShotHeldOutAccuracy: null,
      examples: 4,
      source: 'truth',
      inUse: true,
      zeroShotWeight: 0,
    });
  });

  it('trains on accepted and relabelled items by their final label, and holds out the items with truth it did not train on', async () => {
    const { image, lab, store } = imageSetup();
    store.getState().updateItem('c1', { decision: 'accepted', finalLabel: 'cat' });
    store.getState().updateItem('d1', { decision: 'overridden', finalLabel: 'DOG' });
    store.getState().updateItem('unlabelled', { decision: 'overridden', finalLabel: 'cat' });
    store.getState().updateItem('c2', { decision: 'rejected', finalLabel: null });
    store.getState().updateItem('bird', { decision: 'overridden', finalLabel: 'bird' });
    await lab.trainHead('image', { kind: 'knn', source: 'decisions', initFromZeroShot: false, examplesPerClass: null });
    const [request] = image.trainings;
    expect(request?.items.map((item) => [item.itemId, item.truth])).toEqual([
      ['c1', 0],
      ['d1', 1],
      ['unlabelled', 0],
    ]);
    expect(request?.heldOut.map((item) => [item.itemId, item.truth])).toEqual([
      ['c2', 0],
      ['d2', 1],
    ]);
    expect(store.getState().heads.image?.source).toBe('decisions');
  });

  it('refuses to train with decisions in fewer than 2 classes', async () => {
    const { image, lab, store } = imageSetup();
    store.getState().updateItem('c1', { decision: 'accepted', finalLabel: 'cat' });
    await lab.trainHead('image', { kind: 'knn', source: 'decisions', initFromZeroShot: false, examplesPerClass: null });
    expect(store.getState().labErrors.image).toMatch(/accepted or relabelled items in at least 2 classes/);
    expect(image.trainings).toEqual([]);
  });

  it('gives every trained head a new id', async () => {
    const { image, lab } = imageSetup();
    await lab.trainHead('image', { kind: 'knn', source: 'truth', initFromZeroShot: false, examplesPerClass: null });
    await lab.trainHead('image', { kind: 'knn', source: 'truth', initFromZeroShot: false, examplesPerClass: null });
    const [first, second] = image.trainings;
    expect(first?.headId).not.toBe(second?.headId);
  });

  it('builds Whisper’s class prompts spaced as it writes them, with its score rule and calibration', async () => {
    const { audio, lab, store } = audioSetup('whisper');
    store.getState().applySettings({ audioLabelsText: 'yes: yes | yeah\nno', audioTemplate: ' {}\n[{}]' });
    await lab.trainHead('audio', { kind: 'logistic', source: 'truth', initFromZeroShot: false, examplesPerClass: null });
    expect(audio.trainings[0]?.zeroShot).toEqual({
      labels: ['yes', 'no'],
      classPrompts: [
        [' yes', ' yeah', ' [yes]', ' [yeah]'],
        [' no', ' [no]'],
      ],
      aggregation: 'sum-with-eot',
      calibration: 'prior',
    });
  });

  it('exports the head as <model>-<kind>-head.json with its model, labels and training', async () => {
    const { lab, saved, store } = imageSetup();
    await lab.trainHead('image', { kind: 'logistic', source: 'truth', initFromZeroShot: true, examplesPerClass: null });
    await lab.exportHead('image');
    expect(store.getState().labErrors.image).toBeNull();
    expect(saved.map((file) => file.name)).toEqual(['builtin-clip-shapes-logistic-head.json']);
    const file = parseHead(await saved[0]!.blob.text());
    expect(file).toMatchObject({
      format: HEAD_FILE_FORMAT,
      version: HEAD_FILE_VERSION,
      task: 'image',
      modelId: 'builtin/clip-shapes',
      labels: ['cat', 'dog'],
      embeddingDim: 3,
      training: { source: 'truth', examples: 4, perClass: { cat: 2, dog: 2 }, initialisedFromZeroShot: true, embedding: 'image', cvAccuracy: 0.9, folds: 2 },
    });
  });

  it('says so when there is no head to export', async () => {
    const { lab, saved, store } = imageSetup();
    await lab.exportHead('image');
    expect(store.getState().labErrors.image).toMatch(/no head to export/);
    expect(saved).toEqual([]);
  });

  function headFile(overrides: Partial<HeadFile> = {}): File {
    const labels = overrides.labels ?? ['cat', 'dog'];
    const file: HeadFile = {
      format: HEAD_FILE_FORMAT,
      version: HEAD_FILE_VERSION,
      task: 'image',
      modelId: 'builtin/clip-shapes',
      labels: ['cat', 'dog'],
      embeddingDim: 3,
      head: { kind: 'knn', classes: 2, dim: 3, k: 1, keys: new Float32Array(6), keyLabels: new Int32Array([0, 1]) },
      training: {
        source: 'truth',
        examples: 2,
        perClass: Object.fromEntries(labels.map((label) => [label, 1])),
        chosen: { k: 1 },
        cvAccuracy: null,
        folds: null,
        initialisedFromZeroShot: false,
        embedding: 'image',
        trainedAt: '2026-01-01T00:00:00.000Z',
      },
      ...overrides,
    };
    return new File([serializeHead(file)], 'head.json', { type: 'application/json' });
  }

  it('imports a head made for the current task, model and labels, and the items use it', async () => {
    const { image, lab, store } = imageSetup();
    await lab.importHead('image', headFile());
    expect(store.getState().labErrors.image).toBeNull();
    expect(image.imports).toHaveLength(1);
    expect(image.imports[0]?.embedding).toBe('image');
    expect(store.getState().heads.image).toMatchObject({ headId: image.imports[0]?.headId, kind: 'knn', source: 'imported', inUse: true, zeroShotWeight: 0 });
  });

  it('refuses a head for another task, model or labels, saying which', async () => {
    const { image, lab, store } = imageSetup();
    const refusal = async (file: File) => {
      await lab.importHead('image', file);
      return store.getState().labErrors.image;
    };
    expect(await refusal(headFile({ task: 'audio' }))).toMatch(/head for audio, not image/);
    expect(await refusal(headFile({ modelId: 'Xenova/clip-vit-base-patch32' }))).toMatch(/trained on Xenova\/clip-vit-base-patch32; the current model is builtin\/clip-shapes/);
    expect(await refusal(headFile({ labels: ['dog', 'cat'] }))).toMatch(/labels dog, cat; the current labels are cat, dog/);
    expect(await refusal(headFile({ labels: ['cat', 'bird'] }))).toMatch(/labels cat, bird; the current labels are cat, dog/);
    expect(await refusal(new File(['{"format":"something else"}'], 'other.json'))).toMatch(/^other\.json: Not a usable few-shot head file: .*format/);
    // Over the size cap: refused from its size, never read (a File that would throw if it were).
    const huge = new File([], 'huge.json');
    Object.defineProperty(huge, 'size', { value: MAX_HEAD_FILE_BYTES + 1 });
    Object.defineProperty(huge, 'text', { value: () => Promise.reject(new Error('read although too large')) });
    expect(await refusal(huge)).toMatch(/^huge\.json is .+, larger than a head file may be \(256 MB\); it was not read\.$/);
    expect(image.imports).toEqual([]);
    expect(store.getState().heads.image).toBeNull();
  });
});

describe('LabController after a worker restart', () => {
  it('sends the active trained head to the restarted worker under its own id, so the items keep using it', async () => {
    const { image, lab, store } = imageSetup();
    await lab.trainHead('image', { kind: 'logistic', source: 'truth', initFromZeroShot: false, examplesPerClass: null });
    const headId = store.getState().heads.image!.headId;
    // The restarted worker holds nothing.
    image.held.clear();
    lab.restoreHead('image', 'builtin/clip-shapes');
    expect(image.imports).toEqual([{ headId, head: logisticHead, embedding: 'image' }]);
    expect(image.held.get(headId)).toBe(logisticHead);
    expect(store.getState().heads.image?.headId).toBe(headId);
  });

  it('sends an imported head again too, and nothing for another model, a head no longer active, or no head', async () => {
    const { image, lab, store } = imageSetup();
    lab.restoreHead('image', 'builtin/clip-shapes');
    expect(image.imports).toEqual([]);
    await lab.trainHead('image', { kind: 'logistic', source: 'truth', initFromZeroShot: false, examplesPerClass: null });
    lab.restoreHead('image', 'org/other-model');
    expect(image.imports).toEqual([]);
    store.getState().setHead('image', null);
    lab.restoreHead('image', 'builtin/clip-shapes');
    expect(image.imports).toEqual([]);

    const file = new File(
      [
        serializeHead({
          format: HEAD_FILE_FORMAT,
          version: HEAD_FILE_VERSION,
          task: 'image',
          modelId: 'builtin/clip-shapes',
          labels: ['cat', 'dog'],
          embeddingDim: 3,
          head: logisticHead,
          training: { source: 'truth', examples: 2, perClass: {}, chosen: {}, cvAccuracy: null, folds: null, initialisedFromZeroShot: false, embedding: 'image', trainedAt: '2026-01-01T00:00:00.000Z' },
        }),
      ],
      'head.json',
    );
    await lab.importHead('image', file);
    const headId = store.getState().heads.image!.headId;
    lab.restoreHead('image', 'builtin/clip-shapes');
    expect(image.imports.map((sent) => sent.headId)).toEqual([headId, headId]);
  });
});

describe('LabController image embedding source', () => {
  it('sends the resize path the items are ranked on with every request that reads image embeddings', async () => {
    const { image, lab, store } = imageSetup();
    store.getState().setImageResizeMode('native');
    await lab.runGridSearch('image', ['a {}']);
    await lab.evaluateCurrent('image');
    await lab.trainHead('image', { kind: 'knn', source: 'truth', initFromZeroShot: false, examplesPerClass: null });
    await lab.runLearningCurve('image', ['knn']);
    await lab.runBiasProbe('a {attribute} {}', [{ a: 'red', b: 'blue' }]);
    const native = { resizeMode: 'native' };
    expect([...image.grids, ...image.trainings, ...image.curves, ...image.probes].map((request) => request.imageEmbedding)).toEqual([native, native, native, native, native]);
    // Read when each request is sent: a switch back applies to the next one.
    store.getState().setImageResizeMode('exact');
    await lab.runGridSearch('image', ['a {}']);
    expect(image.grids.at(-1)?.imageEmbedding).toEqual({ resizeMode: 'exact' });
  });

  it('sends none with the audio requests', async () => {
    const { audio, lab, store } = audioSetup('clap');
    store.getState().setImageResizeMode('native');
    await lab.runGridSearch('audio', [' {}']);
    await lab.trainHead('audio', { kind: 'knn', source: 'truth', initFromZeroShot: false, examplesPerClass: null });
    await lab.runLearningCurve('audio', ['knn']);
    expect([...audio.grids, ...audio.trainings, ...audio.curves].map((request) => request.imageEmbedding)).toEqual([null, null, null]);
  });
});

describe('LabController learning curve and bias probe', () => {
  it('runs the learning curve on the items with truth over 5 splits and keeps it for the task', async () => {
    const { image, lab, store } = imageSetup();
    await lab.runLearningCurve('image', ['logistic', 'knn']);
    expect(image.curves[0]).toMatchObject({ heads: ['logistic', 'knn'], splits: LEARNING_CURVE_SPLITS, seed: LAB_SEED });
    expect(image.curves[0]?.items).toHaveLength(4);
    expect(store.getState().learningCurves.image?.heads.logistic[0]?.mean).toBe(0.7);
  });

  it('probes the embedded images with the paired prompts and shows the report', async () => {
    const { image, lab, store } = imageSetup();
    await lab.runBiasProbe('a {attribute} {}', [{ a: 'red', b: 'blue' }]);
    expect(image.probes[0]).toMatchObject({ template: 'a {attribute} {}', labels: ['cat', 'dog'], pairs: [{ a: 'red', b: 'blue' }] });
    // Every image the worker has embedded, with or without truth.
    expect(image.probes[0]?.items.map((item) => item.itemId)).toEqual(['c1', 'c2', 'd1', 'd2', 'bird', 'unlabelled']);
    expect(store.getState().biasReport).toEqual({
      template: 'a {attribute} {}',
      pairs: [{ a: 'red', b: 'blue', meanGap: 2.5, gapStd: 0.5, meanPreferenceA: 0.9, flips: 3, items: 6 }],
      association: { labels: ['cat', 'dog'], attributes: ['red', 'blue'], cosines: [[0.3, 0.1]] },
      items: 6,
    });
  });
});
