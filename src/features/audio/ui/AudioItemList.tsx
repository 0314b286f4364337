import { classifierName } from '../../../lib/classifiers';
import { memo, useRef, useState } from 'react';
import { formatDuration } from '../../../lib/audio';
import { useAppStore } from '../../../store';
import { audioCatalogEntryFor } from '../../models';
import { PredictionList } from '../../../ui/PredictionList';
import {
  DecisionControls,
  ReviewToolbar,
  SelectCheckbox,
  laneStyle,
  reviewItemAttributes,
  selectOnClick,
  shouldVirtualize,
  useItemReview,
  useReviewKeyboard,
  useTaskLabels,
  useVirtualGrid,
  useVisibleIds,
  type GridLayout,
} from '../../review';

const ROW_GAP_PX = 8;
/** A scored row (waveform, transcript, five predictions); rows are measured once rendered, so this only places the ones not rendered yet. */
const ROW_ESTIMATED_HEIGHT_PX = 180;
/** One lane: a list, whose arrow keys move up and down it. */
const LIST_LAYOUT: GridLayout = { minLaneWidthPx: null, gapPx: ROW_GAP_PX, estimatedItemHeightPx: ROW_ESTIMATED_HEIGHT_PX, overscanRows: 4 };

/** Peaks as bars; an SVG scales with the card and needs no drawing effect. */
function Waveform({ peaks }: { peaks: readonly number[] }) {
  const max = Math.max(1e-6, ...peaks);
  return (
    <svg viewBox={`0 0 ${peaks.length} 100`} preserveAspectRatio="none" className="h-10 w-full" aria-hidden="true" data-testid="waveform">
      {peaks.map((peak, index) => {
        const height = Math.max(1, (peak / max) * 100);
        return <rect key={index} x={index + 0.15} width={0.7} y={(100 - height) / 2} height={height} className="fill-sky-600" />;
      })}
    </svg>
  );
}

function PlayButton({ url, name }: { url: string; name: string }) {
  const audioRef = useRef<HTMLAudioElement>(null);
  const [playing, setPlaying] = useState(false);
  return (
    <>
      <button
        data-testid="play-button"
        className="btn px-2"
        aria-label={`${playing ? 'Pause' : 'Play'} ${name}`}
        onClick={() => {
          const audio = audioRef.current;
          if (!audio) return;
          if (audio.paused) void audio.play().catch(() => setPlaying(false));
          else audio.pause();
        }}
      >
        {playing ? '❚❚' : '▶'}
      </button>
      <audio ref={audioRef} src={url} preload="none" onPlay={() => setPlaying(true)} onPause={() => setPlaying(false)} onEnded={() => setPlaying(false)} />
    </>
  );
}

interface RowPlacement {
  index: number;
  topPx: number;
  /** The virtualiser's (stable) measuring ref: rows grow as a clip is decoded, transcribed and scored. */
  measure: (element: HTMLElement | null) => void;
}

