import { DynamicCache, Tensor, cat } from '@huggingface/transformers';
import type { CrossAttentionFeed } from '../shared/protocol';

/**
 * What the merged Whisper decoder keeps after reading the transcription prompt once (batch 1):
 * every `present.N.{decoder,encoder}.{key,value}` output renamed to the `past_key_values.N…` input
 * it feeds, and the prompt's last-position logits, which predict every label's first token.
 * The self-attention part (`.decoder.`, a few prompt positions) is on the CPU, to be tiled over
 * the label rows; the cross-attention part (`.encoder.`, 1500 positions) stays where the decoder
 * put it (GPU buffers on WebGPU) when the decoder broadcasts it over the rows, else on the CPU too.
 */
export interface PromptState {
  readonly past: ReadonlyMap<string, Tensor>;
  readonly lastLogits: Float32Array;
  readonly bytes: number;
}


const PRESENT_PREFIX = 'present.';
const PAST_PREFIX = 'past_key_values.';

/** Logits as float32: an fp16 export's come as a Float16Array (raw Uint16Array bits, where the engine lacks one, are refused). */
export function float32Logits(logits: Tensor): Float32Array {
  const data: unknown = logits.ort_tensor.data;
  if (data instanceof Float32Array) return data;
  if (logits.type !== 'float16' || !ArrayBuffer.isView(data) || data instanceof Uint16Array)
    throw new Error(`The Whisper decoder returned ${logits.type} logits this scorer cannot read.`);
  return Float32Array.from({ length: logits.size }, (_, index) => {
    const value: unknown = Reflect.get(data, index);
    return typeof value === 'number' ? value : Number.NaN;
  });
}

function isCrossAttention(name: string): boolean {
  return name.includes('.encoder.');
}

async function onCpu(tensor: Tensor): Promise<Tensor> {
  return tensor.location === 'gpu-buffer' ? new Tensor(tensor.type, await tensor.ort_tensor.getData(), [...tensor.dims]) : tensor;
}

/**
 * Takes the prompt run's cache out of its outputs. On WebGPU transformers.js asks ONNX Runtime to
 * leave these outputs on the GPU: the self-attention part is read back (a few KB), and the
 * cross-attention part too only when it must be tiled on the CPU. Every output not kept is disposed.
 */
export async function promptStateFromOutputs(output: Record<string, unknown>, promptLength: number, crossAttention: CrossAttentionFeed): Promise<PromptState> {
  const kept = new Set<Tensor>();
  try {
    const logits = output.logits;
    if (!(logits instanceof Tensor) || logits.dims.length !== 3 || logits.dims[1] !== promptLength)
      throw new Error('The Whisper decoder returned no logits for the prompt.');
    const vocabSize = logits.dims[2] as number;
    const lastLogits = float32Logits(logits).slice((promptLength - 1) * vocabSize, promptLength * vocabSize);
    const past = new Map<string, Tensor>();
    let bytes = lastLogits.byteLength;
    for (const [name, value] of Object.entries(output)) {
      if (!name.startsWith(PRESENT_PREFIX) || !(value instanceof Tensor)) continue;
      if (value.dims[0] !== 1) throw new Error(`The prompt run's ${name} has batch ${value.dims[0]}, not 1.`);
      const pastName = PAST_PREFIX + name.slice(PRESENT_PREFIX.length);
      const stored = crossAttention === 'broadcast' && isCrossAttention(pastName) ? value : await onCpu(value);
      kept.add(stored);
      past.set(pastName, stored);
      bytes += stored.size * (stored.type === 'float16' ? 2 : 4);
    }
    if (past.size === 0) throw new Error('The Whisper decoder returned no key/value cache (is it a merged decoder?).');
    return { past, lastLogits, bytes };
  } catch (error) {
    // Nothing will hold the outputs kept so far (GPU buffers on WebGPU): the finally frees them with
    // the rest. Kept read-back copies are plain CPU memory.
    kept.clear();
    throw error;
  } finally {
    for (const value of Object.values(output)) if (value instanceof Tensor && !kept.has(value)) value.dispose();
  }
}

/**
 * The past_key_values of one call over `rows` label rows: the self-attention cache tiled along the
 * batch, the cross-attention cache as it is (broadcast) or tiled. `created` lists the tensors made
 * for this call (the caller disposes them; the state's own tensors stay).
 */
