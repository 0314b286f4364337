import { describe, expect, it } from 'vitest';
import { FileTooLargeError, refuseIfLarger } from './fileSizeLimit';

describe('refuseIfLarger', () => {
  it('lets a file of exactly the limit through', () => {
    expect(() => refuseIfLarger({ name: 'a.csv', size: 1024 }, 1024, 'a file,label table')).not.toThrow();
  });

  it('refuses one byte more, naming the file, its size, what it was taken for and the limit', () => {
    const refuse = () => refuseIfLarger({ name: 'big.json', size: 300 * 1024 * 1024 }, 256 * 1024 * 1024, 'a head file');
    expect(refuse).toThrow(FileTooLargeError);
    expect(refuse).toThrow('big.json is 300 MB, larger than a head file may be (256 MB); it was not read.');
    expect(() => refuseIfLarger({ name: 'x.csv', size: 2048 }, 1024, 'a file,label table')).toThrow('x.csv is 2.0 kB, larger than a file,label table may be (1.0 kB)');
  });
});
