import type { AudioItem } from '../../../store/audioItemsSlice';
import { newItemId } from '../../../lib/itemIds';

/** A fresh item for a dropped file or a recording; decoding starts when the controller sees it. */
export function newAudioItem(file: File, path?: string, truth: string | null = null): AudioItem {
  return {
    id: newItemId('audio'),
    name: file.name,
    path: path || file.name,
    truth,
    decision: 'none',
    finalLabel: null,
    blob: file,
    url: URL.createObjectURL(file),
    contentHash: null,
    state: 'decoding',
    error: null,
    durationSeconds: null,
    peaks: null,
    rawScores: null,
    rankedPromptsKey: null,
    headProbabilities: null,
    predictions: [],
    classifier: 'zero-shot',
    transcript: null,
    transcriptSeconds: null,
    note: null,
  };
}

/** Audio by MIME type or, where the browser gives none (e.g. .opus, .m4a on some systems), by extension. */
export function looksLikeAudio(file: File): boolean {
  return file.type.startsWith('audio/') || file.type === 'video/webm' || /\.(wav|mp3|ogg|oga|opus|flac|webm|m4a|aac|wma|amr|aiff?)$/i.test(file.name);
}
