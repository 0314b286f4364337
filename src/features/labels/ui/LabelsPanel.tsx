import { useMemo } from 'react';
import { WHISPER_TEMPLATES } from '../../../lib/audioScoring';
import { parseLabels, parseTemplates, templateHasSlot } from '../../../lib/labels';
import { useAppStore } from '../../../store';
import { labelsTextOf, templateOf } from '../../../store/settingsSlice';
import { SharePanel } from '../../share';

/** Templates offered with one click in the audio view (the first three are Whisper's, the last suits CLAP captions). */
const AUDIO_TEMPLATE_PRESETS: readonly string[] = [...WHISPER_TEMPLATES, 'the sound of {}'];

export function LabelsPanel() {
  const task = useAppStore((s) => s.task);
  const labelsText = useAppStore((s) => labelsTextOf(s, s.task));
  const setTaskLabelsText = useAppStore((s) => s.setTaskLabelsText);
  const template = useAppStore((s) => templateOf(s, s.task));
  const setTaskTemplate = useAppStore((s) => s.setTaskTemplate);
  const setLabelsText = (text: string) => setTaskLabelsText(task, text);
  const setTemplate = (text: string) => setTaskTemplate(task, text);
  const parsed = useMemo(() => parseLabels(labelsText), [labelsText]);
  const templates = useMemo(() => parseTemplates(template, { keepSpacing: task === 'audio' }), [template, task]);
  const withoutSlot = templates.filter((candidate) => candidate.trim() !== '' && !templateHasSlot(candidate)).length;

  return (
    <section className="space-y-2 rounded-lg border border-slate-200 bg-white p-3 shadow-sm" aria-label="Labels">
      <label className="block text-sm font-medium" htmlFor="labels-input">
        Candidate labels{' '}
        <span className="font-normal text-slate-500">
          (one per line; commas also split; <code>label: prompt one | prompt two</code> prompts a label several ways)
        </span>
      </label>
      <textarea
        id="labels-input"
        data-testid="labels-input"
        className="input h-32 resize-y font-mono text-sm"
        value={labelsText}
        spellCheck={false}
        onChange={(e) => setLabelsText(e.target.value)}
      />
      <div className="text-xs text-slate-600" aria-live="polite">
        {parsed.labels.length === 0 ? (
          <p data-testid="labels-hint" className="font-medium text-amber-700">
            Type at least one label to rank your {task === 'image' ? 'images' : 'clips'} against.
          </p>
        ) : (
          <p>
            {parsed.labels.length} label{parsed.labels.length === 1 ? '' : 's'}
            {parsed.mergedDuplicates > 0 && `; ${parsed.mergedDuplicates} duplicate${parsed.mergedDuplicates === 1 ? '' : 's'} merged`}
            {parsed.droppedOverLimit > 0 && `; ${parsed.droppedOverLimit} over the limit ignored`}
          </p>
        )}
      </div>
      <label className="block text-sm font-medium" htmlFor="template-input">
        Prompt templates <span className="font-normal text-slate-500">({'{}'} is replaced by each label; one per line, several form an ensemble)</span>
      </label>
      <textarea
        id="template-input"
        data-testid="template-input"
        className="input h-14 resize-y font-mono text-sm"
        rows={2}
        spellCheck={false}
        value={template}
        onChange={(e) => setTemplate(e.target.value)}
      />
      {templates.length > 1 && (
        <p data-testid="template-count" data-count={templates.length} className="text-xs text-slate-600">
          {templates.length} templates (ensemble)
        </p>
      )}
      {task === 'audio' && (
        <div className="flex flex-wrap gap-1 text-xs" aria-label="Template presets">
          {AUDIO_TEMPLATE_PRESETS.map((preset) => (
            <button
              key={preset}
              data-testid="template-preset"
              className={`btn font-mono ${preset === template ? 'ring-2 ring-sky-400' : ''}`}
              onClick={() => setTemplate(preset)}
            >
              "{preset}"
            </button>
          ))}
        </div>
      )}
      {withoutSlot > 0 && (
        <p className="text-xs text-amber-700">
          {templates.length === 1 ? 'The template has' : `${withoutSlot} of the templates have`} no {'{}'}: each label is appended to {templates.length === 1 ? 'it' : 'them'}.
        </p>
      )}
      <SharePanel />
    </section>
  );
}
