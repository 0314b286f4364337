import { describe, expect, it } from 'vitest';
import type { ExportItem } from './exportRows';
import { LABEL_STUDIO_CONTROL_NAME, labelStudioConfig, labelStudioJson, labelStudioTasks } from './labelStudio';

const predictions = [
  { label: 'cat', score: 0.7 },
  { label: 'dog', score: 0.2 },
  { label: 'bird', score: 0.1 },
];
const items: ExportItem[] = [
  { file: 'a.jpg', predictions, decision: 'accepted', finalLabel: 'cat' },
  { file: 'b.jpg', predictions, decision: 'overridden', finalLabel: 'dog' },
  { file: 'c.jpg', predictions, decision: 'rejected', finalLabel: null },
  { file: 'd.jpg', predictions: [], decision: 'none', finalLabel: null },
];

describe('labelStudioTasks', () => {
  it('writes the documented pre-annotation shape: data keyed by the object tag, a choices result per task', () => {
    const tasks = labelStudioTasks(items, { media: 'image', modelVersion: 'Xenova/clip-vit-base-patch32' });
    expect(tasks[0]).toEqual({
      data: { image: 'a.jpg' },
      predictions: [
        {
          model_version: 'Xenova/clip-vit-base-patch32',
          score: 0.7,
          result: [{ from_name: 'label', to_name: 'image', type: 'choices', value: { choices: ['cat'] }, score: 0.7 }],
        },
      ],
    });
  });
  it('predicts the model’s top label even where a person overrode it, and nothing without predictions', () => {
    const tasks = labelStudioTasks(items, { media: 'image', modelVersion: 'm/x' });
    expect(tasks[1]!.predictions[0]!.result[0]!.value.choices).toEqual(['cat']);
    expect(tasks[1]!.annotations).toBeUndefined();
    expect(tasks[3]).toEqual({ data: { image: 'd.jpg' }, predictions: [] });
  });
  it('writes reviewed labels as annotations only when asked', () => {
    const tasks = labelStudioTasks(items, { media: 'audio', modelVersion: 'm/x', reviewedAsAnnotations: true });
    expect(tasks.map((t) => t.annotations?.[0]?.result[0]?.value.choices[0])).toEqual(['cat', 'dog', undefined, undefined]);
    expect(tasks[1]!.annotations![0]!.result[0]).toEqual({ from_name: 'label', to_name: 'audio', type: 'choices', value: { choices: ['dog'] } });
  });
  it('uses the audio tag name and the caller’s file URLs', () => {
    const tasks = labelStudioTasks(items.slice(0, 1), {
      media: 'audio',
      modelVersion: 'builtin/whisper-words',
      fileUrl: (file) => `/data/upload/1/${encodeURIComponent(file)}`,
    });
    expect(tasks[0]!.data).toEqual({ audio: '/data/upload/1/a.jpg' });
    expect(tasks[0]!.predictions[0]!.result[0]!.to_name).toBe('audio');
  });
  it('leaves out a score that is not a number', () => {
    const [task] = labelStudioTasks([{ file: 'x', predictions: [{ label: 'cat', score: Number.NaN }], decision: 'none', finalLabel: null }], {
      media: 'image',
      modelVersion: 'm/x',
    });
    expect(task!.predictions[0]).toEqual({ model_version: 'm/x', result: [{ from_name: 'label', to_name: 'image', type: 'choices', value: { choices: ['cat'] } }] });
  });
});

describe('labelStudioJson', () => {
  it('is a JSON list of the tasks', () => {
    const text = labelStudioJson(items, { media: 'image', modelVersion: 'm/x' });
    expect(JSON.parse(text)).toEqual(labelStudioTasks(items, { media: 'image', modelVersion: 'm/x' }));
    expect(text.endsWith(']\n')).toBe(true);
  });
});

describe('labelStudioConfig', () => {
  it('matches the names the tasks use and escapes labels', () => {
    expect(labelStudioConfig(['cat', 'Tom & "Jerry" <b>'], 'image')).toBe(
      [
        '<View>',
        '  <Image name="image" value="$image"/>',
        `  <Choices name="${LABEL_STUDIO_CONTROL_NAME}" toName="image" choice="single" showInline="true">`,
        '    <Choice value="cat"/>',
        '    <Choice value="Tom &amp; &quot;Jerry&quot; &lt;b&gt;"/>',
        '  </Choices>',
        '</View>',
        '',
      ].join('\n'),
    );
    expect(labelStudioConfig(['yes'], 'audio')).toContain('<Audio name="audio" value="$audio"/>');
  });
});
