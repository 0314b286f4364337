import { describe, expect, it } from 'vitest';
import { EmbeddingMatrix } from './embeddingMatrix';

describe('EmbeddingMatrix', () => {
  it('stores copies of rows and reads them back by key', () => {
    const matrix = new EmbeddingMatrix(3, 1);
    const vector = Float32Array.of(1, 2, 3);
    matrix.set('a', vector);
    vector[0] = 99;
    expect(Array.from(matrix.get('a')!)).toEqual([1, 2, 3]);
    expect(matrix.get('missing')).toBeUndefined();
  });

  it('grows by doubling and keeps earlier rows', () => {
    const matrix = new EmbeddingMatrix(2, 1);
    for (let i = 0; i < 1000; i++) matrix.set(`k${i}`, [i, -i]);
    expect(matrix.size).toBe(1000);
    expect(Array.from(matrix.get('k0')!)).toEqual([0, -0]);
    expect(Array.from(matrix.get('k999')!)).toEqual([999, -999]);
    expect(matrix.byteLength).toBe(1024 * 2 * 4);
  });

  it('replaces a key in place and rejects the wrong width', () => {
    const matrix = new EmbeddingMatrix(2);
    matrix.set('a', [1, 1]);
    matrix.set('a', [2, 2]);
    expect(matrix.size).toBe(1);
    expect(Array.from(matrix.get('a')!)).toEqual([2, 2]);
    expect(() => matrix.set('b', [1])).toThrow(RangeError);
  });
});
