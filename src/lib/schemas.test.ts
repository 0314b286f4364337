import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  MAX_PROBLEMS,
  calibrationSchema,
  capProblems,
  checkWith,
  describeType,
  labelsSchema,
  list,
  modelIdSchema,
  notAnObject,
  pathOf,
  record,
  taskSchema,
  templateSchema,
  text,
  version,
} from './schemas';

const problems = (schema: v.GenericSchema, input: unknown): string[] => {
  const checked = checkWith(schema, input);
  return checked.ok ? [] : checked.problems;
};

describe('text', () => {
  const label = text({ maxChars: 5, refuseMarkupIn: 'a demo link', refuseControlChars: true });
  it('accepts text within the rules, angle brackets that are not markup included', () => {
    expect(checkWith(label, 'a < b')).toEqual({ ok: true, value: 'a < b' });
    expect(checkWith(label, '<3')).toEqual({ ok: true, value: '<3' });
  });
  it('reports the first rule broken, one problem per value', () => {
    expect(problems(label, 7)).toEqual(['must be text, not a number']);
    expect(problems(label, undefined)).toEqual(['must be text, not nothing']);
    expect(problems(label, '<script>')).toEqual(['longer than 5 characters']);
    expect(problems(label, '   ')).toEqual(['empty']);
    expect(problems(label, 'a\u0000b')).toEqual(['contains control characters']);
    expect(problems(label, '<b>')).toEqual(['looks like HTML markup, which a demo link may not carry']);
  });
  it('allows empty text, markup and control characters only where told', () => {
    expect(checkWith(text({ maxChars: 5, allowEmpty: true }), '').ok).toBe(true);
    expect(checkWith(text({ maxChars: 5 }), '<b>\t').ok).toBe(true);
  });
});

describe('list', () => {
  const numbers = list(v.number('must be a number'), { minItems: 1, maxItems: 3, of: 'numbers', noun: 'items' });
  it('checks the length before any item, so a long list of bad values is one problem', () => {
    expect(problems(numbers, ['x', 'y', 'z', 'w'])).toEqual(['more than 3 items (4)']);
    expect(problems(numbers, [])).toEqual(['at least 1 needed']);
    expect(problems(numbers, 'nope')).toEqual(['must be a list of numbers, not a string']);
    expect(problems(list(v.number(), { maxItems: 2 }), [1, 2, 3])).toEqual(['more than 2 (3)']);
  });
  it('reports each bad item at its position', () => {
    expect(problems(numbers, [1, 'x', null])).toEqual(['[1]: must be a number', '[2]: must be a number']);
  });
  it('returns a copy', () => {
    const input = [1, 2];
    const checked = checkWith(numbers, input);
    expect(checked).toEqual({ ok: true, value: [1, 2] });
    if (checked.ok) expect(checked.value).not.toBe(input);
  });
});

