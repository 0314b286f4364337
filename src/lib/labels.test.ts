import { describe, expect, it } from 'vitest';
import { MAX_LABELS, MAX_LABEL_CHARS, buildPrompts, fillTemplate, parseLabels } from './labels';

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
