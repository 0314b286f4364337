import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../lib/random';
import { l2Normalize, type ScoringRule } from '../../../lib/scoring';
import type { FeatureMatrix } from '../../../lib/fewShot';
import type { GridSearchRequest, GridSearchResult, HeadSummary, ImageEmbeddingSource, LabEvent, LabItem } from '../../lab/shared';
import { runBiasProbe, runExportHead, runGridSearch, runImportHead, runLearningCurve, runTrainHead, type KeptHead, type LabEngine } from './clipLab';
import { ensembleClassVector } from './clipScoring';

/**
 * Synthetic embeddings: class c's images point along axis c (plus noise in the other axes). The
 * text tower is a table: "good {}" prompts point at their own class's axis, "bad {}" prompts at
 * the next class's axis, "vague {}" prompts mostly at noise.
 */
const DIM = 6;
const LABELS = ['red', 'green', 'blue'];
const PER_CLASS = 8;

function axis(c: number, scale = 1): number[] {
  return Array.from({ length: DIM }, (_, i) => (i === c ? scale : 0));
}

function noisy(base: number[], random: () => number, amount: number): Float32Array {
  return l2Normalize(base.map((value) => value + amount * (random() - 0.5)));
}

const random = seededRandom(7);
const IMAGES = new Map<string, Float32Array>();
const ITEMS: LabItem[] = [];
for (let c = 0; c < LABELS.length; c++)
  for (let k = 0; k < PER_CLASS; k++) {
    const hash = `h-${c}-${k}`;
    IMAGES.set(hash, noisy(axis(c), random, 0.8));
    ITEMS.push({ itemId: `i-${c}-${k}`, contentHash: hash, truth: c });
  }
/** An item whose image was never embedded: the lab leaves it out and counts only the rest. */
const NOT_EMBEDDED: LabItem = { itemId: 'later', contentHash: 'not-yet', truth: 0 };

const TEXT = new Map<string, Float32Array>();
LABELS.forEach((label, c) => {
  TEXT.set(`good ${label}`, noisy(axis(c), random, 0.2));
  TEXT.set(`bad ${label}`, noisy(axis((c + 1) % LABELS.length), random, 0.2));
  TEXT.set(`vague ${label}`, noisy(axis(c, 0.2), random, 2));
  // The bias probe's prompts: "a red thing" is close to red, "a blue thing" to blue, whatever the label.
  TEXT.set(label, noisy(axis(c), random, 0.1));
  for (const attribute of ['red', 'blue']) TEXT.set(`a ${attribute} ${label}`, noisy(axis(LABELS.indexOf(attribute)), random, 0.3));
  TEXT.set(`a ${label}`, noisy(axis(c, 0.5), random, 0.5));
});

class FakeEngine implements LabEngine {
  readonly scoring: ScoringRule = { kind: 'softmax', logitScale: 100 };
  readonly heads = new Map<string, KeptHead>();
  textCalls = 0;
  /** The resize path of every imageFeatures call, in order. */
  readonly sourcesRead: ImageEmbeddingSource[] = [];

  imageFeatures(contentHashes: readonly string[], source: ImageEmbeddingSource): Promise<{ features: FeatureMatrix; found: number[] }> {
    this.sourcesRead.push(source);
    const found = contentHashes.flatMap((hash, index) => (IMAGES.has(hash) ? [index] : []));
    const data = new Float32Array(found.length * DIM);
    found.forEach((index, row) => data.set(IMAGES.get(contentHashes[index]!)!, row * DIM));
    return Promise.resolve({ features: { data, count: found.length, dim: DIM }, found });
  }

  embedTexts(prompts: readonly string[]): Promise<Float32Array[]> {
    this.textCalls++;
    return Promise.resolve(
      prompts.map((prompt) => {
        const vector = TEXT.get(prompt);
        if (!vector) throw new Error(`no text embedding for "${prompt}"`);
        return vector;
      }),
    );
  }

  async classVectors(classPrompts: readonly (readonly string[])[]): Promise<Float32Array[]> {
    return Promise.all(classPrompts.map(async (prompts) => ensembleClassVector(await this.embedTexts(prompts))));
  }

  embeddingDim(): Promise<number> {
    return Promise.resolve(DIM);
  }
}

function recorder(cancelled = () => false) {
  const events: LabEvent[] = [];
  return { events, context: { isCancelled: cancelled, post: (event: LabEvent) => events.push(event) } };
}

