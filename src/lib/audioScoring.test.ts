import { describe, expect, it } from 'vitest';
import {
  buildTranscriptClassPrompts,
  buildTranscriptPrompts,
  meanPromptScores,
  aggregateTokenScores,
  buildDecoderBatch,
  labelColumns,
  scoreDecoderBatchAfterPromptByRule,
  scoreDecoderBatchByRule,
  calibratedProbabilities,
  priorMatch,
  scoreDecoderBatch,
  subtractZeroInput,
  tokenLogProb,
} from './audioScoring';

describe('buildDecoderBatch', () => {
  it('puts prompt, label and end-of-text in each row and right-pads', () => {
    const batch = buildDecoderBatch([50258, 50259], [[10], [20, 21, 22]], 50257, 0);
    expect(batch.length).toBe(2 + 3 + 1);
    expect(batch.labelStart).toBe(2);
    expect(batch.labelLengths).toEqual([1, 3]);
    expect(batch.ids).toEqual([50258, 50259, 10, 50257, 0, 0, 50258, 50259, 20, 21, 22, 50257]);
  });
});

describe('token scores', () => {
  it('computes a log-softmax entry', () => {
    // logits [0, ln 3] → probabilities [1/4, 3/4]
    expect(tokenLogProb([0, Math.log(3)], 0, 2, 1)).toBeCloseTo(Math.log(0.75), 10);
    expect(tokenLogProb([9, 0, Math.log(3)], 1, 2, 0)).toBeCloseTo(Math.log(0.25), 10);
  });

  it('aggregates by mean (end-of-text excluded) or by sum with end-of-text', () => {
    expect(aggregateTokenScores([-1, -2, -3], -0.5, 'mean')).toBeCloseTo(-2, 12);
    expect(aggregateTokenScores([-1, -2, -3], -0.5, 'sum-with-eot')).toBeCloseTo(-6.5, 12);
  });

  it('scores each row from the logits one position earlier', () => {
    // vocab 3: tokens 0 (prompt), 1, 2 (eot = 2). Row 0 = [0, 1, 2], row 1 = [0, 2(eot), pad].
    const batch = buildDecoderBatch([0], [[1], []], 2);
    expect(batch.length).toBe(3);
    const vocab = 3;
    const logits = new Float32Array(batch.rows * batch.length * vocab);
    const set = (row: number, position: number, values: number[]) => logits.set(values, (row * batch.length + position) * vocab);
    // Row 0: position 0 predicts token 1 with p = 1/2, position 1 predicts eot with p = 1/4.
    set(0, 0, [0, Math.log(2), 0]); // exp: 1, 2, 1 → p(1) = 1/2
    set(0, 1, [Math.log(2), Math.log(1), Math.log(1)]); // 2, 1, 1 → p(2) = 1/4
    // Row 1 (empty label): position 0 predicts eot with p = 1/3.
    set(1, 0, [0, 0, 0]);
    const mean = scoreDecoderBatch(batch, logits, vocab, 'mean');
    expect(mean[0]).toBeCloseTo(Math.log(0.5), 6);
    expect(mean[1]).toBeCloseTo(Math.log(1 / 3), 6);
    const sum = scoreDecoderBatch(batch, logits, vocab, 'sum-with-eot');
    expect(sum[0]).toBeCloseTo(Math.log(0.5) + Math.log(0.25), 6);
    expect(sum[1]).toBeCloseTo(Math.log(1 / 3), 6);
  });
});

describe('scoring after a cached prompt', () => {
  // A causal decoder's logits at a prompt position depend only on the prompt, so they are the same
  // in every row; the prompt-once path must read exactly what the full batch would.
  const vocab = 7;
  const prompt = [5, 6, 4];
  const labels = [[1], [2, 3, 1], [], [3, 3]];
  const batch = buildDecoderBatch(prompt, labels, 0);
  const promptLogits = Array.from({ length: prompt.length * vocab }, (_, i) => Math.sin(3.1 * i) * 4);
  const fullLogits = new Float32Array(batch.rows * batch.length * vocab);
  for (let row = 0; row < batch.rows; row++)
    for (let position = 0; position < batch.length; position++)
      for (let v = 0; v < vocab; v++)
        fullLogits[(row * batch.length + position) * vocab + v] =
          position < prompt.length ? promptLogits[position * vocab + v]! : Math.cos(1.7 * row + 0.9 * position + 2.3 * v) * 5;

  it('takes the label columns of each row, end-of-text and padding included', () => {
    const { ids, length } = labelColumns(batch);
    expect(length).toBe(4);
    expect(ids).toEqual([1, 0, 0, 0, 2, 3, 1, 0, 0, 0, 0, 0, 3, 3, 0, 0]);
  });

  it("scores like the full batch from the prompt's last logits and the label run's logits", () => {
    const { length } = labelColumns(batch);
    const labelLogits = new Float32Array(batch.rows * length * vocab);
    for (let row = 0; row < batch.rows; row++)
      labelLogits.set(fullLogits.subarray((row * batch.length + prompt.length) * vocab, (row + 1) * batch.length * vocab), row * length * vocab);
    const promptLast = promptLogits.slice((prompt.length - 1) * vocab);
    const expected = scoreDecoderBatchByRule(batch, fullLogits, vocab);
    const actual = scoreDecoderBatchAfterPromptByRule(batch, promptLast, labelLogits, vocab);
    expect(Array.from(actual.mean)).toEqual(Array.from(expected.mean));
    expect(Array.from(actual['sum-with-eot'])).toEqual(Array.from(expected['sum-with-eot']));
    // The label with no tokens is scored by end-of-text alone, straight from the prompt's last position.
    expect(actual.mean[2]).toBeCloseTo(tokenLogProb(promptLast, 0, vocab, 0), 6);
    // Another prompt-last vector changes every row's score: it is really read.
    const shifted = scoreDecoderBatchAfterPromptByRule(batch, promptLast.map((x, v) => (v === 1 ? x + 3 : x)), labelLogits, vocab);
    expect(shifted.mean[0]).not.toBeCloseTo(actual.mean[0]!, 3);
  });

  it('refuses a batch without a prompt (nothing would predict the first token)', () => {
    expect(() => scoreDecoderBatchAfterPromptByRule(buildDecoderBatch([], [[1]], 0), [], [], vocab)).toThrow();
  });
});

