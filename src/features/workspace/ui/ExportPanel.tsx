import { useState, type ChangeEvent, type ReactNode } from 'react';
import { ModelChooserService } from '../../models';
import { parseLabelCsv } from '../../../lib/csv';
import { refuseIfLarger } from '../../../lib/fileSizeLimit';
import { MAX_PROJECT_FILE_BYTES } from '../../../lib/projectFile';
import type { Task } from '../../../lib/tasks';
import { matchTruthRows } from '../../../lib/truthImport';
import { MAX_LABEL_STUDIO_FILE_BYTES, labelStudioTruth } from '../../../lib/labelStudio';
import { useAppStore } from '../../../store';
import { readProjectInWorker } from '../client/archiveBridge';
import { chooseSaveTarget, downloadBlob, exportFileStem, saveStream } from '../client/download';
import { ZIP_MIME, csvBlob, imageFolderArchiveEntries, imageFolderZip, jsonLinesBlob, labelStudioBlob, labelStudioConfigBlob, projectZip } from '../client/exports';
import { applyProject } from '../client/projectImport';
import { workspaceItemsOf } from '../client/workspaceItems';

/** A ground-truth CSV bigger than this is not a `file,label` table someone made for this workspace. */
const MAX_TRUTH_CSV_BYTES = 32 * 1024 * 1024;
/** Unmatched rows listed by name; the rest are counted. */
const MAX_LISTED_ROWS = 10;

interface Message {
  tone: 'info' | 'error';
  text: string;
  details?: string[];
}

function listed(values: readonly string[]): string[] {
  return values.length > MAX_LISTED_ROWS ? [...values.slice(0, MAX_LISTED_ROWS), `…and ${values.length - MAX_LISTED_ROWS} more`] : [...values];
}

/** A button-styled label around a file input, so tests can set the input itself. */
function FilePicker({ testId, accept, onFile, children }: { testId: string; accept: string; onFile: (file: File) => void; children: ReactNode }) {
  const onChange = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (file) onFile(file);
  };
  return (
    <label className="btn cursor-pointer">
      {children}
      <input data-testid={testId} type="file" accept={accept} className="sr-only" onChange={onChange} />
    </label>
  );
}

