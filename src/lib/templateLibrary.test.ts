/**
 * The committed template library equals what OpenAI's CLIP data says, re-read here from the
 * project's shared copy with a parser of its own (not the tool's).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TEMPLATE_LIBRARY } from './templateLibrary';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHARED_DATA_CANDIDATES = [process.env.SHARED_DATA_DIR, join(REPO_ROOT, '..', 'shared', 'data'), '/work/shared/data'].filter(
  (dir): dir is string => !!dir,
);

function sharedText(relativePath: string): string {
  const found = SHARED_DATA_CANDIDATES.map((dir) => join(dir, relativePath)).find((path) => existsSync(path));
  if (!found) throw new Error(`${relativePath} is not in any shared data folder tried: ${SHARED_DATA_CANDIDATES.join(', ')}`);
  return readFileSync(found, 'utf8');
}

/** Every `## Name` section's `templates = [...]` block, its entries read as the Python string literals they are. */
function datasetsFromMarkdown(markdown: string): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const section of markdown.split(/^## /m).slice(1)) {
    const name = section.slice(0, section.indexOf('\n')).trim();
    const block = /templates = \[([\s\S]*?)\n\]/.exec(section);
    if (!block) continue;
    result[name] = [...block[1]!.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((match) => match[1]!);
  }
  return result;
}

describe('the template library', () => {
  it('holds the 80 ImageNet templates of the CLIP notebook, in order', () => {
    const imagenet = JSON.parse(sharedText('clip/imagenet.json')) as { templates: string[] };
    expect(TEMPLATE_LIBRARY.imagenet80).toEqual(imagenet.templates);
    expect(TEMPLATE_LIBRARY.imagenet80).toHaveLength(80);
  });

  it('keeps the 7 templates the shared README names, each one of the 80', () => {
    const readme = sharedText('README.md');
    const named = ['itap of a {}.', 'a bad photo of the {}.', 'a origami {}.', 'a photo of the large {}.', 'a {} in a video game.', 'art of the {}.', 'a photo of the small {}.'];
    for (const template of named) expect(readme).toContain(`"${template}"`);
    expect(TEMPLATE_LIBRARY.kept7).toEqual(named);
    for (const template of TEMPLATE_LIBRARY.kept7) expect(TEMPLATE_LIBRARY.imagenet80).toContain(template);
  });

  it("holds every dataset's templates of prompts.md, by name, with {} kept", () => {
    const expected = datasetsFromMarkdown(sharedText('clip/prompts.md'));
    expect(Object.keys(expected)).toHaveLength(26);
    expect(TEMPLATE_LIBRARY.perDataset).toEqual(expected);
    expect(TEMPLATE_LIBRARY.perDataset['CIFAR10']).toContain('a photo of a {}.');
    for (const templates of Object.values(TEMPLATE_LIBRARY.perDataset)) for (const template of templates) expect(template).toContain('{}');
  });
});
