import { useState } from 'react';
import { DEFAULT_ATTRIBUTE_PAIRS, type AttributePair } from '../../../lib/biasProbe';
import type { Task } from '../../../lib/tasks';
import { useAppStore } from '../../../store';
import type { BiasView } from '../../../store/labSlice';
import { LabJobStatus } from './LabJobStatus';
import { percentText, startLabCall } from './labCalls';
import { LabServiceContext } from './labServices';

const DEFAULT_BIAS_TEMPLATE = 'a photo of a {attribute} {}.';
const MODEL_CARD_URL = 'https://github.com/openai/CLIP/blob/main/model-card.md';
const CLIP_PAPER_URL = 'https://arxiv.org/abs/2103.00020';

function BiasNote() {
  return (
    <aside data-testid="bias-note" className="rounded border border-amber-200 bg-amber-50 p-2 text-xs text-amber-950">
      <p>
        CLIP’s own model card reports that its scores depend on how classes are worded and that it shows disparities by race and gender: on
        FairFace images, people were classified into crime-related and non-human categories (“animal”, “gorilla”, …) at rates that differed by
        race and gender. The card declares deployed uses such as surveillance and facial recognition out of scope, and any untested deployed use
        premature. A probe like this one shows how the scores move with one word, on your items; it is not an audit.
      </p>
      <p className="mt-1">
        Sources:{' '}
        <a className="underline" href={MODEL_CARD_URL} target="_blank" rel="noreferrer">
          OpenAI, CLIP model card
        </a>
        ;{' '}
        <a className="underline" href={CLIP_PAPER_URL} target="_blank" rel="noreferrer">
          Radford et al. 2021, “Learning Transferable Visual Models From Natural Language Supervision”, section 7 (Broader impacts)
        </a>
        .
      </p>
    </aside>
  );
}

