/**
 * Making a demo link (lib/shareFragment) from the current task's settings and, when asked, a few
 * of its items as small examples: images too big for a link are downscaled to a small WebP or
 * JPEG; clips too big are left out, and the user is told which. Beside it, the short query link
 * (lib/urlState `buildShareQuery`): readable, settings only. Either can open in live mode.
 */
import { safeFileName } from '../../../lib/exportRows';
import { parseLabels } from '../../../lib/labels';
import { buildShareQuery, type LiveSource } from '../../../lib/urlState';
import {
  MAX_DECOMPRESSED_BYTES,
  MAX_EXAMPLE_BYTES,
  MAX_SHARED_EXAMPLES,
  SHARED_EXAMPLE_MIME_TYPES,
  encodeShareFragment,
  shareStateVersionFor,
  type SharedExample,
  type SharedExampleMime,
  type ShareState,
} from '../../../lib/shareFragment';
import type { AppState } from '../../../store';
import { labelsTextOf, modelIdOf, templateOf, type Settings } from '../../../store/settingsSlice';
import type { Task } from '../../../lib/tasks';
import { workspaceItemsOf, type WorkspaceItem } from '../../workspace';

/** Room left in a link for the settings JSON and the container header, whatever the examples take. */
const SETTINGS_RESERVE_BYTES = 16 * 1024;
/** Downscaled examples: longest side tried in turn until the picture fits its share of the link. */
const DOWNSCALE_SIDES_PX = [384, 256, 192, 128, 96, 64];
const DOWNSCALE_QUALITY = 0.8;

/** Browsers and tools name the same formats differently; the link allows one name per format. */
const MIME_ALIASES: Record<string, SharedExampleMime> = {
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'audio/vnd.wave': 'audio/wav',
  'audio/mp3': 'audio/mpeg',
  'audio/x-flac': 'audio/flac',
  'video/webm': 'audio/webm',
  'image/jpg': 'image/jpeg',
};

function sharedMime(type: string): SharedExampleMime | null {
  const base = type.split(';')[0]?.trim().toLowerCase() ?? '';
  if ((SHARED_EXAMPLE_MIME_TYPES as readonly string[]).includes(base)) return base as SharedExampleMime;
  return MIME_ALIASES[base] ?? null;
}

export interface LeftOutExample {
  name: string;
  reason: string;
}

async function downscaleImage(blob: Blob, maxBytes: number): Promise<{ bytes: Uint8Array; mime: SharedExampleMime } | null> {
  const bitmap = await createImageBitmap(blob);
  try {
    for (const side of DOWNSCALE_SIDES_PX) {
      const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
      const canvas = new OffscreenCanvas(Math.max(1, Math.round(bitmap.width * scale)), Math.max(1, Math.round(bitmap.height * scale)));
      const context = canvas.getContext('2d');
      if (!context) return null;
      // JPEG has no transparency: white behind it, as the SVG rasteriser does.
      context.fillStyle = '#ffffff';
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      for (const type of ['image/webp', 'image/jpeg']) {
        const out = await canvas.convertToBlob({ type, quality: DOWNSCALE_QUALITY });
        // A browser that can't write the type hands back a PNG instead.
        const mime = sharedMime(out.type);
        if (out.type !== type || !mime) continue;
        if (out.size <= maxBytes) return { bytes: new Uint8Array(await out.arrayBuffer()), mime };
        break;
      }
    }
    return null;
  } finally {
    bitmap.close();
  }
}

async function exampleOf(item: WorkspaceItem, task: Task, maxBytes: number): Promise<SharedExample | LeftOutExample> {
  const name = safeFileName(item.name);
  const mime = sharedMime(item.blob.type);
  if (mime && item.blob.size <= maxBytes) return { name, mime, bytes: new Uint8Array(await item.blob.arrayBuffer()) };
  if (task === 'audio')
    return {
      name: item.name,
      reason: mime ? `${Math.ceil(item.blob.size / 1024)} KB, more than a link carries per clip (${Math.floor(maxBytes / 1024)} KB)` : `its format (${item.blob.type || 'unknown'}) can't go in a link`,
    };
  try {
    const small = await downscaleImage(item.blob, maxBytes);
    if (small) return { name: name.replace(/\.[^.]*$/, '') + (small.mime === 'image/webp' ? '.webp' : '.jpg'), ...small };
    return { name: item.name, reason: `could not be made smaller than ${Math.floor(maxBytes / 1024)} KB` };
  } catch {
    return { name: item.name, reason: 'could not be read as an image' };
  }
}

