import { describe, expect, it } from 'vitest';
import type { TokenAggregation } from '../../../lib/audioScoring';
import type { TrainedHead } from '../../../lib/fewShot';
import type { GridSearchRequest, LabEvent, LabItem, TrainHeadRequest } from '../../lab/shared';
import { answerLabRequest, type AudioLabEngine } from './audioLab';

const LABELS = ['yes', 'no', 'up'];
const CLASSES = LABELS.length;
const DIM = 4;

/** The label a prompt names (the fake "model" reads it back from the text). */
function labelOf(prompt: string): number {
  return LABELS.findIndex((label) => new RegExp(`\\b${label}\\b`).test(prompt));
}

/**
 * Clips whose truth is in their hash (`clip-<truth>-<n>`). Whisper-like scores by template:
 * "good" puts the true label on top; "bad" puts the next label on top; "biased" adds +2 to
 * label 0 on every clip (silence too) and +1 to the true label, so only zero-input calibration
 * reads it right. Embeddings point at the true class (one axis per class, plus a shared axis).
 */
class FakeLabEngine implements AudioLabEngine {
  readonly embeddingKind;
  readonly logitScale: number | null;
  readonly heads = new Map<string, TrainedHead>();
  readonly scoreCalls: Array<{ hash: string; templates: number; aggregation: TokenAggregation }> = [];

  constructor(
    readonly family: 'whisper' | 'clap',
    private readonly held: ReadonlySet<string>,
  ) {
    this.embeddingKind = family === 'clap' ? ('clap-audio' as const) : ('whisper-encoder-mean' as const);
    this.logitScale = family === 'clap' ? 10 : null;
  }

  holds(contentHash: string): boolean {
    return this.held.has(contentHash);
  }

  private truthOf(contentHash: string): number {
    return Number(contentHash.split('-')[1]);
  }

  private scoreOf(prompt: string, truth: number | null): number {
    const label = labelOf(prompt);
    if (prompt.includes('good')) return label === truth ? 0 : -3;
    if (prompt.includes('bad')) return truth !== null && label === (truth + 1) % CLASSES ? 0 : -3;
    return (label === 0 ? 2 : 0) + (label === truth ? 1 : 0) - 3;
  }

  clipClassScores(contentHash: string, promptSets: readonly (readonly (readonly string[])[])[], aggregation: TokenAggregation): Promise<Float32Array[] | null> {
    if (!this.held.has(contentHash)) return Promise.resolve(null);
    this.scoreCalls.push({ hash: contentHash, templates: promptSets.length, aggregation });
    const truth = this.truthOf(contentHash);
    return Promise.resolve(
      promptSets.map((classPrompts) =>
        Float32Array.from(classPrompts, (prompts) => prompts.reduce((sum, prompt) => sum + this.scoreOf(prompt, truth), 0) / prompts.length),
      ),
    );
  }

  silenceClassScores(promptSets: readonly (readonly (readonly string[])[])[]): Promise<Float32Array[]> {
    return Promise.resolve(
      promptSets.map((classPrompts) =>
        Float32Array.from(classPrompts, (prompts) => prompts.reduce((sum, prompt) => sum + this.scoreOf(prompt, null), 0) / prompts.length),
      ),
    );
  }

  clipEmbedding(contentHash: string): Promise<Float32Array | null> {
    if (!this.held.has(contentHash)) return Promise.resolve(null);
    const vector = new Float32Array(DIM);
    vector[this.truthOf(contentHash)] = 0.8;
    vector[DIM - 1] = 0.6;
    return Promise.resolve(vector);
  }

  embeddingDim(): number | null {
    return DIM;
  }

  /** CLAP captions: "good" ones point at their class's axis, "bad" ones at the next class's. */
  captionEmbeddings(prompts: readonly string[]): Promise<Float32Array[] | null> {
    if (this.family !== 'clap') return Promise.resolve(null);
    return Promise.resolve(
      prompts.map((prompt) => {
        const vector = new Float32Array(DIM);
        const label = labelOf(prompt);
        vector[prompt.includes('bad') ? (label + 1) % CLASSES : label] = 1;
        return vector;
      }),
    );
  }

  storeHead(headId: string, head: TrainedHead): void {
    this.heads.set(headId, head);
  }

  headFor(headId: string): TrainedHead | undefined {
    return this.heads.get(headId);
  }
}

function labItems(perClass: number, prefix = 'clip'): LabItem[] {
  return Array.from({ length: perClass * CLASSES }, (_, index) => {
    const truth = index % CLASSES;
    return { itemId: `${prefix}${index}`, contentHash: `${prefix}-${truth}-${index}`, truth };
  });
}