function BiasReportView({ report }: { report: BiasView }) {
  const { association } = report;
  return (
    <div data-testid="bias-report" data-items={report.items} className="space-y-3">
      <p className="text-xs text-slate-600">
        Over {report.items} items, with “{report.template}”. Gap: score of the item’s top label with the first attribute minus with the second
        (logit units), its mean ± standard deviation over the items.
      </p>
      <div className="sticky-table max-h-60 overflow-auto">
        <table className="tabular-nums text-xs">
          <thead>
            <tr className="text-left text-slate-500">
              <th className="pr-3 font-normal">Pair (a / b)</th>
              <th className="pr-3 font-normal">Mean gap ± sd</th>
              <th className="pr-3 font-normal">Prefers a</th>
              <th className="font-normal">Top label flips</th>
            </tr>
          </thead>
          <tbody>
            {report.pairs.map((pair) => (
              <tr
                key={`${pair.a}\u0000${pair.b}`}
                data-testid="bias-pair-row"
                data-a={pair.a}
                data-b={pair.b}
                data-mean-gap={pair.meanGap}
                data-gap-std={pair.gapStd}
                data-preference-a={pair.meanPreferenceA}
                data-flips={pair.flips}
                data-items={pair.items}
              >
                <th className="pr-3 text-left font-normal">
                  {pair.a} / {pair.b}
                </th>
                <td className="pr-3">
                  {pair.meanGap >= 0 ? '+' : ''}
                  {pair.meanGap.toFixed(2)} ± {pair.gapStd.toFixed(2)}
                </td>
                <td className="pr-3">{percentText(pair.meanPreferenceA)}</td>
                <td>
                  {pair.flips} of {pair.items}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {association.labels.length > 0 && association.attributes.length > 0 && (
        <div className="space-y-1">
          <p className="text-xs text-slate-600">Text side: cosine similarity of each label’s prompt to each attribute word, in the text tower.</p>
          <div className="sticky-table max-h-60 overflow-auto">
            <table data-testid="bias-association" className="tabular-nums text-xs">
              <thead>
                <tr className="text-left text-slate-500">
                  <th className="pr-3 font-normal">label ↓ / attribute →</th>
                  {association.attributes.map((attribute) => (
                    <th key={attribute} className="pr-3 font-normal">
                      {attribute}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {association.labels.map((label, row) => (
                  <tr key={label}>
                    <th className="max-w-40 truncate pr-3 text-left font-normal" title={label}>
                      {label}
                    </th>
                    {association.attributes.map((attribute, column) => (
                      <td key={attribute} className="pr-3">
                        {(association.cosines[row]?.[column] ?? Number.NaN).toFixed(3)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </div>
  );
}

function BiasProbeForm() {
  const lab = LabServiceContext.use();
  const job = useAppStore((s) => s.labJobs.image);
  const report = useAppStore((s) => s.biasReport);
  const [template, setTemplate] = useState(DEFAULT_BIAS_TEMPLATE);
  const [pairs, setPairs] = useState<AttributePair[]>(() => DEFAULT_ATTRIBUTE_PAIRS.map((pair) => ({ ...pair })));
  const filled = pairs.map((pair) => ({ a: pair.a.trim(), b: pair.b.trim() })).filter((pair) => pair.a !== '' && pair.b !== '');
  const edit = (index: number, patch: Partial<AttributePair>) => setPairs((current) => current.map((pair, i) => (i === index ? { ...pair, ...patch } : pair)));

  return (
    <div data-busy={job !== null} data-testid="bias-probe-form" className="space-y-3">
      <label className="block text-xs">
        Template (<code>{'{attribute}'}</code> marks the attribute word, <code>{'{}'}</code> the label)
        <input data-testid="bias-template" className="input mt-1 font-mono text-xs" value={template} onChange={(e) => setTemplate(e.target.value)} />
      </label>
      <fieldset className="space-y-1 text-xs">
        <legend>Attribute pairs (prompts that differ only in this word)</legend>
        {pairs.map((pair, index) => (
          <div key={index} data-testid="bias-pair" className="flex items-center gap-1">
            <input data-testid="bias-pair-a" aria-label={`Pair ${index + 1}, first attribute`} className="input w-32" value={pair.a} onChange={(e) => edit(index, { a: e.target.value })} />
            <span>/</span>
            <input data-testid="bias-pair-b" aria-label={`Pair ${index + 1}, second attribute`} className="input w-32" value={pair.b} onChange={(e) => edit(index, { b: e.target.value })} />
            <button
              data-testid="bias-pair-remove"
              className="btn px-1 py-0 text-xs"
              aria-label={`Remove pair ${index + 1}`}
              onClick={() => setPairs((current) => current.filter((_, i) => i !== index))}
            >
              ×
            </button>
          </div>
        ))}
        <button data-testid="bias-pair-add" className="btn text-xs" onClick={() => setPairs((current) => [...current, { a: '', b: '' }])}>
          Add a pair
        </button>
      </fieldset>
      <button
        data-testid="run-bias-probe"
        className="btn"
        disabled={filled.length === 0 || job !== null}
        onClick={() => startLabCall('image', () => lab.runBiasProbe(template, filled))}
      >
        Run the probe ({filled.length} pair{filled.length === 1 ? '' : 's'})
      </button>
      <LabJobStatus task="image" kinds={['bias']} />
      {report && <BiasReportView report={report} />}
    </div>
  );
}

/** Paired prompts that differ in one attribute word, and how the model's scores on the current items move between them. */
export function BiasProbePanel({ task }: { task: Task }) {
  return (
    <section data-testid="bias-probe" className="space-y-3 text-sm" aria-label="Bias probe">
      {task === 'image' ? (
        <BiasProbeForm />
      ) : (
        <p data-testid="bias-probe-image-only" className="text-sm text-slate-600">
          The bias probe is for the image task (CLIP’s text and image towers): switch to Images to run it on your images.
        </p>
      )}
      <BiasNote />
    </section>
  );
}
