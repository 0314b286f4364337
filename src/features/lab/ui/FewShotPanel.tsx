import { useState, type ChangeEvent } from 'react';
import { HEAD_KINDS, type HeadKind } from '../../../lib/fewShot';
import type { Task } from '../../../lib/tasks';
import { useAppStore } from '../../../store';
import type { ActiveHead } from '../../../store/labSlice';
import type { TrainHeadOptions } from '../client/labService';
import { classifierName } from '../../../lib/classifiers';
import { LabJobStatus } from './LabJobStatus';
import { percentText, startLabCall } from './labCalls';
import { LabServiceContext } from './labServices';
import { LearningCurveChart } from './LearningCurveChart';

const HEAD_NOTES: Record<HeadKind, string> = {
  logistic: 'multinomial, L2-regularised; its strength chosen by cross-validation (the CLIP linear-probe recipe)',
  knn: 'cosine similarity to the labelled examples; k chosen by cross-validation',
  'tip-adapter': 'training-free: zero-shot logits plus a cache of the labelled examples; α and β chosen by cross-validation',
};

/** The head's accuracy as the few-shot-accuracy text: on held-out items beside zero-shot on the same items, or its CV figure (said so). */
function HeadAccuracy({ head }: { head: ActiveHead }) {
  if (head.heldOutAccuracy !== null) {
    return (
      <p data-testid="few-shot-accuracy" data-value={head.heldOutAccuracy} data-zero-shot-value={head.zeroShotHeldOutAccuracy ?? ''} data-measure="held-out" className="text-sm">
        Held-out accuracy <strong>{percentText(head.heldOutAccuracy)}</strong>{' '}
        <span className="text-slate-600">(zero-shot on the same items: {percentText(head.zeroShotHeldOutAccuracy)})</span>
      </p>
    );
  }
  return (
    <p data-testid="few-shot-accuracy" data-value={head.cvAccuracy ?? ''} data-measure="cross-validated" className="text-sm">
      Cross-validated accuracy on its training items <strong>{percentText(head.cvAccuracy)}</strong>{' '}
      <span className="text-slate-600">(no items with ground truth were left out of training to measure it on)</span>
    </p>
  );
}

function ActiveHeadView({ task, head }: { task: Task; head: ActiveHead }) {
  const lab = LabServiceContext.use();
  const updateHead = useAppStore((s) => s.updateHead);
  const chosen = Object.entries(head.chosen).map(([name, value]) => `${name} = ${value}`);
  return (
    <div data-testid="few-shot-head" data-kind={head.kind} data-in-use={head.inUse} className="space-y-2 rounded border border-slate-200 p-2">
      <p className="text-xs text-slate-600">
        {classifierName(head.kind)} on {head.examples} examples ({head.source === 'truth' ? 'ground truth' : head.source === 'decisions' ? 'your decisions' : 'imported'}
        ), {head.dim}-dimensional embeddings of {head.modelId}
        {chosen.length > 0 && `; ${chosen.join(', ')}`}
      </p>
      <HeadAccuracy head={head} />
      <label className="flex flex-wrap items-center gap-2 text-xs">
        <span>Blend with zero-shot</span>
        <input
          data-testid="few-shot-blend"
          type="range"
          min={0}
          max={1}
          step={0.05}
          value={head.zeroShotWeight}
          onChange={(e) => updateHead(task, { zeroShotWeight: Number(e.target.value) })}
        />
        <span className="tabular-nums">
          {Math.round((1 - head.zeroShotWeight) * 100)}% head · {Math.round(head.zeroShotWeight * 100)}% zero-shot
        </span>
      </label>
      <label className="flex items-center gap-2 text-sm">
        <input data-testid="use-few-shot" type="checkbox" checked={head.inUse} onChange={(e) => updateHead(task, { inUse: e.target.checked })} />
        Use it for the items (their predictions, review, metrics and exports come from it)
      </label>
      <div className="flex flex-wrap gap-1 text-xs">
        <button data-testid="export-head" className="btn text-xs" onClick={() => startLabCall(task, () => lab.exportHead(task))}>
          Export head (JSON)
        </button>
      </div>
    </div>
  );
}

/**
 * Level 4 of the talk: a classifier trained on the embeddings of labelled items (logistic
 * regression, k-NN, Tip-Adapter), blended with zero-shot, used for the items; and the learning
 * curve of zero-shot against each head as labelled examples grow.
 */
