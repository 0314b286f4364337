import { describe, expect, it } from 'vitest';
import { MAX_TEMPLATE_CHARS, buildShareQuery, isValidModelId, normaliseHubHost, parseUrlState } from './urlState';

describe('parseUrlState', () => {
  it('reads model, labels, template and backend', () => {
    const state = parseUrlState('?model=Xenova/clip-vit-base-patch32&labels=cat,%20dog&template=art%20of%20{}&backend=wasm');
    expect(state.model).toBe('Xenova/clip-vit-base-patch32');
    expect(state.labels).toEqual(['cat', 'dog']);
    expect(state.template).toBe('art of {}');
    expect(state.backend).toBe('wasm');
    expect(state.rejected).toEqual([]);
  });
  it('leaves absent fields undefined', () => {
    const state = parseUrlState('');
    expect(state.model).toBeUndefined();
    expect(state.labels).toBeUndefined();
    expect(state.debug).toBe(false);
  });
  it('rejects invalid values with a reason instead of trusting them', () => {
    const state = parseUrlState(
      `?model=../../etc/passwd&backend=cuda&hub=javascript:alert(1)&template=${'x'.repeat(MAX_TEMPLATE_CHARS + 1)}`,
    );
    expect(state.model).toBeUndefined();
    expect(state.backend).toBeUndefined();
    expect(state.hubHost).toBeUndefined();
    expect(state.template).toBeUndefined();
    expect(state.rejected).toHaveLength(4);
  });
  it('normalises a mirror host', () => {
    expect(parseUrlState('?hub=http://127.0.0.1:9000').hubHost).toBe('http://127.0.0.1:9000/');
    expect(normaliseHubHost('ftp://x')).toBeUndefined();
  });
  it('validates model ids', () => {
    expect(isValidModelId('builtin/clip-shapes')).toBe(true);
    expect(isValidModelId('no-slash')).toBe(false);
    expect(isValidModelId('a/b/c')).toBe(false);
  });
  it('round-trips a shareable state', () => {
    const query = buildShareQuery({ task: 'image', model: 'builtin/clip-shapes', labels: ['red circle', 'a, b'], template: 'a photo of a {}.' });
    const state = parseUrlState(query);
    expect(state.model).toBe('builtin/clip-shapes');
    expect(state.labels).toEqual(['red circle', 'a  b']);
    expect(state.template).toBe('a photo of a {}.');
  });

  it('reads the audio task, calibration and score, and round-trips them', () => {
    const query = buildShareQuery({
      task: 'audio',
      model: 'builtin/whisper-words',
      labels: ['yes', 'no'],
      template: ' [{}]',
      calibration: 'prior',
      aggregation: 'sum-with-eot',
    });
    const state = parseUrlState(query);
    expect(state).toMatchObject({ task: 'audio', model: 'builtin/whisper-words', labels: ['yes', 'no'], template: ' [{}]', calibration: 'prior', aggregation: 'sum-with-eot' });
    expect(state.rejected).toEqual([]);
  });

  it('rejects an unknown task or calibration', () => {
    const state = parseUrlState('?task=video&calibration=magic&score=max');
    expect(state.task).toBeUndefined();
    expect(state.calibration).toBeUndefined();
    expect(state.rejected).toHaveLength(3);
  });
});

describe('live links', () => {
  it('?live=camera opens the image task live, ?live=microphone the audio task', () => {
    expect(parseUrlState('?live=camera')).toMatchObject({ live: 'camera', task: 'image', rejected: [] });
    expect(parseUrlState('?live=microphone&labels=yes,no')).toMatchObject({ live: 'microphone', task: 'audio', labels: ['yes', 'no'] });
  });

  it('rejects an unknown source, and a source that contradicts the task', () => {
    const unknown = parseUrlState('?live=screen');
    expect(unknown.live).toBeUndefined();
    expect(unknown.rejected).toEqual(['live: must be one of camera, microphone']);
    const contradiction = parseUrlState('?task=image&live=microphone');
    expect(contradiction.live).toBeUndefined();
    expect(contradiction.task).toBe('image');
    expect(contradiction.rejected[0]).toMatch(/^live: microphone belongs to the audio task/);
  });

  it('buildShareQuery carries live mode, and parseUrlState reads it back', () => {
    const query = buildShareQuery({ task: 'audio', model: 'builtin/whisper-words', labels: ['yes'], template: '{}', live: 'microphone' });
    expect(parseUrlState(query)).toMatchObject({ live: 'microphone', task: 'audio', labels: ['yes'] });
  });
});
