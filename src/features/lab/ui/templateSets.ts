import { AUDIO_TEMPLATES, TEMPLATE_LIBRARY } from '../../../lib/templateLibrary';
import type { Task } from '../../../lib/tasks';

/** One choice of the library picker: its value in the <select>, its name and its templates. */
export interface TemplateSet {
  id: string;
  title: string;
  group: 'CLIP' | 'CLIP per dataset' | 'Audio' | 'Yours';
  templates: readonly string[];
}

export const SAVED_SET_ID = 'saved';
const DATASET_PREFIX = 'dataset:';

/** Every set the library offers; for audio the audio templates come first (CLIP's suit CLAP captions less). */
export function templateSets(task: Task, savedTemplates: readonly string[]): TemplateSet[] {
  const clip: TemplateSet[] = [
    { id: 'imagenet80', title: `CLIP ImageNet: all ${TEMPLATE_LIBRARY.imagenet80.length}`, group: 'CLIP', templates: TEMPLATE_LIBRARY.imagenet80 },
    { id: 'kept7', title: `CLIP ImageNet: the ${TEMPLATE_LIBRARY.kept7.length} the authors kept`, group: 'CLIP', templates: TEMPLATE_LIBRARY.kept7 },
    ...Object.entries(TEMPLATE_LIBRARY.perDataset).map(([name, templates]): TemplateSet => ({
      id: `${DATASET_PREFIX}${name}`,
      title: `${name} (${templates.length})`,
      group: 'CLIP per dataset',
      templates,
    })),
  ];
  const audio: TemplateSet = { id: 'audio', title: `Whisper and CLAP (${AUDIO_TEMPLATES.length})`, group: 'Audio', templates: AUDIO_TEMPLATES };
  const saved: TemplateSet = { id: SAVED_SET_ID, title: `My saved templates (${savedTemplates.length})`, group: 'Yours', templates: savedTemplates };
  return task === 'audio' ? [audio, saved, ...clip] : [...clip, audio, saved];
}

export function defaultTemplateSetId(task: Task): string {
  return task === 'audio' ? 'audio' : 'imagenet80';
}