export function FewShotPanel({ task }: { task: Task }) {
  const lab = LabServiceContext.use();
  const head = useAppStore((s) => s.heads[task]);
  const job = useAppStore((s) => s.labJobs[task]);
  const curve = useAppStore((s) => s.learningCurves[task]);
  const [kind, setKind] = useState<HeadKind>('logistic');
  const [source, setSource] = useState<TrainHeadOptions['source']>('truth');
  const [initFromZeroShot, setInitFromZeroShot] = useState(true);
  /** Blank: every example; a number: at most that many per class, the rest measure the head. */
  const [perClassText, setPerClassText] = useState('');
  const perClass = Number.parseInt(perClassText, 10);
  const examplesPerClass = Number.isFinite(perClass) && perClass > 0 ? perClass : null;
  const onImport = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (file) startLabCall(task, () => lab.importHead(task, file));
  };

  return (
    <section data-testid="few-shot" data-busy={job !== null} data-head-id={head?.headId ?? ''} data-curve={curve ? 'ready' : ''} className="space-y-3 text-sm" aria-label="Few-shot heads">
      <p className="text-xs text-slate-600">
        A classifier on the {task === 'image' ? 'image embeddings' : 'audio embeddings (CLAP audio, or Whisper’s encoder mean-pooled over the clip)'}{' '}
        of labelled items, trained in the model’s worker; hyperparameters chosen by cross-validation on the training items.
      </p>
      <div className="flex flex-wrap items-end gap-3">
        <label className="text-xs">
          Head
          <select data-testid="few-shot-kind" className="input mt-1" value={kind} onChange={(e) => setKind(HEAD_KINDS.find((k) => k === e.target.value) ?? 'logistic')}>
            {HEAD_KINDS.map((candidate) => (
              <option key={candidate} value={candidate}>
                {classifierName(candidate)}
              </option>
            ))}
          </select>
        </label>
        <fieldset className="text-xs">
          <legend>Trained on</legend>
          <label className="mr-2">
            <input type="radio" name={`few-shot-source-${task}`} data-testid="few-shot-source-truth" checked={source === 'truth'} onChange={() => setSource('truth')} /> ground truth
          </label>
          <label>
            <input type="radio" name={`few-shot-source-${task}`} data-testid="few-shot-source-decisions" checked={source === 'decisions'} onChange={() => setSource('decisions')} /> my
            accepted and relabelled items
          </label>
        </fieldset>
        <label className="text-xs" title="A seeded stratified sample; the labelled items left over measure the head">
          Examples per class
          <input
            data-testid="few-shot-per-class"
            className="input mt-1 w-20"
            type="number"
            min={1}
            placeholder="all"
            value={perClassText}
            onChange={(e) => setPerClassText(e.target.value)}
          />
        </label>
        {kind === 'logistic' && (
          <label className="flex items-center gap-1 text-xs" title="The text embeddings (times the logit scale) as its initial weights">
            <input data-testid="few-shot-init-zero-shot" type="checkbox" checked={initFromZeroShot} onChange={(e) => setInitFromZeroShot(e.target.checked)} />
            start from zero-shot
          </label>
        )}
        <button
          data-testid="train-few-shot"
          className="btn"
          disabled={job !== null}
          onClick={() => startLabCall(task, () => lab.trainHead(task, { kind, source, initFromZeroShot: kind === 'logistic' && initFromZeroShot, examplesPerClass }))}
        >
          Train
        </button>
        <label className="btn cursor-pointer text-xs">
          Import head…
          <input data-testid="import-head" type="file" accept=".json,application/json" className="sr-only" onChange={onImport} />
        </label>
      </div>
      <p className="text-xs text-slate-500">{HEAD_NOTES[kind]}.</p>
      <LabJobStatus task={task} kinds={['train', 'curve']} />
      {head && <ActiveHeadView task={task} head={head} />}
      <div className="space-y-1">
        <button data-testid="run-learning-curve" className="btn text-xs" disabled={job !== null} onClick={() => startLabCall(task, () => lab.runLearningCurve(task, [...HEAD_KINDS]))}>
          Compute the learning curve
        </button>
        {curve && <LearningCurveChart curve={curve} />}
      </div>
    </section>
  );
}