function terminal(events: LabEvent[]): LabEvent {
  const replies = events.filter((event) => event.type !== 'labProgress');
  expect(replies).toHaveLength(1);
  return replies[0]!;
}

const TEMPLATES = ['vague {}', 'bad {}', 'good {}'];
/** The requests of most tests read the exact path's embeddings. */
const EXACT: ImageEmbeddingSource = { resizeMode: 'exact' };
const ALTERNATIVES = LABELS.map((label) => [label]);

async function gridSearch(cancelled?: () => boolean): Promise<{ result: GridSearchResult | null; events: LabEvent[] }> {
  const { events, context } = recorder(cancelled);
  const request: GridSearchRequest = {
    type: 'labGridSearch', requestId: 3, labels: LABELS, alternatives: ALTERNATIVES, templates: TEMPLATES,
    items: [...ITEMS, NOT_EMBEDDED], maxFolds: 4, seed: 1, audio: null, imageEmbedding: EXACT,
  };
  await runGridSearch(new FakeEngine(), request, context);
  const reply = terminal(events);
  if (reply.type !== 'labGridResult') throw new Error(`unexpected ${reply.type}`);
  return { result: reply.result, events };
}

describe('runGridSearch', () => {
  it('finds the template that is clearly better: best single and greedy pick it, with in-sample and cross-validated figures', async () => {
    const { result, events } = await gridSearch();
    expect(result).not.toBeNull();
    expect(result!.evaluated).toBe(ITEMS.length);
    expect(result!.folds).toBe(4);
    const byKind = (kind: string) => result!.configs.filter((config) => config.kind === kind);
    expect(byKind('single').map((config) => config.templates)).toEqual(TEMPLATES.map((t) => [t]));
    expect(byKind('best-single')[0]!.templates).toEqual(['good {}']);
    expect(byKind('greedy')[0]!.templates[0]).toBe('good {}');
    expect(byKind('ensemble')[0]!.templates).toEqual(TEMPLATES);

    const good = byKind('single').find((config) => config.templates[0] === 'good {}')!;
    const bad = byKind('single').find((config) => config.templates[0] === 'bad {}')!;
    expect(good.accuracy).toBe(1);
    expect(bad.accuracy).toBe(0);
    // "bad" predicts the previous class for every item: the whole confusion sits one column over.
    expect(bad.confusion).toEqual(LABELS.map((_, c) => LABELS.map((__, p) => (p === (c + LABELS.length - 1) % LABELS.length ? PER_CLASS : 0))));
    expect(good.perClassSupport).toEqual([PER_CLASS, PER_CLASS, PER_CLASS]);
    expect(good.macroF1).toBe(1);
    expect(byKind('greedy')[0]!.cvAccuracy).toBe(1);
    expect(events.some((event) => event.type === 'labProgress' && event.stage === 'Embedding prompts')).toBe(true);
  });

  it('replies with no result when cancelled', async () => {
    const { result } = await gridSearch(() => true);
    expect(result).toBeNull();
  });

  it('reports cross-validation as unavailable when a class has a single item', async () => {
    const { events, context } = recorder();
    const items = [...ITEMS.filter((item) => item.truth !== 2), ITEMS.find((item) => item.truth === 2)!];
    await runGridSearch(new FakeEngine(), { type: 'labGridSearch', requestId: 1, labels: LABELS, alternatives: ALTERNATIVES, templates: TEMPLATES, items, maxFolds: 5, seed: 1, audio: null, imageEmbedding: EXACT }, context);
    const reply = terminal(events);
    if (reply.type !== 'labGridResult' || !reply.result) throw new Error('expected a result');
    expect(reply.result.folds).toBeNull();
    expect(reply.result.configs.find((config) => config.kind === 'greedy')!.cvAccuracy).toBeNull();
  });

  it('fails with a clear message when no item is embedded yet', async () => {
    const { context } = recorder();
    await expect(
      runGridSearch(new FakeEngine(), { type: 'labGridSearch', requestId: 1, labels: LABELS, alternatives: ALTERNATIVES, templates: TEMPLATES, items: [NOT_EMBEDDED], maxFolds: 5, seed: 1, audio: null, imageEmbedding: EXACT }, context),
    ).rejects.toThrow(/embedding/);
  });
});

const POOR_ZERO_SHOT = { labels: LABELS, classPrompts: LABELS.map((label) => [`bad ${label}`]), aggregation: null, calibration: null };

