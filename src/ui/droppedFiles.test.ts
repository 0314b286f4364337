import { describe, expect, it } from 'vitest';
import { withFolderTruths } from './droppedFiles';

const dropped = (path: string) => ({ file: new File([], path.split('/').at(-1)!), path });

describe('withFolderTruths', () => {
  it('orders folder files by path, numbers numerically, and gives each its class folder', () => {
    const out = withFolderTruths(['set/dog/img-10.png', 'set/cat/img-2.png', 'set/dog/img-9.png', 'set/cat/img-10.png'].map(dropped));
    expect(out.map((file) => [file.path, file.truth])).toEqual([
      ['set/cat/img-2.png', 'cat'],
      ['set/cat/img-10.png', 'cat'],
      ['set/dog/img-9.png', 'dog'],
      ['set/dog/img-10.png', 'dog'],
    ]);
  });

  it('keeps loose files in the order given, without truth', () => {
    const out = withFolderTruths(['b.png', 'a.png'].map(dropped));
    expect(out.map((file) => [file.path, file.truth])).toEqual([
      ['b.png', null],
      ['a.png', null],
    ]);
  });
});
