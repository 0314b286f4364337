/** mulberry32: a small seeded PRNG, so tests and benchmarks draw the same pictures and tensors every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` bytes from `seededRandom(seed)`: incompressible test data that is the same every run. */
export function seededBytes(length: number, seed: number): Uint8Array<ArrayBuffer> {
  const next = seededRandom(seed);
  return Uint8Array.from({ length }, () => Math.floor(next() * 256));
}