describe('heads', () => {
  const train = ITEMS.filter((_, index) => index % 2 === 0);
  const heldOut = ITEMS.filter((_, index) => index % 2 === 1);

  async function trained(engine: FakeEngine, kind: 'logistic' | 'knn' | 'tip-adapter', zeroShot = POOR_ZERO_SHOT): Promise<HeadSummary> {
    const { events, context } = recorder();
    await runTrainHead(engine, { type: 'labTrainHead', requestId: 5, headId: `head-${kind}`, kind, zeroShot, items: train, heldOut: [...heldOut, NOT_EMBEDDED], initFromZeroShot: true, maxFolds: 3, seed: 2, imageEmbedding: EXACT }, context);
    const reply = terminal(events);
    if (reply.type !== 'labHeadTrained') throw new Error(`unexpected ${reply.type}`);
    return reply.summary;
  }

  it('trains each head on the image embeddings, keeps it, and scores it beside zero-shot on the held-out items', async () => {
    const engine = new FakeEngine();
    for (const kind of ['logistic', 'knn'] as const) {
      const summary = await trained(engine, kind);
      expect(summary).toMatchObject({ kind, dim: DIM, embedding: 'image', examples: train.length, heldOutItems: heldOut.length });
      // The poor prompts get every held-out item wrong; the head, trained on the images, gets them right.
      expect(summary.zeroShotHeldOutAccuracy).toBe(0);
      expect(summary.heldOutAccuracy).toBe(1);
      expect(engine.heads.get(`head-${kind}`)?.head.kind).toBe(kind);
    }
  });

  it('Tip-Adapter adds to the zero-shot logits: it mends vague prompts', async () => {
    const engine = new FakeEngine();
    const vague = { ...POOR_ZERO_SHOT, classPrompts: LABELS.map((label) => [`vague ${label}`]) };
    const summary = await trained(engine, 'tip-adapter', vague);
    expect(summary.kind).toBe('tip-adapter');
    expect(summary.zeroShotHeldOutAccuracy!).toBeLessThan(1);
    expect(summary.heldOutAccuracy!).toBeGreaterThan(summary.zeroShotHeldOutAccuracy!);
    expect(engine.heads.get('head-tip-adapter')?.head.kind).toBe('tip-adapter');
  });

  it('exports a copy (the kept head survives the transfer) and imports it back; refuses another model\'s width', async () => {
    const engine = new FakeEngine();
    await trained(engine, 'knn');
    const exported = recorder();
    runExportHead(engine, { type: 'labExportHead', requestId: 6, headId: 'head-knn' }, exported.context);
    const reply = terminal(exported.events);
    if (reply.type !== 'labHeadExported' || !reply.head || reply.head.kind !== 'knn') throw new Error('expected a kNN head');
    const kept = engine.heads.get('head-knn')!.head;
    if (kept.kind !== 'knn') throw new Error('expected a kNN head');
    expect(reply.head.keys).toEqual(kept.keys);
    expect(reply.head.keys.buffer).not.toBe(kept.keys.buffer);
    expect(reply.embedding).toBe('image');

    const imported = recorder();
    await runImportHead(engine, { type: 'labImportHead', requestId: 7, headId: 'again', head: reply.head, embedding: 'image' }, imported.context);
    expect(terminal(imported.events)).toMatchObject({ type: 'labHeadImported', summary: { headId: 'again', kind: 'knn', dim: DIM, chosen: { k: kept.k } } });

    const wide = { ...reply.head, dim: 512, keys: new Float32Array(512 * 2), keyLabels: Int32Array.from([0, 1]) };
    await expect(runImportHead(engine, { type: 'labImportHead', requestId: 8, headId: 'wide', head: wide, embedding: 'image' }, recorder().context)).rejects.toThrow(/512-dimensional.*6 dimensions/);
    await expect(runImportHead(engine, { type: 'labImportHead', requestId: 9, headId: 'audio', head: reply.head, embedding: 'clap-audio' }, recorder().context)).rejects.toThrow(/clap-audio/);
    expect(engine.heads.has('wide')).toBe(false);

    const missing = recorder();
    runExportHead(engine, { type: 'labExportHead', requestId: 10, headId: 'never' }, missing.context);
    expect(terminal(missing.events)).toEqual({ type: 'labHeadExported', requestId: 10, head: null, embedding: null });
  });

  it('draws the learning curve over the embedded items, with progress', async () => {
    const { events, context } = recorder();
    await runLearningCurve(new FakeEngine(), { type: 'labLearningCurve', requestId: 11, zeroShot: POOR_ZERO_SHOT, items: [...ITEMS, NOT_EMBEDDED], heads: ['knn'], splits: 2, seed: 3, imageEmbedding: EXACT }, context);
    const reply = terminal(events);
    if (reply.type !== 'labLearningCurveResult' || !reply.curve) throw new Error('expected a curve');
    expect(reply.curve.sizes[0]).toBe(1);
    expect(reply.curve.zeroShot.every((point) => point.mean === 0)).toBe(true);
    expect(reply.curve.heads.knn.at(-1)!.mean).toBeGreaterThan(0.9);
    expect(events.some((event) => event.type === 'labProgress')).toBe(true);
  });
});

