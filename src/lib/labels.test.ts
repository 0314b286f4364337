import { describe, expect, it } from 'vitest';
import { MAX_LABELS, MAX_LABEL_CHARS, buildClassPrompts, buildPrompts, fillTemplate, parseLabels, parseTemplates } from './labels';

describe('parseLabels', () => {
  it('splits on new lines and commas and trims', () => {
    expect(parseLabels(' cat \n dog, bird ,\n\n').labels).toEqual(['cat', 'dog', 'bird']);
  });
  it('merges duplicates ignoring case and spacing, keeping the first spelling', () => {
    const parsed = parseLabels('Red  circle\nred circle\nRED CIRCLE\nblue');
    expect(parsed.labels).toEqual(['Red circle', 'blue']);
    expect(parsed.mergedDuplicates).toBe(2);
  });
  it('returns no labels for blank text', () => {
    expect(parseLabels('  \n , ,').labels).toEqual([]);
  });
  it('keeps HTML as plain text and bounds very long labels', () => {
    const html = '<img src=x onerror="alert(1)">';
    expect(parseLabels(html).labels).toEqual([html]);
    expect(parseLabels('x'.repeat(MAX_LABEL_CHARS + 50)).labels[0]).toHaveLength(MAX_LABEL_CHARS);
  });
  it('stops at MAX_LABELS and counts what it dropped', () => {
    const text = Array.from({ length: MAX_LABELS + 3 }, (_, i) => `label ${i}`).join('\n');
    const parsed = parseLabels(text);
    expect(parsed.labels).toHaveLength(MAX_LABELS);
    expect(parsed.droppedOverLimit).toBe(3);
  });
});

describe('fillTemplate', () => {
  it('fills every slot', () => {
    expect(fillTemplate('a photo of a {}.', 'cat')).toBe('a photo of a cat.');
    expect(fillTemplate('{} or {}', 'x')).toBe('x or x');
  });
  it('appends the label when the template has no slot, and uses the bare label for an empty template', () => {
    expect(fillTemplate('a photo of', 'cat')).toBe('a photo of cat');
    expect(fillTemplate('   ', 'cat')).toBe('cat');
  });
  it('builds one prompt per label in order', () => {
    expect(buildPrompts('{}!', ['a', 'b'])).toEqual(['a!', 'b!']);
  });
});

describe('per-label prompts', () => {
  it('keeps the name as the label and the described prompts as its alternatives', () => {
    const parsed = parseLabels('cat: a tabby cat | a kitten\ndog');
    expect(parsed.labels).toEqual(['cat', 'dog']);
    expect(parsed.alternatives).toEqual([['a tabby cat', 'a kitten'], ['dog']]);
  });
  it('names a label by its first prompt when no name is given, and ignores an empty description', () => {
    expect(parseLabels('cat | kitten\nbird:').alternatives).toEqual([['cat', 'kitten'], ['bird']]);
    expect(parseLabels('cat | kitten\nbird:').labels).toEqual(['cat', 'bird']);
    expect(parseLabels('16:9').labels).toEqual(['16:9']);
  });
  it('merges duplicates by name, keeping the first one\'s prompts', () => {
    const parsed = parseLabels('Cat: a tabby\ncat: a lion');
    expect(parsed.labels).toEqual(['Cat']);
    expect(parsed.alternatives).toEqual([['a tabby']]);
    expect(parsed.mergedDuplicates).toBe(1);
  });
});

describe('templates', () => {
  it('reads one template per line, trimmed, without blanks or repeats', () => {
    expect(parseTemplates(' a photo of a {}.\n\nart of the {}.\na photo of a {}.')).toEqual(['a photo of a {}.', 'art of the {}.']);
  });
  it('keeps Whisper spacing when asked, and gives one empty template for an empty box', () => {
    expect(parseTemplates(' {}\n [{}]', { keepSpacing: true })).toEqual([' {}', ' [{}]']);
    expect(parseTemplates('')).toEqual(['']);
  });
  it('fills every template with every alternative, per label', () => {
    expect(buildClassPrompts(['a {}.', 'the {}!'], [['cat', 'kitten'], ['dog']])).toEqual([
      ['a cat.', 'a kitten.', 'the cat!', 'the kitten!'],
      ['a dog.', 'the dog!'],
    ]);
  });
});
