import { useRef } from 'react';
import { FolderPicker } from '../../../ui/FolderPicker';
import { useWindowFileDrop } from '../../../ui/useWindowFileDrop';
import { useAppStore } from '../../../store';
import { MAX_RECORDING_SECONDS } from '../client/microphoneRecorder';
import { addAudioDropped, addAudioFiles } from '../client/addAudioFiles';
import { RecorderService } from './audioServices';
import { LiveMicrophonePanel } from './LiveMicrophonePanel';

function Recorder() {
  const recorder = RecorderService.use();
  const status = useAppStore((s) => s.recorderStatus);
  const recording = status.state === 'recording';
  return (
    <div className="flex flex-wrap items-center gap-2">
      <button
        data-testid="record-button"
        data-recording={recording}
        className={`btn ${recording ? 'bg-red-600 text-white' : ''}`}
        disabled={status.state === 'starting'}
        onClick={() => void recorder.toggle()}
      >
        {recording ? '■ Stop' : '● Record'}
      </button>
      {recording && (
        <>
          <div className="h-2 w-32 rounded bg-slate-200" data-testid="level-meter" data-level={status.level.toFixed(3)} aria-label="Input level">
            <div className="h-2 rounded bg-emerald-500" style={{ width: `${Math.min(1, status.level) * 100}%` }} />
          </div>
          <span className="tabular-nums text-sm" data-testid="recording-time">
            {status.elapsedSeconds.toFixed(1)} s / {MAX_RECORDING_SECONDS} s
          </span>
        </>
      )}
      {status.state === 'idle' && <span className="text-xs text-slate-500">up to {MAX_RECORDING_SECONDS} s</span>}
      {status.state === 'error' && (
        <p data-testid="recorder-error" className="w-full text-sm text-red-700">
          {status.message}
        </p>
      )}
    </div>
  );
}

/** Pick or drop audio files anywhere on the page, or record from the microphone. */
export function AudioDropzone() {
  const inputRef = useRef<HTMLInputElement>(null);
  const dragging = useWindowFileDrop(addAudioDropped);

  return (
    <div
      className={`flex flex-col items-center justify-center gap-3 rounded-lg border-2 border-dashed p-6 text-center ${dragging ? 'border-sky-500 bg-sky-50' : 'border-slate-300 bg-white'}`}
    >
      <p className="text-sm text-slate-700">Drop audio files anywhere (wav, mp3, ogg/opus, flac, webm, m4a), or</p>
      <div className="flex flex-wrap items-center justify-center gap-3">
        <button className="btn" onClick={() => inputRef.current?.click()}>
          Choose audio…
        </button>
        <FolderPicker onFiles={addAudioDropped} />
        <Recorder />
      </div>
      <input
        ref={inputRef}
        data-testid="audio-input"
        type="file"
        multiple
        accept="audio/*,.wav,.mp3,.ogg,.opus,.flac,.webm,.m4a"
        className="sr-only"
        onChange={(e) => {
          addAudioFiles(e.target.files ?? []);
          e.target.value = '';
        }}
      />
      <p className="text-xs text-slate-500">Audio is decoded and classified on this device and never uploaded.</p>
      <LiveMicrophonePanel />
    </div>
  );
}
