import { useState } from 'react';
import type { Task } from '../../../lib/tasks';
import { useAppStore } from '../../../store';
import { templateOf } from '../../../store/settingsSlice';
import { parseTemplates } from '../../../lib/labels';
import { SAVED_SET_ID, type TemplateSet } from './templateSets';

/**
 * The library picker: a set of templates (CLIP's, a dataset's, the audio ones, the user's own),
 * each template ticked or not; the user's own are added and removed here (kept in localStorage).
 */
export function TemplateLibraryPicker({
  task,
  sets,
  setId,
  onSetId,
  excluded,
  onExcluded,
}: {
  task: Task;
  sets: readonly TemplateSet[];
  setId: string;
  onSetId: (id: string) => void;
  /** Templates of the set the user unticked. */
  excluded: ReadonlySet<string>;
  onExcluded: (excluded: ReadonlySet<string>) => void;
}) {
  const savedTemplates = useAppStore((s) => s.savedTemplates);
  const setSavedTemplates = useAppStore((s) => s.setSavedTemplates);
  const templateBox = useAppStore((s) => templateOf(s, task));
  const [draft, setDraft] = useState('');
  const set = sets.find((candidate) => candidate.id === setId) ?? sets[0]!;
  const groups = [...new Set(sets.map((candidate) => candidate.group))];
  const toggle = (template: string, on: boolean) => {
    const next = new Set(excluded);
    if (on) next.delete(template);
    else next.add(template);
    onExcluded(next);
  };
  const save = (templates: readonly string[]) => setSavedTemplates([...savedTemplates, ...templates.filter((t) => t.trim() !== '')]);

  return (
    <div className="space-y-2">
      <label className="flex flex-wrap items-center gap-2 text-sm">
        <span className="font-medium">Template library</span>
        <select
          data-testid="template-library"
          className="input w-auto min-w-0 flex-1"
          value={set.id}
          onChange={(e) => {
            onSetId(e.target.value);
            onExcluded(new Set());
          }}
        >
          {groups.map((group) => (
            <optgroup key={group} label={group}>
              {sets
                .filter((candidate) => candidate.group === group)
                .map((candidate) => (
                  <option key={candidate.id} value={candidate.id}>
                    {candidate.title}
                  </option>
                ))}
            </optgroup>
          ))}
        </select>
      </label>
      <div className="flex flex-wrap items-center gap-2 text-xs text-slate-600">
        <span data-testid="chosen-template-count">
          {set.templates.length - set.templates.filter((t) => excluded.has(t)).length} of {set.templates.length} templates chosen
        </span>
        <button className="btn text-xs" onClick={() => onExcluded(new Set())}>
          All
        </button>
        <button className="btn text-xs" onClick={() => onExcluded(new Set(set.templates))}>
          None
        </button>
      </div>
      <ul className="max-h-40 overflow-auto rounded border border-slate-200 p-1 font-mono text-xs" aria-label="Templates of the set">
        {set.templates.length === 0 && <li className="p-1 font-sans text-slate-500">No templates here yet{set.id === SAVED_SET_ID ? ': save some below.' : '.'}</li>}
        {set.templates.map((template) => (
          <li key={template} className="flex items-center gap-1">
            <label className="flex min-w-0 flex-1 items-center gap-1">
              <input type="checkbox" data-testid="library-template" value={template} checked={!excluded.has(template)} onChange={(e) => toggle(template, e.target.checked)} />
              {/* Whisper templates start with a space that matters: shown, not trimmed. */}
              <span className="truncate whitespace-pre" title={template}>
                “{template}”
              </span>
            </label>
            {set.id === SAVED_SET_ID && (
              <button
                className="btn px-1 py-0 text-xs"
                aria-label={`Remove ${template} from my templates`}
                onClick={() => setSavedTemplates(savedTemplates.filter((t) => t !== template))}
              >
                ×
              </button>
            )}
          </li>
        ))}
      </ul>
      <form
        className="flex flex-wrap gap-1 text-xs"
        onSubmit={(event) => {
          event.preventDefault();
          save([draft]);
          setDraft('');
        }}
      >
        <input
          data-testid="saved-template-input"
          className="input w-auto min-w-0 flex-1 font-mono text-xs"
          placeholder="a {} seen from above"
          aria-label="A template of your own"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
        />
        <button data-testid="save-template" className="btn text-xs" type="submit" disabled={draft.trim() === ''}>
          Save to my templates
        </button>
        <button
          type="button"
          className="btn text-xs"
          title="Adds every line of the template box"
          onClick={() => save(parseTemplates(templateBox, { keepSpacing: task === 'audio' }))}
        >
          Save the template box
        </button>
      </form>
    </div>
  );
}