export interface ShareExamples {
  examples: SharedExample[];
  /** Examples downscaled to fit, by name. */
  downscaled: string[];
  leftOut: LeftOutExample[];
}

/** The first few usable items of the task, each made to fit its share of the link. */
export async function collectExamples(state: AppState, task: Task): Promise<ShareExamples> {
  const candidates = workspaceItemsOf(state, task).filter((item) => item.state !== 'error');
  const chosen = candidates.slice(0, MAX_SHARED_EXAMPLES);
  const budget = Math.min(MAX_EXAMPLE_BYTES, Math.floor((MAX_DECOMPRESSED_BYTES - SETTINGS_RESERVE_BYTES) / Math.max(1, chosen.length)));
  const out: ShareExamples = { examples: [], downscaled: [], leftOut: [] };
  for (const item of chosen) {
    const example = await exampleOf(item, task, budget);
    if ('reason' in example) out.leftOut.push(example);
    else {
      if (example.bytes.length !== item.blob.size || example.mime !== sharedMime(item.blob.type)) out.downscaled.push(item.name);
      out.examples.push(example);
    }
  }
  for (const item of candidates.slice(MAX_SHARED_EXAMPLES)) out.leftOut.push({ name: item.name, reason: `a link carries at most ${MAX_SHARED_EXAMPLES} examples` });
  return out;
}

/** The live source of each task (the inverse of `taskOfLiveSource`, checked in the unit test). */
const LIVE_SOURCE_OF_TASK: Record<Task, LiveSource> = { image: 'camera', audio: 'microphone' };

/** The live source of a task: the camera for images, the microphone for audio. */
export function liveSourceOf(task: Task): LiveSource {
  return LIVE_SOURCE_OF_TASK[task];
}

/** The demo's settings for the task: model, labels, template, (audio) calibration and, when asked, live mode. */
export function shareStateOf(settings: Settings, task: Task, live = false): ShareState {
  const source = live ? liveSourceOf(task) : undefined;
  return {
    v: shareStateVersionFor(source),
    task,
    model: modelIdOf(settings, task),
    labels: parseLabels(labelsTextOf(settings, task)).labels,
    templates: [templateOf(settings, task)],
    ...(task === 'audio' ? { calibration: settings.calibration } : {}),
    ...(source ? { live: source } : {}),
  };
}

/** The short link's query (`?model=…&labels=…`): the same settings as the demo, without examples. */
export function shareQueryOf(settings: Settings, task: Task, live = false): string {
  return buildShareQuery({
    task,
    model: modelIdOf(settings, task),
    labels: parseLabels(labelsTextOf(settings, task)).labels,
    template: templateOf(settings, task),
    ...(task === 'audio' ? { calibration: settings.calibration, aggregation: settings.aggregation } : {}),
    ...(live ? { live: liveSourceOf(task) } : {}),
  });
}

export interface ShareLinkOptions {
  includeExamples: boolean;
  /** Open in live mode: the camera (image task) or the microphone (audio task). */
  live: boolean;
}

export type ShareLinkResult = ({ ok: true; link: string; queryLink: string } & Partial<ShareExamples>) | { ok: false; problems: string[] };

/** The links that reopen the app in this state, or why the state can't be shared. */
export async function makeShareLink(state: AppState, options: ShareLinkOptions, base: string): Promise<ShareLinkResult> {
  const task = state.task;
  const shareState = shareStateOf(state, task, options.live);
  const examples = options.includeExamples ? await collectExamples(state, task) : undefined;
  if (examples && examples.examples.length > 0) shareState.examples = examples.examples;
  const encoded = await encodeShareFragment(shareState);
  if (!encoded.ok) return encoded;
  return { ok: true, link: `${base}${encoded.fragment}`, queryLink: `${base}${shareQueryOf(state, task, options.live)}`, ...(examples ?? {}) };
}