describe('calibration', () => {
  it('zero-input subtracts each label’s score on silence', () => {
    expect(subtractZeroInput([-1, -2], [-3, -0.5])).toEqual([2, -1.5]);
    // Hand-checked: softmax([2, -1.5]) = [e^3.5, 1] / (e^3.5 + 1)
    const [p] = calibratedProbabilities([[-1, -2]], 'zero-input', [-3, -0.5]);
    expect(p?.[0]).toBeCloseTo(Math.exp(3.5) / (Math.exp(3.5) + 1), 10);
  });

  it('prior matching makes the batch mean uniform (hand-solved 2×2 case)', () => {
    // p(label 0) = 0.9 and 0.6 before calibration. With weight ratio w = e^(b0 − b1):
    // 0.9w/(0.9w+0.1) + 0.6w/(0.6w+0.4) = 1  ⇔  0.54w² = 0.04  ⇔  w = √(0.04/0.54) = 0.272166
    const result = priorMatch([
      [Math.log(0.9), Math.log(0.1)],
      [Math.log(0.6), Math.log(0.4)],
    ]);
    const w = Math.sqrt(0.04 / 0.54);
    expect(Math.exp((result.logWeights[0] as number) - (result.logWeights[1] as number))).toBeCloseTo(w, 5);
    expect(result.probabilities[0]?.[0]).toBeCloseTo((0.9 * w) / (0.9 * w + 0.1), 5); // 0.710102
    expect(result.probabilities[1]?.[0]).toBeCloseTo((0.6 * w) / (0.6 * w + 0.4), 5); // 0.289898
    expect(result.probabilities[0]?.[0]).toBeCloseTo(0.710102, 5);
  });

  it('prior matching leaves an already balanced batch alone and a single clip as softmax', () => {
    const balanced = priorMatch([
      [0, -1],
      [-1, 0],
    ]);
    expect(balanced.iterations).toBe(0);
    const single = priorMatch([[Math.log(0.7), Math.log(0.3)]]);
    expect(single.probabilities[0]?.[0]).toBeCloseTo(0.7, 10);
  });

  it('none is the plain softmax', () => {
    const [p] = calibratedProbabilities([[Math.log(0.2), Math.log(0.8)]], 'none', null);
    expect(p?.[1]).toBeCloseTo(0.8, 10);
  });
});

describe('buildTranscriptPrompts', () => {
  it('keeps the template verbatim and starts every prompt with a space', () => {
    expect(buildTranscriptPrompts(' {}', ['yes'])).toEqual([' yes']);
    expect(buildTranscriptPrompts(' [{}]', ['dog barking'])).toEqual([' [dog barking]']);
    expect(buildTranscriptPrompts(' This is a sound of {}.', ['rain'])).toEqual([' This is a sound of rain.']);
    expect(buildTranscriptPrompts('{}', ['go'])).toEqual([' go']);
    expect(buildTranscriptPrompts('Sound:', ['go'])).toEqual([' Sound: go']);
  });
});

describe('buildTranscriptClassPrompts', () => {
  it('fills every template with every alternative of a label, by Whisper\'s rules, repeats once', () => {
    expect(buildTranscriptClassPrompts([' {}', ' [{}]', 'Sound:'], [['yes'], ['dog barking', 'a dog']])).toEqual([
      [' yes', ' [yes]', ' Sound: yes'],
      [' dog barking', ' a dog', ' [dog barking]', ' [a dog]', ' Sound: dog barking', ' Sound: a dog'],
    ]);
    // '{}' and ' {}' give the same text once the leading space is added.
    expect(buildTranscriptClassPrompts(['{}', ' {}'], [['go']])).toEqual([[' go']]);
  });

  it('is buildTranscriptPrompts for one template and plain labels', () => {
    const labels = ['yes', 'no', 'left'];
    for (const template of [' {}', ' This is a sound of {}.', '', 'Sound:'])
      expect(buildTranscriptClassPrompts([template], labels.map((label) => [label])).map((prompts) => prompts[0])).toEqual(
        buildTranscriptPrompts(template, labels),
      );
  });
});

describe('meanPromptScores', () => {
  it('averages each label\'s prompt scores and keeps a single prompt\'s score as it is', () => {
    const scores = new Map([[' a', -1], [' b', -2], [' c', -4], [' d', 0.1]]);
    const result = meanPromptScores([[' a', ' b', ' c'], [' d']], (prompt) => scores.get(prompt)!);
    expect(result[0]).toBeCloseTo(-7 / 3, 6);
    expect(result[1]).toBe(Math.fround(0.1));
  });
});
