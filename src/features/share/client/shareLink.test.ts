import { describe, expect, it } from 'vitest';
import { decodeShareFragment, encodeShareFragment } from '../../../lib/shareFragment';
import { LIVE_SOURCES, parseUrlState, taskOfLiveSource } from '../../../lib/urlState';
import { TASKS } from '../../../lib/tasks';
import { DEFAULT_SETTINGS, type Settings } from '../../../store/settingsSlice';
import { liveSourceOf, shareQueryOf, shareStateOf } from './shareLink';

const settings: Settings = {
  ...DEFAULT_SETTINGS,
  modelId: 'builtin/clip-shapes',
  labelsText: 'red circle\nblue square',
  template: 'a photo of a {}.',
  audioModelId: 'builtin/whisper-words',
  audioLabelsText: 'yes\nno',
  audioTemplate: ' {}',
  calibration: 'prior',
};

describe('share links in live mode', () => {
  it('names each task’s live source, the inverse of taskOfLiveSource', () => {
    for (const task of TASKS) expect(taskOfLiveSource(liveSourceOf(task))).toBe(task);
    expect(TASKS.map(liveSourceOf).sort()).toEqual([...LIVE_SOURCES].sort());
  });

  it('puts live mode in the demo only when asked, as a version-2 state the decoder gives back', async () => {
    expect(shareStateOf(settings, 'image')).toEqual({
      v: 1,
      task: 'image',
      model: 'builtin/clip-shapes',
      labels: ['red circle', 'blue square'],
      templates: ['a photo of a {}.'],
    });
    for (const task of TASKS) {
      const state = shareStateOf(settings, task, true);
      expect(state).toMatchObject({ v: 2, task, live: liveSourceOf(task) });
      const encoded = await encodeShareFragment(state);
      if (!encoded.ok) throw new Error(encoded.problems.join('; '));
      expect(await decodeShareFragment(encoded.fragment)).toEqual({ ok: true, state });
    }
  });

  it('makes a short query link that opens the same task, labels and live source', () => {
    const image = parseUrlState(shareQueryOf(settings, 'image', true));
    expect(image).toMatchObject({ task: 'image', live: 'camera', model: 'builtin/clip-shapes', labels: ['red circle', 'blue square'], template: 'a photo of a {}.', rejected: [] });
    const audio = parseUrlState(shareQueryOf(settings, 'audio', true));
    expect(audio).toMatchObject({ task: 'audio', live: 'microphone', model: 'builtin/whisper-words', labels: ['yes', 'no'], calibration: 'prior', rejected: [] });
    expect(parseUrlState(shareQueryOf(settings, 'audio')).live).toBeUndefined();
  });
});
