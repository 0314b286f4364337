import { DynamicCache, Tensor, cat } from '@huggingface/transformers';

/**
 * What the merged Whisper decoder keeps after reading the transcription prompt once (batch 1):
 * every `present.N.{decoder,encoder}.{key,value}` output renamed to the `past_key_values.N…` input
 * it feeds (the prompt positions' self-attention and the encoder output's cross-attention keys and
 * values), on the CPU, and the prompt's last-position logits, which predict every label's first token.
 */
export interface PromptState {
  readonly past: ReadonlyMap<string, Tensor>;
  readonly lastLogits: Float32Array;
  readonly bytes: number;
}

const PRESENT_PREFIX = 'present.';
const PAST_PREFIX = 'past_key_values.';

/**
 * Takes the prompt run's cache out of its outputs. On WebGPU transformers.js asks ONNX Runtime to
 * leave these outputs on the GPU; they are read back once here (per window) so the label runs can
 * tile them on the CPU. Every other output is disposed.
 */
export async function promptStateFromOutputs(output: Record<string, unknown>, promptLength: number): Promise<PromptState> {
  const kept = new Set<Tensor>();
  try {
    const logits = output.logits;
    if (!(logits instanceof Tensor) || logits.dims.length !== 3 || logits.dims[1] !== promptLength)
      throw new Error('The Whisper decoder returned no logits for the prompt.');
    const vocabSize = logits.dims[2] as number;
    const all = logits.data;
    if (!(all instanceof Float32Array)) throw new Error('The Whisper decoder returned logits that are not float32.');
    const lastLogits = all.slice((promptLength - 1) * vocabSize, promptLength * vocabSize);
    const past = new Map<string, Tensor>();
    let bytes = lastLogits.byteLength;
    for (const [name, value] of Object.entries(output)) {
      if (!name.startsWith(PRESENT_PREFIX) || !(value instanceof Tensor)) continue;
      if (value.dims[0] !== 1) throw new Error(`The prompt run's ${name} has batch ${value.dims[0]}, not 1.`);
      const onCpu = value.location === 'gpu-buffer' ? new Tensor(value.type, await value.ort_tensor.getData(), [...value.dims]) : value;
      kept.add(onCpu);
      past.set(PAST_PREFIX + name.slice(PRESENT_PREFIX.length), onCpu);
      bytes += onCpu.data.byteLength;
    }
    if (past.size === 0) throw new Error('The Whisper decoder returned no key/value cache (is it a merged decoder?).');
    return { past, lastLogits, bytes };
  } finally {
    for (const value of Object.values(output)) if (value instanceof Tensor && !kept.has(value)) value.dispose();
  }
}

/** The prompt's cache repeated for `rows` label rows (a new CPU tensor per entry, tiled along the batch). */
export function tiledPastKeyValues(state: PromptState, rows: number): DynamicCache {
  const entries: Record<string, Tensor> = {};
  for (const [name, tensor] of state.past) entries[name] = rows === 1 ? tensor : cat(new Array<Tensor>(rows).fill(tensor), 0);
  return new DynamicCache(entries);
}

/**
 * Memory of one label row in a cached decoder call: its logits, the tiled prompt cache it reads,
 * and the present cache the merged decoder returns (the cross-attention part again, and the
 * self-attention part grown from the prompt's positions to prompt + label columns).
 */
export function cachedCallRowBytes(state: PromptState, promptLength: number, labelColumnsLength: number, vocabSize: number): number {
  let crossAttentionBytes = 0;
  let selfAttentionBytes = 0;
  for (const [name, tensor] of state.past) {
    if (name.includes('.encoder.')) crossAttentionBytes += tensor.data.byteLength;
    else selfAttentionBytes += tensor.data.byteLength;
  }
  const selfAttentionAfter = (selfAttentionBytes / promptLength) * (promptLength + labelColumnsLength);
  return state.lastLogits.BYTES_PER_ELEMENT * labelColumnsLength * vocabSize + 2 * crossAttentionBytes + selfAttentionBytes + selfAttentionAfter;
}

/**
 * Prompt states of recently scored windows, least recently used first out, bounded in bytes. A
 * label edit on a window scored before then reads no cross-attention again. It is separate from
 * the engine's encoder cache on purpose: a window's cross-attention cache is 2 × layers times its
 * encoder output, and is cheaper to recompute (one batch-1 decoder call) than an encoding, so it
 * must not push encoder outputs out of that cache.
 */
export class PromptStateCache<Key extends object> {
  private readonly states = new Map<Key, PromptState>();
  private totalBytes = 0;

  constructor(private readonly maxBytes: number) {}

  get bytes(): number {
    return this.totalBytes;
  }

  get size(): number {
    return this.states.size;
  }

  get(key: Key): PromptState | undefined {
    const state = this.states.get(key);
    if (state) {
      // Map order is insertion order: re-inserting marks it most recently used.
      this.states.delete(key);
      this.states.set(key, state);
    }
    return state;
  }

  set(key: Key, state: PromptState): void {
    const old = this.states.get(key);
    if (old) {
      this.states.delete(key);
      this.totalBytes -= old.bytes;
    }
    if (state.bytes > this.maxBytes) return;
    this.states.set(key, state);
    this.totalBytes += state.bytes;
    for (const [oldKey, oldState] of this.states) {
      if (this.totalBytes <= this.maxBytes) break;
      this.states.delete(oldKey);
      this.totalBytes -= oldState.bytes;
    }
  }

  clear(): void {
    this.states.clear();
    this.totalBytes = 0;
  }
}
