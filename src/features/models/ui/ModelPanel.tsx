import { useEffect, useState } from 'react';
import { ModelChooserService } from './modelServices';
import { formatBytes } from '../../../lib/format';
import { isBackendPreference, isValidModelId, normaliseHubHost } from '../../../lib/urlState';
import { useAppStore } from '../../../store';
import { modelIdOf } from '../../../store/settingsSlice';
import { LOCAL_FOLDER_PREFIX } from '../client/taskModelLoader';
import { CATALOGS, catalogEntryFor } from '../shared/catalog';
import { BUILTIN_MODEL_IDS } from '../../../lib/tasks';
import { clearModelCache, listCachedModels, planDownload, type CachedModel, type PlannedDownload } from '../client/modelFiles';
import { DTYPE_PREFERENCES, type DtypePreference, type LoadErrorKind } from '../../../lib/workerReports';

function isDtypePreference(value: string): value is DtypePreference {
  return (DTYPE_PREFERENCES as readonly string[]).includes(value);
}

const CUSTOM_CHOICE = '__custom__';

/** The heading each kind of load failure gets above the worker's own sentence (which names the file, host and numbers). */
const LOAD_ERROR_HEADINGS: Record<LoadErrorKind, string> = {
  unreachable: 'The model host could not be reached.',
  'blocked-by-policy': 'This app may not connect to that host.',
  'not-found': 'Model not found.',
  'no-access': 'Model not found, or private: it needs access.',
  'server-error': 'The model host had an error.',
  stalled: 'The download stalled.',
  truncated: 'The download was cut short.',
  corrupt: 'A model file is damaged.',
  'wrong-kind': 'Wrong kind of model for this view.',
  cancelled: 'Loading cancelled.',
  'invalid-model': 'Not a model this app can load.',
  other: 'The model could not be loaded.',
};

/** Failures a second attempt can't fix: the same files would be refused again. */
const NO_RETRY: ReadonlySet<LoadErrorKind> = new Set(['wrong-kind', 'blocked-by-policy']);

function useTaskModelChooser() {
  const task = useAppStore((s) => s.task);
  return { task, chooser: ModelChooserService.use()[task] };
}

/** compact: the one-line form of a ready model (name and backend; the timings go to the tooltip). */
function ModelStatusLine({ compact = false }: { compact?: boolean }) {
  const status = useAppStore((s) => s.models[s.task].status);
  const notice = useAppStore((s) => s.models[s.task].notice);
  const { task, chooser: controller } = useTaskModelChooser();
  const backend = status.state === 'ready' ? status.info.backend : undefined;
  const backendName = status.state === 'ready' ? (status.info.backend === 'webgpu' ? 'WebGPU' : 'WebAssembly') : '';
  return (
    <div className={compact ? 'min-w-0 flex-1 space-y-1' : 'space-y-2'}>
      <div
        data-testid="model-status"
        data-state={status.state === 'idle' ? 'loading' : status.state}
        data-backend={backend}
        data-dtype={status.state === 'ready' ? status.info.dtype : undefined}
        data-model={status.state === 'idle' ? undefined : status.modelId}
        className={compact ? 'truncate text-sm' : 'text-sm'}
        title={
          status.state === 'ready'
            ? `${status.modelId} on ${backendName} (${status.info.dtype}), loaded in ${Math.round(status.info.loadMs)} ms, warm-up ${Math.round(status.info.warmupMs)} ms`
            : undefined
        }
      >
        {status.state === 'idle' && 'Starting…'}
        {status.state === 'loading' && <span>Loading {status.modelId}…</span>}
        {status.state === 'ready' && compact && (
          <span>
            <span className="font-semibold text-emerald-700">Ready</span>: <span className="font-mono text-xs">{status.modelId}</span>{' '}
            <span className="text-xs text-slate-500">({backendName})</span>
          </span>
        )}
        {status.state === 'ready' && !compact && (
          <span>
            <span className="font-semibold text-emerald-700">Ready</span>: {status.modelId} on{' '}
            <span className="font-semibold">{backendName}</span> ({status.info.dtype}
            {status.info.backend === 'wasm' ? `, ${status.info.threads} thread${status.info.threads === 1 ? '' : 's'}` : ''}), loaded in{' '}
            {Math.round(status.info.loadMs)} ms, warm-up {Math.round(status.info.warmupMs)} ms
          </span>
        )}
        {status.state === 'error' && <span className="font-semibold text-red-700">Could not load {status.modelId}</span>}
      </div>
      {status.state === 'loading' && (
        // A slow or stalled download can always be stopped; the worker's stall timeout is the backstop.
        <button data-testid="cancel-model-load" className="btn text-xs" onClick={() => controller.cancelModelLoad()}>
          Cancel loading
        </button>
      )}
      {status.state === 'error' && (
        <div className="rounded border border-red-300 bg-red-50 p-2 text-sm">
          <p data-testid="model-error" data-kind={status.kind} role="alert" className="break-words">
            <span className="font-semibold">{LOAD_ERROR_HEADINGS[status.kind]}</span> {status.message}
          </p>
          <div className="mt-2 flex gap-2">
            {status.modelId !== BUILTIN_MODEL_IDS[task] && (
              <button data-testid="use-builtin-button" className="btn" onClick={() => controller.chooseModel(BUILTIN_MODEL_IDS[task])}>
                Use the built-in model
              </button>
            )}
            {!NO_RETRY.has(status.kind) && (
              <button data-testid="retry-hub-button" className="btn" onClick={() => controller.chooseModel(status.modelId)}>
                Retry
              </button>
            )}
          </div>
        </div>
      )}
      {notice && (
        <div data-testid="model-notice" className="rounded border border-amber-300 bg-amber-50 p-2 text-sm">
          {notice.text}
          {notice.retryModelId && (
            <button data-testid="retry-hub-button" className="btn ml-2" onClick={() => controller.chooseModel(notice.retryModelId!)}>
              Retry {notice.retryModelId}
            </button>
          )}
        </div>
      )}
    </div>
  );
}