async function answer(engine: AudioLabEngine, request: Parameters<typeof answerLabRequest>[1]): Promise<LabEvent[]> {
  const events: LabEvent[] = [];
  await answerLabRequest(engine, request, { isCancelled: () => false, post: (event) => events.push(event) });
  return events;
}

function gridRequest(items: LabItem[], templates: string[], audio: GridSearchRequest['audio']): GridSearchRequest {
  return { type: 'labGridSearch', requestId: 7, labels: LABELS, alternatives: LABELS.map((label) => [label]), templates, items, maxFolds: 5, seed: 1, audio, imageEmbedding: null };
}

describe('audio lab: grid search', () => {
  it('Whisper: crosses templates with score rules and calibrations, and finds the template that reads the clips right', async () => {
    const items = labItems(5);
    const unheld: LabItem = { itemId: 'gone', contentHash: 'gone-0-99', truth: 0 };
    const engine = new FakeLabEngine('whisper', new Set(items.map((item) => item.contentHash)));
    const templates = [' bad {}', ' good {}', ' biased {}'];
    const events = await answer(
      engine,
      gridRequest([...items, unheld], templates, { aggregations: ['mean', 'sum-with-eot'], calibrations: ['none', 'zero-input', 'prior'] }),
    );
    const reply = events.at(-1);
    expect(reply?.type).toBe('labGridResult');
    if (reply?.type !== 'labGridResult' || !reply.result) throw new Error('no grid result');
    const { result } = reply;
    // The clip the worker doesn't hold is left out, and counted so.
    expect(result.evaluated).toBe(items.length);
    expect(result.folds).toBe(5);
    // 2 score rules × 3 calibrations × (3 singles + ensemble + greedy + best single).
    expect(result.configs).toHaveLength(2 * 3 * 6);
    for (const aggregation of ['mean', 'sum-with-eot'] as const)
      for (const calibration of ['none', 'zero-input', 'prior'] as const) {
        const configs = result.configs.filter((config) => config.aggregation === aggregation && config.calibration === calibration);
        expect(configs.map((config) => config.kind)).toEqual(['single', 'single', 'single', 'ensemble', 'greedy', 'best-single']);
        const good = configs.find((config) => config.kind === 'single' && config.templates[0] === ' good {}');
        expect(good?.accuracy).toBe(1);
        expect(configs.find((config) => config.kind === 'single' && config.templates[0] === ' bad {}')?.accuracy).toBe(0);
        expect(configs.find((config) => config.kind === 'best-single')?.templates).toEqual([' good {}']);
        // Greedy selection's cross-validated figure: the selection re-made on each training fold still picks "good".
        expect(configs.find((config) => config.kind === 'greedy')?.cvAccuracy).toBe(1);
        expect(good?.confusion).toEqual([
          [5, 0, 0],
          [0, 5, 0],
          [0, 0, 5],
        ]);
      }
    // The biased template only reads right once the silent clip's bias is taken away.
    const biased = (calibration: string) =>
      result.configs.find((config) => config.kind === 'single' && config.templates[0] === ' biased {}' && config.calibration === calibration && config.aggregation === 'mean');
    expect(biased('none')?.accuracy).toBeCloseTo(1 / 3, 6);
    expect(biased('zero-input')?.accuracy).toBe(1);
    // Every held clip scored once per score rule, all templates in one call.
    expect(engine.scoreCalls).toHaveLength(2 * items.length);
    expect(engine.scoreCalls.every((call) => call.templates === templates.length)).toBe(true);
    expect(events.some((event) => event.type === 'labProgress')).toBe(true);
  });

  it('CLAP: the templates alone (no calibration or score rule), over the clip embeddings and caption sums', async () => {
    const items = labItems(4);
    const engine = new FakeLabEngine('clap', new Set(items.map((item) => item.contentHash)));
    const events = await answer(engine, gridRequest(items, ['bad {}', 'good {}'], null));
    const reply = events.at(-1);
    if (reply?.type !== 'labGridResult' || !reply.result) throw new Error('no grid result');
    expect(reply.result.configs).toHaveLength(2 + 3);
    expect(reply.result.configs.every((config) => config.calibration === null && config.aggregation === null)).toBe(true);
    const singles = reply.result.configs.filter((config) => config.kind === 'single');
    expect(singles.map((config) => config.accuracy)).toEqual([0, 1]);
    expect(reply.result.configs.find((config) => config.kind === 'greedy')?.templates).toEqual(['good {}']);
  });

  it('stops and answers null when cancelled', async () => {
    const items = labItems(3);
    const engine = new FakeLabEngine('whisper', new Set(items.map((item) => item.contentHash)));
    const events: LabEvent[] = [];
    let checks = 0;
    await answerLabRequest(engine, gridRequest(items, [' good {}'], { aggregations: ['mean'], calibrations: ['none'] }), {
      isCancelled: () => ++checks > 2,
      post: (event) => events.push(event),
    });
    expect(events.at(-1)).toEqual({ type: 'labGridResult', requestId: 7, result: null });
  });
});