const AudioItemRow = memo(function AudioItemRow({ id, labels, index, topPx, measure }: { id: string; labels: readonly string[] } & RowPlacement) {
  const item = useAppStore((s) => s.audioItems[id]);
  const remove = useAppStore((s) => s.removeAudioItem);
  const review = useItemReview('audio', id);
  const transcribing = useAppStore((s) => s.audioTranscribing.has(id));
  const transcriptFailure = useAppStore((s) => s.audioTranscriptFailures.get(id) ?? null);
  const whisper = useAppStore((s) => {
    const status = s.models.audio.status;
    return ((status.state === 'ready' ? status.info.family : undefined) ?? audioCatalogEntryFor(s.audioModelId).family) === 'whisper';
  });
  const { focused, selected } = review;
  if (!item) return null;
  return (
    <li
      ref={measure}
      data-index={index}
      {...reviewItemAttributes(item, review)}
      // The MIME type of the bytes this row decodes: the file's, or MediaRecorder's for a recording (e.g. audio/webm;codecs=opus).
      data-media-type={item.blob.type || undefined}
      style={laneStyle(0, 1, ROW_GAP_PX, topPx)}
      className={`rounded-lg border p-3 text-xs shadow-sm ${focused ? 'border-sky-500 ring-2 ring-sky-400' : 'border-slate-200'} ${selected ? 'bg-sky-50' : 'bg-white'}`}
      onClick={(event) => selectOnClick('audio', id, event)}
    >
      <div className="flex items-center gap-2">
        <SelectCheckbox task="audio" id={id} name={item.name} selected={selected} />
        <PlayButton url={item.url} name={item.name} />
        <p className="min-w-0 flex-1 truncate font-medium" title={item.name}>
          {item.name}
          {item.durationSeconds !== null && <span className="ml-2 font-normal text-slate-500">{formatDuration(item.durationSeconds)}</span>}
        </p>
        <button className="rounded px-1" aria-label={`Remove ${item.name}`} onClick={() => remove(id)}>
          ✕
        </button>
      </div>
      <div className="mt-2 grid gap-3 md:grid-cols-[1fr_16rem]">
        <div className="space-y-1">
          {item.peaks && <Waveform peaks={item.peaks} />}
          {item.state === 'decoding' && <p className="text-slate-500">Decoding…</p>}
          {item.state === 'pending' && <p className="text-slate-500">Waiting for the model…</p>}
          {item.transcript !== null ? (
            <p className="text-slate-700">
              Whisper hears{item.transcriptSeconds !== null ? ` (first ${item.transcriptSeconds} s)` : ''}:{' '}
              <q data-testid="transcript" className="italic" hidden={item.transcript.trim() === ''}>
                {item.transcript}
              </q>
              {/* The model answers noise and silence with no text at all; say so rather than show empty quotes. */}
              {item.transcript.trim() === '' && <span data-testid="transcript-no-speech" className="text-slate-500">no speech</span>}
            </p>
          ) : transcribing ? (
            // The scores come first; the transcript follows on its own request.
            <p data-testid="transcript-pending" className="text-slate-500">
              Whisper is transcribing…
            </p>
          ) : whisper && item.state === 'done' && transcriptFailure !== null ? (
            <p data-testid="transcript-failed" className="text-amber-700">
              Could not transcribe: {transcriptFailure}
            </p>
          ) : (
            whisper &&
            item.state === 'done' &&
            item.decision !== 'none' && (
              <p data-testid="transcript-skipped" className="text-slate-500">
                Not transcribed: reviewed before its transcript came.
              </p>
            )
          )}
          {item.truth !== null && <p className="text-slate-600">Ground truth: {item.truth}</p>}
          {item.note && (
            <p data-testid="item-note" className="text-amber-700">
              Note: {item.note}
            </p>
          )}
          {item.state === 'error' && (
            <p data-testid="item-error" className="text-red-700">
              {item.error}
            </p>
          )}
        </div>
        <div className="space-y-1">
          <DecisionControls task="audio" id={id} decision={item.decision} finalLabel={item.finalLabel} predictions={item.predictions} labels={labels} />
          <PredictionList predictions={item.predictions} />
          {item.predictions.length > 0 && (
            <p data-testid="item-classifier" data-classifier={item.classifier} className="text-slate-500">
              {classifierName(item.classifier)}
            </p>
          )}
        </div>
      </div>
    </li>
  );
});

export function AudioItemList() {
  const total = useAppStore((s) => s.audioOrder.length);
  const shown = useVisibleIds('audio');
  const labels = useTaskLabels('audio');
  const focusedId = useAppStore((s) => s.reviews.audio.focusedId);
  const listRef = useRef<HTMLUListElement>(null);
  const virtualized = shouldVirtualize(shown.length);
  const focusedIndex = focusedId === null ? -1 : shown.indexOf(focusedId);
  const list = useVirtualGrid(listRef, shown, focusedIndex, LIST_LAYOUT, virtualized);
  useReviewKeyboard('audio', list.moveRef);
  const batch = useAppStore((s) => s.audioBatch);
  const clear = useAppStore((s) => s.clearAudioItems);
  return (
    <section className="space-y-2" aria-label="Audio clips">
      <div className="flex items-center justify-between">
        {batch && (
          <div className="flex items-center gap-2 text-sm" data-testid="batch-progress" data-done={batch.done} data-total={batch.total}>
            <progress className="w-64" max={batch.total} value={batch.done} />
            <span>
              {batch.done} / {batch.total} clips
            </span>
          </div>
        )}
        {total > 0 && (
          <button className="btn ml-auto" onClick={clear}>
            Remove all ({total})
          </button>
        )}
      </div>
      <ReviewToolbar task="audio" total={total} shown={shown} />
      <ul ref={listRef} data-testid="audio-list" data-virtualized={virtualized} className="relative" style={{ height: list.totalHeightPx }}>
        {list.items.map(({ index, topPx }) => {
          const id = shown[index];
          return id === undefined ? null : <AudioItemRow key={id} id={id} labels={labels} index={index} topPx={topPx} measure={list.measureElement} />;
        })}
      </ul>
    </section>
  );
}
