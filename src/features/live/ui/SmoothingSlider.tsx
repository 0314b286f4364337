import { MAX_SMOOTHING_STRENGTH } from '../../../lib/liveSmoothing';

/** Fine enough to feel continuous, coarse enough that the shown value stays two decimals. */
const SMOOTHING_STEP = 0.05;

/** The live smoothing strength, 0 (off) … MAX_SMOOTHING_STRENGTH. */
export function SmoothingSlider({ value, onChange }: { value: number; onChange: (strength: number) => void }) {
  return (
    <label className="flex items-center gap-1 text-xs text-slate-600">
      smoothing
      <input
        data-testid="live-smoothing"
        type="range"
        min={0}
        max={MAX_SMOOTHING_STRENGTH}
        step={SMOOTHING_STEP}
        value={value}
        onChange={(event) => onChange(Number(event.target.value))}
      />
      <span className="w-8 tabular-nums">{value.toFixed(2)}</span>
    </label>
  );
}