describe('runBiasProbe', () => {
  it('reports a large gap for colour words on colour-matched images, and the text-side association', async () => {
    const { events, context } = recorder();
    const redItems = ITEMS.filter((item) => item.truth === 0);
    await runBiasProbe(new FakeEngine(), { type: 'labBiasProbe', requestId: 12, template: 'a {attribute} {}', labels: LABELS, pairs: [{ a: 'red', b: 'blue' }], items: redItems, imageEmbedding: EXACT }, context);
    const reply = terminal(events);
    if (reply.type !== 'labBiasReport') throw new Error(`unexpected ${reply.type}`);
    const [pair] = reply.report.pairs;
    expect(reply.report.items).toBe(PER_CLASS);
    // Red images: every "a red …" prompt is far closer than its "a blue …" twin.
    expect(pair!.meanGap).toBeGreaterThan(20);
    expect(pair!.meanPreferenceA).toBeGreaterThan(0.99);
    expect(reply.report.association.labels).toEqual(LABELS);
    expect(reply.report.association.attributes).toEqual(['red', 'blue']);
    // "a red" (attribute slot emptied) vs the word "red": the red label's prompt is nearest to "red".
    const cosines = reply.report.association.cosines;
    expect(cosines[0]![0]!).toBeGreaterThan(cosines[0]![1]!);
    expect(cosines[2]![1]!).toBeGreaterThan(cosines[2]![0]!);
  });
});

describe('image embedding source', () => {
  it('reads the embeddings of the resize path each request names (the worker keeps no current one)', async () => {
    const engine = new FakeEngine();
    const native: ImageEmbeddingSource = { resizeMode: 'native' };
    const grid = { type: 'labGridSearch', requestId: 1, labels: LABELS, alternatives: ALTERNATIVES, templates: TEMPLATES, items: ITEMS, maxFolds: 3, seed: 1, audio: null } as const;
    await runGridSearch(engine, { ...grid, imageEmbedding: native }, recorder().context);
    await runGridSearch(engine, { ...grid, imageEmbedding: EXACT }, recorder().context);
    await runTrainHead(engine, { type: 'labTrainHead', requestId: 2, headId: 'h', kind: 'knn', zeroShot: POOR_ZERO_SHOT, items: ITEMS, heldOut: [], initFromZeroShot: false, maxFolds: 3, seed: 1, imageEmbedding: native }, recorder().context);
    await runLearningCurve(engine, { type: 'labLearningCurve', requestId: 3, zeroShot: POOR_ZERO_SHOT, items: ITEMS, heads: ['knn'], splits: 1, seed: 1, imageEmbedding: EXACT }, recorder().context);
    await runBiasProbe(engine, { type: 'labBiasProbe', requestId: 4, template: 'a {attribute} {}', labels: LABELS, pairs: [{ a: 'red', b: 'blue' }], items: ITEMS, imageEmbedding: native }, recorder().context);
    expect(engine.sourcesRead.map((source) => source.resizeMode)).toEqual(['native', 'exact', 'native', 'exact', 'native']);
  });

  it('refuses an image request that names no resize path (the protocol leaves it null for audio only)', async () => {
    const engine = new FakeEngine();
    const grid = { type: 'labGridSearch', requestId: 1, labels: LABELS, alternatives: ALTERNATIVES, templates: TEMPLATES, items: ITEMS, maxFolds: 3, seed: 1, audio: null } as const;
    await expect(runGridSearch(engine, { ...grid, imageEmbedding: null }, recorder().context)).rejects.toThrow(/resize path/);
    expect(engine.sourcesRead).toEqual([]);
  });
});