describe('audio lab: heads', () => {
  function trainRequest(engine: FakeLabEngine, kind: TrainHeadRequest['kind']): TrainHeadRequest {
    void engine;
    return {
      type: 'labTrainHead',
      requestId: 3,
      headId: 'head-1',
      kind,
      zeroShot: { labels: LABELS, classPrompts: LABELS.map((label) => [` bad ${label}`]), aggregation: 'mean', calibration: 'none' },
      items: labItems(4, 'train'),
      heldOut: labItems(2, 'test'),
      initFromZeroShot: false,
      maxFolds: 3,
      seed: 2,
      imageEmbedding: null,
    };
  }

  it('trains on the clip embeddings, beats the poor zero-shot prompts on the held-out clips, and keeps the head by id', async () => {
    const request = trainRequest(new FakeLabEngine('whisper', new Set()), 'knn');
    const engine = new FakeLabEngine('whisper', new Set([...request.items, ...request.heldOut].map((item) => item.contentHash)));
    const events = await answer(engine, request);
    const reply = events.at(-1);
    if (reply?.type !== 'labHeadTrained') throw new Error(`no head: ${JSON.stringify(reply)}`);
    expect(reply.summary).toMatchObject({
      headId: 'head-1',
      kind: 'knn',
      dim: DIM,
      examples: 12,
      embedding: 'whisper-encoder-mean',
      heldOutAccuracy: 1,
      zeroShotHeldOutAccuracy: 0,
      heldOutItems: 6,
    });
    expect(engine.heads.get('head-1')?.kind).toBe('knn');
  });

  it('exports a copy (the worker keeps its own) and imports only a head for the same embedding', async () => {
    const request = trainRequest(new FakeLabEngine('clap', new Set()), 'logistic');
    const engine = new FakeLabEngine('clap', new Set([...request.items, ...request.heldOut].map((item) => item.contentHash)));
    await answer(engine, { ...request, initFromZeroShot: true });
    const exported = (await answer(engine, { type: 'labExportHead', requestId: 4, headId: 'head-1' })).at(-1);
    if (exported?.type !== 'labHeadExported' || !exported.head) throw new Error('nothing exported');
    expect(exported.embedding).toBe('clap-audio');
    const stored = engine.heads.get('head-1');
    if (exported.head.kind !== 'logistic' || stored?.kind !== 'logistic') throw new Error('not logistic');
    expect(exported.head.model.weights).not.toBe(stored.model.weights);
    expect(Array.from(exported.head.model.weights)).toEqual(Array.from(stored.model.weights));

    const imported = (await answer(engine, { type: 'labImportHead', requestId: 5, headId: 'head-2', head: exported.head, embedding: 'clap-audio' })).at(-1);
    expect(imported).toMatchObject({ type: 'labHeadImported', summary: { headId: 'head-2', kind: 'logistic', dim: DIM, embedding: 'clap-audio' } });
    await expect(answer(engine, { type: 'labImportHead', requestId: 6, headId: 'head-3', head: exported.head, embedding: 'whisper-encoder-mean' })).rejects.toThrow(
      /whisper-encoder-mean/,
    );
    expect((await answer(engine, { type: 'labExportHead', requestId: 8, headId: 'unknown' })).at(-1)).toMatchObject({ head: null, embedding: null });
  });

  it('draws the learning curve over the held clips', async () => {
    const items = labItems(6);
    const engine = new FakeLabEngine('whisper', new Set(items.map((item) => item.contentHash)));
    const events = await answer(engine, {
      type: 'labLearningCurve',
      requestId: 9,
      zeroShot: { labels: LABELS, classPrompts: LABELS.map((label) => [` good ${label}`]), aggregation: 'mean', calibration: 'none' },
      items,
      heads: ['knn'],
      splits: 2,
      seed: 3,
      imageEmbedding: null,
    });
    const reply = events.at(-1);
    if (reply?.type !== 'labLearningCurveResult' || !reply.curve) throw new Error('no curve');
    expect(reply.curve.sizes.length).toBeGreaterThan(0);
    expect(reply.curve.zeroShot.every((point) => point.mean === 1)).toBe(true);
    expect(reply.curve.heads.knn.length).toBe(reply.curve.sizes.length);
  });

  it('refuses the bias probe (images only)', async () => {
    const engine = new FakeLabEngine('whisper', new Set());
    await expect(
      answer(engine, { type: 'labBiasProbe', requestId: 1, template: '{attribute} {}', labels: LABELS, pairs: [], items: [], imageEmbedding: { resizeMode: 'exact' } }),
    ).rejects.toThrow(/images/);
  });
});