describe('record', () => {
  const point = record({ x: v.number('must be a number'), label: v.optional(text({ maxChars: 10 })) }, (input) => `not a point but ${describeType(input)}`);

  it('returns a fresh object with only the known fields', () => {
    const input = { x: 1 };
    const checked = checkWith(point, input);
    expect(checked).toEqual({ ok: true, value: { x: 1 } });
    if (checked.ok) expect(checked.value).not.toBe(input);
  });

  it('describes a missing field with its own schema, and a non-object with the given sentence', () => {
    expect(problems(point, {})).toEqual(['x: must be a number']);
    expect(problems(point, [1])).toEqual(['not a point but a list']);
    expect(problems(point, null)).toEqual(['not a point but null']);
    expect(problems(point, new Uint8Array(1))).toEqual(['not a point but an object']);
  });

  it('names every unknown field, before the other problems of its object', () => {
    expect(problems(point, { x: 'one', y: 2, z: 3 })).toEqual(['y: unknown field', 'z: unknown field', 'x: must be a number']);
  });

  it('names unknown fields that objects inherit names for (__proto__, constructor, prototype)', () => {
    const hostile: unknown = JSON.parse('{"x":"one","__proto__":{"polluted":true},"constructor":1}');
    expect(problems(point, hostile)).toEqual(['unknown fields __proto__, constructor']);
    expect(problems(list(point, { maxItems: 2 }), [{ x: 1 }, JSON.parse('{"x":1,"prototype":1}')])).toEqual(['[1]: unknown field prototype']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('shortens long unknown field names in problems', () => {
    expect(problems(point, { x: 1, ['k'.repeat(100)]: 1 })).toEqual([`${'k'.repeat(40)}…: unknown field`]);
  });

  it('gives nested problems their full path, unknown fields first within each object', () => {
    const shape = record({ name: text({ maxChars: 10 }), points: list(point, { maxItems: 5 }) }, notAnObject);
    expect(problems(shape, { name: 3, points: [{ x: 1 }, { x: 'a', extra: 1 }, 'p'], colour: 'red' })).toEqual([
      'colour: unknown field',
      'name: must be text, not a number',
      'points[1].extra: unknown field',
      'points[1].x: must be a number',
      'points[2]: not a point but a string',
    ]);
  });
});

describe('shared fields', () => {
  it('version: names a newer version, or the wrong type', () => {
    expect(checkWith(version(1, 'the file'), 1)).toEqual({ ok: true, value: 1 });
    expect(problems(version(1, 'the file'), 2)).toEqual(['2 is not one this app reads (it reads 1); the file may be from a newer version']);
    expect(problems(version(1, 'the link', 'version '), 3)).toEqual([
      'version 3 is not one this app reads (it reads 1); the link may be from a newer version',
    ]);
    expect(problems(version(1, 'the file'), '1')).toEqual(['must be the number 1, not a string']);
  });

  it('task, model id and calibration', () => {
    expect(checkWith(taskSchema, 'audio').ok).toBe(true);
    expect(problems(taskSchema, 'video')).toEqual(['must be image or audio']);
    expect(checkWith(modelIdSchema, 'Xenova/clip-vit-base-patch32').ok).toBe(true);
    for (const bad of ['../../etc/passwd', 'no-slash', 42, 'a/b/c']) expect(problems(modelIdSchema, bad), String(bad)).toEqual(['not a model id of the form owner/name']);
    expect(problems(calibrationSchema, 'magic')).toEqual(['must be one of none, zero-input, prior']);
  });

  it('labels: at most 256, each bounded and not blank', () => {
    const labels = labelsSchema({ minItems: 1, maxChars: 20 });
    expect(checkWith(labels, ['cat', 'dog']).ok).toBe(true);
    expect(problems(labels, Array.from({ length: 257 }, (_, i) => `l${i}`))).toEqual(['more than 256 items (257)']);
    expect(problems(labels, ['cat', ' ', 'x'.repeat(21), 4])).toEqual([
      '[1]: empty',
      '[2]: longer than 20 characters',
      '[3]: must be text, not a number',
    ]);
    expect(problems(labelsSchema({ minItems: 1, maxChars: 20 }), [])).toEqual(['at least 1 needed']);
    expect(checkWith(labelsSchema({ minItems: 0, maxChars: 20 }), []).ok).toBe(true);
  });

  it('template: empty allowed, bounded at 500 characters by default', () => {
    expect(checkWith(templateSchema(), '').ok).toBe(true);
    expect(problems(templateSchema(), 'x'.repeat(501))).toEqual(['longer than 500 characters']);
    expect(problems(templateSchema({ refuseMarkupIn: 'a demo link' }), '<!-- {} -->')).toEqual([
      'looks like HTML markup, which a demo link may not carry',
    ]);
  });
});

describe('problems', () => {
  it('formats paths with dots between fields and brackets around positions', () => {
    const path: v.IssuePathItem[] = [
      { type: 'object', origin: 'value', input: {}, key: 'items', value: [] },
      { type: 'array', origin: 'value', input: [], key: 3, value: {} },
      { type: 'object', origin: 'value', input: {}, key: 'decision', value: 'x' },
    ];
    expect(pathOf(path)).toBe('items[3].decision');
    expect(pathOf(undefined)).toBe('');
  });

  it('caps the list, saying how many were left out', () => {
    const many = Array.from({ length: MAX_PROBLEMS + 5 }, (_, i) => `p${i}`);
    expect(capProblems(many)).toEqual([...many.slice(0, MAX_PROBLEMS), '…and 5 more problems']);
    expect(capProblems(many.slice(0, MAX_PROBLEMS))).toEqual(many.slice(0, MAX_PROBLEMS));
  });
});