export function pastKeyValuesForRows(state: PromptState, rows: number, crossAttention: CrossAttentionFeed): { past: DynamicCache; created: Tensor[] } {
  const entries: Record<string, Tensor> = {};
  const created: Tensor[] = [];
  for (const [name, tensor] of state.past) {
    if (rows === 1 || (crossAttention === 'broadcast' && isCrossAttention(name))) {
      entries[name] = tensor;
    } else {
      const tiled = cat(new Array<Tensor>(rows).fill(tensor), 0);
      entries[name] = tiled;
      created.push(tiled);
    }
  }
  return { past: new DynamicCache(entries), created };
}

/**
 * Memory of one label row in a cached decoder call: its logits, and the self-attention cache it
 * reads (the prompt's positions) and returns (prompt + label columns); with a tiled cross-attention
 * cache, also that cache twice (the tiled input and the present output the merged decoder returns).
 */
export function cachedCallRowBytes(state: PromptState, promptLength: number, labelColumnsLength: number, vocabSize: number, crossAttention: CrossAttentionFeed): number {
  let crossAttentionBytes = 0;
  let selfAttentionBytes = 0;
  for (const [name, tensor] of state.past) {
    const bytes = tensor.size * (tensor.type === 'float16' ? 2 : 4);
    if (isCrossAttention(name)) crossAttentionBytes += bytes;
    else selfAttentionBytes += bytes;
  }
  const selfAttentionAfter = (selfAttentionBytes / promptLength) * (promptLength + labelColumnsLength);
  const logitsBytes = state.lastLogits.BYTES_PER_ELEMENT * labelColumnsLength * vocabSize;
  return logitsBytes + selfAttentionBytes + selfAttentionAfter + (crossAttention === 'tiled' ? 2 * crossAttentionBytes : 0);
}

function disposeState(state: PromptState): void {
  for (const tensor of state.past.values()) tensor.dispose();
}

/**
 * Prompt states of recently scored windows, least recently used first out, bounded in bytes. A
 * label edit on a window scored before then reads no cross-attention again. It is separate from
 * the engine's encoder cache on purpose: a window's cross-attention cache is 2 × layers times its
 * encoder output and is cheaper to recompute (one batch-1 decoder call) than an encoding, so it
 * must not push encoder outputs out of that cache. States in use by a call are never evicted
 * under it (their GPU buffers are freed on eviction).
 */
export class PromptStateCache<Key extends object> {
  private readonly states = new Map<Key, PromptState>();
  private readonly inUse = new Map<PromptState, number>();
  private totalBytes = 0;

  constructor(private readonly maxBytes: number) {}

  get bytes(): number {
    return this.totalBytes;
  }

  get size(): number {
    return this.states.size;
  }

  /** The key's state, marked in use until release(); computes and stores it when missing. */
  async acquire(key: Key, compute: () => Promise<PromptState>): Promise<PromptState> {
    let state = this.states.get(key);
    if (state) {
      // Map order is insertion order: re-inserting marks it most recently used.
      this.states.delete(key);
      this.states.set(key, state);
    } else {
      state = await compute();
      const raced = this.states.get(key);
      if (raced) {
        disposeState(state);
        state = raced;
      } else {
        this.states.set(key, state);
        this.totalBytes += state.bytes;
      }
    }
    this.inUse.set(state, (this.inUse.get(state) ?? 0) + 1);
    this.evict();
    return state;
  }

  release(state: PromptState): void {
    const count = (this.inUse.get(state) ?? 1) - 1;
    if (count > 0) {
      this.inUse.set(state, count);
      return;
    }
    this.inUse.delete(state);
    // Forgotten or cleared while in use: nothing else holds it.
    if (![...this.states.values()].includes(state)) disposeState(state);
    this.evict();
  }

  /** Drops the key's state (freed now unless in use). */
  forget(key: Key): void {
    const state = this.states.get(key);
    if (!state) return;
    this.states.delete(key);
    this.totalBytes -= state.bytes;
    if (!this.inUse.has(state)) disposeState(state);
  }

  clear(): void {
    for (const state of this.states.values()) if (!this.inUse.has(state)) disposeState(state);
    this.states.clear();
    this.totalBytes = 0;
  }

  private evict(): void {
    for (const [key, state] of this.states) {
      if (this.totalBytes <= this.maxBytes) break;
      if (this.inUse.has(state)) continue;
      this.states.delete(key);
      this.totalBytes -= state.bytes;
      disposeState(state);
    }
  }
}
