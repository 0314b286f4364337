/**
 * Opening a demo link: the `#demo=` fragment is read once at start-up. A valid demo sets the
 * task, model, labels, template and calibration and adds its examples as items; an invalid one
 * changes nothing and its problems are shown.
 */
import { SHARE_FRAGMENT_KEY, decodeShareFragment, type ShareState } from '../../../lib/shareFragment';
import type { Settings } from '../../../store/settingsSlice';
import { addAudioFiles } from '../../audio';
import { addImageFiles } from '../../image';

export type SharedDemo = { ok: true; state: ShareState } | { ok: false; problems: string[] };

/** Null when the fragment holds no demo. */
export async function readSharedDemo(hash: string): Promise<SharedDemo | null> {
  const parts = hash.replace(/^#/, '').split('&');
  if (!parts.some((part) => part.startsWith(`${SHARE_FRAGMENT_KEY}=`))) return null;
  return decodeShareFragment(hash);
}

/** The settings a demo sets (its model, labels and template belong to its task). */
export function sharedDemoSettings(state: ShareState): Partial<Settings> {
  const labelsText = state.labels.join('\n');
  const template = state.templates[0];
  const calibration = state.calibration ? { calibration: state.calibration } : {};
  return state.task === 'image'
    ? { task: 'image', modelId: state.model, labelsText, ...(template !== undefined ? { template } : {}), ...calibration }
    : { task: 'audio', audioModelId: state.model, audioLabelsText: labelsText, ...(template !== undefined ? { audioTemplate: template } : {}), ...calibration };
}

/** The demo's examples become items of its task, to be classified like dropped files. */
export function addSharedExamples(state: ShareState): void {
  const files = (state.examples ?? []).map((example) => new File([example.bytes.slice()], example.name, { type: example.mime }));
  if (files.length === 0) return;
  if (state.task === 'image') addImageFiles(files.map((file) => ({ file, path: file.name })));
  else addAudioFiles(files);
}

/** Takes the demo out of the address, so a reload doesn't add its examples again. */
export function forgetSharedDemoInUrl(): void {
  const rest = location.hash
    .replace(/^#/, '')
    .split('&')
    .filter((part) => part !== '' && !part.startsWith(`${SHARE_FRAGMENT_KEY}=`))
    .join('&');
  history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
}