/** Exports of the current task's workspace, the project file both ways, and ground truth from a CSV. */
export function ExportPanel() {
  const task = useAppStore((s) => s.task);
  const count = useAppStore((s) => (s.task === 'image' ? s.itemOrder.length : s.audioOrder.length));
  const modelChoosers = ModelChooserService.use();
  const [includeMedia, setIncludeMedia] = useState(true);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<Message | null>(null);

  const run = (work: () => Promise<Message | null>) => {
    setBusy(true);
    work()
      .then((result) => setMessage(result))
      .catch((error: unknown) => setMessage({ tone: 'error', text: error instanceof Error ? error.message : String(error) }))
      .finally(() => setBusy(false));
  };
  const stem = exportFileStem(task);
  const download = (blob: Blob, name: string) => {
    downloadBlob(blob, name);
    return Promise.resolve(null);
  };
  const state = () => useAppStore.getState();
  // The save dialog comes first: it needs the click's user activation, and the archive is then
  // written straight into the chosen file.
  const saveProject = async (fileName: string): Promise<Message | null> => {
    const target = await chooseSaveTarget(fileName, ZIP_MIME, '.zip');
    if (target) await saveStream(() => projectZip(state(), task, includeMedia), target);
    return null;
  };

  const importProject = (file: File) =>
    run(async () => {
      refuseIfLarger(file, MAX_PROJECT_FILE_BYTES, 'a project file');
      const result = await readProjectInWorker(file);
      if (!result.ok) return { tone: 'error', text: `${file.name} was not imported:`, details: result.problems };
      const report = applyProject(useAppStore, modelChoosers, result.project);
      const what = report.added > 0 ? `${report.added} items restored` : `decisions applied to ${report.updated} items already here`;
      return {
        tone: 'info',
        text: `Imported ${file.name}: ${what}.${report.leftOut.length > 0 ? ` ${report.leftOut.length} items in the file were not applied (no matching item or no media):` : ''}`,
        ...(report.leftOut.length > 0 ? { details: listed(report.leftOut) } : {}),
      };
    });

  const importTruth = (file: File) =>
    run(async () => {
      const labelStudio = /\.json$/i.test(file.name);
      if (labelStudio) refuseIfLarger(file, MAX_LABEL_STUDIO_FILE_BYTES, 'a Label Studio export');
      else refuseIfLarger(file, MAX_TRUTH_CSV_BYTES, 'a file,label table');
      const parsed = labelStudio ? labelStudioTruth(await file.text()) : parseLabelCsv(await file.text());
      const current: Task = state().task;
      const match = matchTruthRows(parsed.rows, workspaceItemsOf(state(), current));
      state().setTruths(current, match.truths);
      const unmatched = match.unmatched.map(({ row, reason }) => `${row.file}: ${reason === 'ambiguous' ? 'several items have this name' : 'no such item'}`);
      const details = listed([...parsed.problems, ...unmatched]);
      return {
        tone: match.truths.size > 0 ? 'info' : 'error',
        text: `Ground truth for ${match.truths.size} items from ${file.name}.${unmatched.length > 0 ? ` ${unmatched.length} rows matched no item.` : ''}`,
        ...(details.length > 0 ? { details } : {}),
      };
    });

  return (
    <section className="space-y-2 rounded-lg border border-slate-200 bg-white p-3 shadow-sm" aria-label="Export and import" data-testid="export-panel">
      <h2 className="text-sm font-semibold">Export and import</h2>
      <div className="flex flex-wrap gap-1 text-xs">
        <button data-testid="export-csv" className="btn" disabled={busy || count === 0} onClick={() => run(() => download(csvBlob(state(), task), `${stem}.csv`))}>
          CSV
        </button>
        <button data-testid="export-jsonl" className="btn" disabled={busy || count === 0} onClick={() => run(() => download(jsonLinesBlob(state(), task), `${stem}.jsonl`))}>
          JSON Lines
        </button>
        <button
          data-testid="export-labelstudio"
          className="btn"
          disabled={busy || count === 0}
          onClick={() => run(() => download(labelStudioBlob(state(), task), `${stem}-label-studio.json`))}
        >
          Label Studio tasks
        </button>
        <button
          data-testid="export-labelstudio-config"
          className="btn"
          disabled={busy}
          title="The labelling config the Label Studio tasks fit"
          onClick={() => run(() => download(labelStudioConfigBlob(state(), task), `${stem}-label-studio-config.xml`))}
        >
          Label Studio config
        </button>
        <button
          data-testid="export-imagefolder"
          className="btn"
          disabled={busy || count === 0}
          title="Accepted and relabelled items, one folder per label"
          onClick={() =>
            run(async () => {
              const entries = imageFolderArchiveEntries(state(), task);
              if (entries.length === 0) return { tone: 'error', text: 'No accepted items yet: accept or relabel some first.' };
              const target = await chooseSaveTarget(`${stem}-${task === 'image' ? 'imagefolder' : 'audiofolder'}.zip`, ZIP_MIME, '.zip');
              if (!target) return null;
              await saveStream(() => imageFolderZip(entries), target);
              return { tone: 'info', text: `${entries.length} accepted items exported, one folder per label.` };
            })
          }
        >
          {task === 'image' ? 'ImageFolder ZIP' : 'AudioFolder ZIP'}
        </button>
      </div>
      <div className="flex flex-wrap items-center gap-2 text-xs">
        <button data-testid="export-project" className="btn" disabled={busy} onClick={() => run(() => saveProject(`${stem}.zsp.zip`))}>
          Project file
        </button>
        <label className="flex items-center gap-1">
          <input type="checkbox" data-testid="export-include-media" checked={includeMedia} onChange={(e) => setIncludeMedia(e.target.checked)} />
          include the {task === 'image' ? 'images' : 'clips'}
        </label>
        <FilePicker testId="import-project" accept=".zip,application/zip" onFile={importProject}>
          Import project…
        </FilePicker>
        <FilePicker testId="import-truth-csv" accept=".csv,text/csv,.json,application/json" onFile={importTruth}>
          Ground truth (CSV or Label Studio JSON)…
        </FilePicker>
      </div>
      {message && (
        <div data-testid="export-message" data-tone={message.tone} className={`text-xs ${message.tone === 'error' ? 'text-red-700' : 'text-slate-700'}`} aria-live="polite">
          <p>{message.text}</p>
          {message.details && (
            <ul className="list-disc pl-4" data-testid="export-message-details">
              {message.details.map((detail, index) => (
                <li key={index}>{detail}</li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}
