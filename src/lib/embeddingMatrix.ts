/** Rows reserved at first; the matrix doubles when full. */
const INITIAL_ROWS = 64;

/**
 * Embeddings of many items in one growing Float32Array (row per key) instead of one typed array
 * object per item: a thousand images cost one allocation (amortised), not a thousand, and the rows
 * sit next to each other for scoring.
 */
export class EmbeddingMatrix {
  private data: Float32Array;
  private readonly rowOf = new Map<string, number>();
  private rows = 0;

  constructor(
    readonly width: number,
    initialRows = INITIAL_ROWS,
  ) {
    if (!(width > 0)) throw new RangeError('width must be positive');
    this.data = new Float32Array(width * Math.max(1, initialRows));
  }

  get size(): number {
    return this.rows;
  }

  /** Bytes reserved (capacity, not just the rows in use). */
  get byteLength(): number {
    return this.data.byteLength;
  }

  has(key: string): boolean {
    return this.rowOf.has(key);
  }

  /** A view of the row: valid until the next `set` (growth moves the data). */
  get(key: string): Float32Array | undefined {
    const row = this.rowOf.get(key);
    return row === undefined ? undefined : this.data.subarray(row * this.width, (row + 1) * this.width);
  }

  /** Stores a copy of `vector` (replacing the key's row if it had one). */
  set(key: string, vector: ArrayLike<number>): void {
    if (vector.length !== this.width) throw new RangeError(`expected ${this.width} values, got ${vector.length}`);
    let row = this.rowOf.get(key);
    if (row === undefined) {
      row = this.rows++;
      if (this.rows * this.width > this.data.length) {
        const grown = new Float32Array(this.data.length * 2);
        grown.set(this.data);
        this.data = grown;
      }
      this.rowOf.set(key, row);
    }
    this.data.set(vector, row * this.width);
  }
}