/** Hidden (kept in the DOM for tools) once the model is ready: the bars have nothing left to say. */
function FileProgressList() {
  const files = useAppStore((s) => s.models[s.task].fileProgress);
  const ready = useAppStore((s) => s.models[s.task].status.state === 'ready');
  if (files.length === 0) return null;
  return (
    <ul className="space-y-1 text-xs" aria-label="Model files" hidden={ready}>
      {files.map((f) => (
        <li key={f.file} data-testid="file-progress" data-file={f.file} data-loaded={f.loaded} data-total={f.total} data-done={f.done}>
          <div className="flex justify-between gap-2">
            <span className="truncate">{f.file}</span>
            <span>{f.total > 0 ? `${formatBytes(f.loaded)} / ${formatBytes(f.total)}` : f.done ? 'done' : '…'}</span>
          </div>
          <progress className="h-1 w-full" max={f.total || 1} value={f.done ? f.total || 1 : f.loaded} />
        </li>
      ))}
    </ul>
  );
}

/** Picking a Hub model first shows what it will download; nothing downloads until the user confirms. */
function ModelPicker() {
  const { task, chooser: controller } = useTaskModelChooser();
  const modelId = useAppStore((s) => modelIdOf(s, s.task));
  const catalog = CATALOGS[task];
  const hubHost = useAppStore((s) => s.hubHost);
  const backend = useAppStore((s) => s.backendPreference);
  const dtypePreference = useAppStore((s) => s.dtypePreference);
  const setPickedFolder = useAppStore((s) => s.setPickedFolder);
  const [choice, setChoice] = useState(modelId);
  const [customId, setCustomId] = useState('');
  // A model chosen elsewhere (a link, a restored workspace, a fallback) resets the picker: adjusted
  // while rendering, as React recommends, rather than in an effect that renders twice.
  const [shownModelId, setShownModelId] = useState(modelId);
  if (shownModelId !== modelId) {
    setShownModelId(modelId);
    setChoice(modelId);
  }
  const target = choice === CUSTOM_CHOICE ? customId.trim() : choice;
  const needsConfirm = target !== modelId && !target.startsWith('builtin/') && isValidModelId(target);

  // The download plan belongs to what it was asked for; until its answer arrives the plan is "checking".
  const planKey = needsConfirm ? JSON.stringify([task, target, hubHost, backend, dtypePreference]) : null;
  const [planned, setPlanned] = useState<{ key: string; plan: PlannedDownload | 'unavailable' } | null>(null);
  const plan = planKey === null ? null : planned?.key === planKey ? planned.plan : 'checking';
  useEffect(() => {
    if (planKey === null) return;
    const abort = new AbortController();
    planDownload(task, target, hubHost, backend, abort.signal, dtypePreference)
      .then((result) => setPlanned({ key: planKey, plan: result.files.some((f) => f.bytes !== null) ? result : 'unavailable' }))
      .catch(() => {
        if (!abort.signal.aborted) setPlanned({ key: planKey, plan: 'unavailable' });
      });
    return () => abort.abort();
  }, [planKey, task, target, hubHost, backend, dtypePreference]);

  const onPick = (value: string) => {
    setChoice(value);
    if (value.startsWith('builtin/')) controller.chooseModel(value);
  };

  return (
    <div className="space-y-2">
      <label className="block text-sm font-medium">
        Model
        <select data-testid="model-select" className="input mt-1" value={choice} onChange={(e) => onPick(e.target.value)}>
          {catalog.map((m) => (
            <option key={m.id} value={m.id}>
              {m.title} — {m.id}
            </option>
          ))}
          {!catalog.some((m) => m.id === modelId) && <option value={modelId}>{modelId}</option>}
          <option value={CUSTOM_CHOICE}>Other Hub model…</option>
        </select>
      </label>
      <p className="text-xs text-slate-600">{catalogEntryFor(task, target || modelId).note}</p>
      {choice === CUSTOM_CHOICE && (
        <input
          data-testid="custom-model-input"
          className="input"
          placeholder={task === 'image' ? 'owner/name, e.g. Xenova/clip-vit-base-patch16' : 'owner/name, e.g. Xenova/whisper-small.en'}
          value={customId}
          onChange={(e) => setCustomId(e.target.value)}
        />
      )}
      {needsConfirm && (
        <div className="rounded border border-slate-300 bg-white p-2 text-sm" data-testid="download-plan">
          {plan === 'checking' && 'Checking download size…'}
          {plan === 'unavailable' && `Size unknown: ${hubHost} did not answer.`}
          {plan && typeof plan === 'object' && (
            <span>
              Downloads {plan.totalBytes !== null ? formatBytes(plan.totalBytes) : 'an unknown amount'} ({plan.dtype} for{' '}
              {plan.backend === 'webgpu' ? 'WebGPU' : 'WebAssembly'}), cached for next time.
            </span>
          )}
          <button data-testid="download-model-button" className="btn ml-2" onClick={() => controller.chooseModel(target)}>
            Download and use
          </button>
        </div>
      )}
      <label className="block text-xs text-slate-600">
        Or a model folder from disk (Hub layout: config.json, tokenizer.json, onnx/…):
        <input
          data-testid="model-folder-input"
          type="file"
          className="mt-1 block text-xs"
          webkitdirectory=""
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []);
            if (files.length === 0) return;
            const name = files[0]!.webkitRelativePath.split('/')[0] || 'folder';
            setPickedFolder(task, { name, files: files.map((file) => ({ path: file.webkitRelativePath.split('/').slice(1).join('/'), file })) });
            controller.chooseModel(`${LOCAL_FOLDER_PREFIX}${name.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
          }}
        />
      </label>
    </div>
  );
}

function RuntimeSettings() {
  const backend = useAppStore((s) => s.backendPreference);
  const setBackend = useAppStore((s) => s.setBackendPreference);
  const dtype = useAppStore((s) => s.dtypePreference);
  const setDtype = useAppStore((s) => s.setDtypePreference);
  const hubHost = useAppStore((s) => s.hubHost);
  const setHubHost = useAppStore((s) => s.setHubHost);
  const task = useAppStore((s) => s.task);
  const resizeMode = useAppStore((s) => s.imageResizeMode);
  const setResizeMode = useAppStore((s) => s.setImageResizeMode);
  const [hostDraft, setHostDraft] = useState(hubHost);
  const [shownHubHost, setShownHubHost] = useState(hubHost);
  if (shownHubHost !== hubHost) {
    setShownHubHost(hubHost);
    setHostDraft(hubHost);
  }
  const validHost = normaliseHubHost(hostDraft);
  return (
    <details className="text-sm">
      <summary className="cursor-pointer">Runtime and model source</summary>
      <label className="mt-2 block">
        Backend
        <select
          data-testid="backend-select"
          className="input mt-1"
          value={backend}
          onChange={(e) => isBackendPreference(e.target.value) && setBackend(e.target.value)}
        >
          <option value="auto">Automatic (WebGPU when available)</option>
          <option value="webgpu">WebGPU</option>
          <option value="wasm">WebAssembly (CPU)</option>
        </select>
      </label>
      <label className="mt-2 block">
        Weights
        <select
          data-testid="dtype-select"
          className="input mt-1"
          value={dtype}
          onChange={(e) => isDtypePreference(e.target.value) && setDtype(e.target.value)}
        >
          <option value="auto">Automatic (8-bit on WebAssembly, fp16 or fp32 on WebGPU)</option>
          <option value="fp32">Full precision (fp32)</option>
          <option value="fp16">Half precision (fp16, where the model has it)</option>
          <option value="q8">8-bit (q8, where the model has it)</option>
        </select>
      </label>
      {task === 'image' && (
        <label className="mt-2 block">
          Image resizing
          <select
            data-testid="resize-mode-select"
            className="input mt-1"
            value={resizeMode}
            onChange={(e) => setResizeMode(e.target.value === 'native' ? 'native' : 'exact')}
          >
            <option value="exact">Exact (transformers.js preprocessing, the reference)</option>
            <option value="native">Native (the browser resizes: faster, slightly different scores)</option>
          </select>
        </label>
      )}
      <label className="mt-2 block">
        Model host (the Hub, or a mirror with the same URL layout)
        <input data-testid="hub-host-input" className="input mt-1" value={hostDraft} onChange={(e) => setHostDraft(e.target.value)} />
      </label>
      {!validHost && <p className="text-xs text-red-700">Enter an http(s) address.</p>}
      {validHost && validHost !== hubHost && (
        <button className="btn mt-1" onClick={() => setHubHost(validHost)}>
          Use this host
        </button>
      )}
    </details>
  );
}

function CacheControls() {
  const [cached, setCached] = useState<CachedModel[] | null>(null);
  const status = useAppStore((s) => s.models[s.task].status.state);
  const refresh = () => void listCachedModels().then(setCached, () => setCached([]));
  useEffect(refresh, [status]);
  return (
    <details className="text-sm" data-testid="cache-panel">
      <summary className="cursor-pointer">Downloaded models ({cached ? formatBytes(cached.reduce((s, m) => s + m.bytes, 0)) : '…'})</summary>
      <ul data-testid="cache-list" className="mt-1 text-xs">
        {cached?.length === 0 && <li>Nothing cached yet.</li>}
        {cached?.map((m) => (
          <li key={m.modelId} data-model={m.modelId}>
            {m.modelId}: {m.files} files, {formatBytes(m.bytes)}
          </li>
        ))}
      </ul>
      <button data-testid="clear-cache" className="btn mt-1" onClick={() => void clearModelCache().then(refresh)}>
        Clear downloaded models
      </button>
    </details>
  );
}

/**
 * The model picker, status and download progress; once the model is ready it folds to one line
 * (status, model, a button to open it), and it opens by itself while a model loads or fails.
 */
export function ModelPanel() {
  const state = useAppStore((s) => s.models[s.task].status.state);
  const [expanded, setExpanded] = useState(false);
  // A model that has just become ready folds the panel again (adjusted while rendering, not in an effect).
  const [shownState, setShownState] = useState(state);
  if (shownState !== state) {
    setShownState(state);
    if (state === 'ready') setExpanded(false);
  }
  const collapsed = state === 'ready' && !expanded;
  return (
    <section
      data-testid="model-panel"
      data-collapsed={collapsed}
      className={`rounded-lg border border-slate-200 bg-white shadow-sm ${collapsed ? 'px-3 py-2' : 'space-y-3 p-3'}`}
      aria-label="Model"
    >
      {collapsed ? (
        <div className="flex items-center gap-2">
          <ModelStatusLine compact />
          <button
            data-testid="model-panel-expand"
            className="btn shrink-0 text-xs"
            aria-expanded={false}
            aria-controls="model-panel-body"
            onClick={() => setExpanded(true)}
          >
            Change…
          </button>
        </div>
      ) : (
        state === 'ready' && (
          <div className="flex justify-end">
            <button data-testid="model-panel-collapse" className="btn text-xs" aria-expanded aria-controls="model-panel-body" onClick={() => setExpanded(false)}>
              Fold
            </button>
          </div>
        )
      )}
      <div id="model-panel-body" className="space-y-3" hidden={collapsed}>
        <ModelPicker />
        {!collapsed && <ModelStatusLine />}
        <FileProgressList />
        <RuntimeSettings />
        <CacheControls />
      </div>
    </section>
  );
}
