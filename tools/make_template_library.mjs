// Writes src/lib/templateLibrary.json, the prompt templates the prompt lab offers, from the
// project's shared copy of OpenAI's CLIP data (../shared/data, see its README.md):
//   imagenet80  the 80 templates of CLIP's ImageNet notebook (clip/imagenet.json)
//   kept7       the 7 of them the notebook kept after sequential forward selection (named in README.md)
//   perDataset  each dataset's `templates = [...]` list of clip/prompts.md, by its `## Name` heading
// Templates only (no class names), `{}` kept as the slot. Usage: node tools/make_template_library.mjs [--shared ../shared/data]
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './eval_common.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(parseArgs().shared ?? process.env.SHARED_DATA_DIR ?? path.join(repoRoot, '..', 'shared', 'data'));
const out = path.join(repoRoot, 'src', 'lib', 'templateLibrary.json');

/** `## Name` sections, each with the Python list `templates = [ 'a', 'b', ]` inside its code block. */
function perDatasetTemplates(markdown) {
  const result = {};
  let dataset = null;
  let inTemplates = false;
  for (const line of markdown.split('\n')) {
    const heading = /^## (.+)$/.exec(line);
    if (heading) {
      dataset = heading[1].trim();
      inTemplates = false;
      continue;
    }
    if (dataset && /^templates = \[\s*$/.test(line)) {
      inTemplates = true;
      result[dataset] = [];
      continue;
    }
    if (!inTemplates) continue;
    if (/^\]\s*$/.test(line)) {
      inTemplates = false;
      continue;
    }
    const entry = /^\s*'(.*)',\s*$/.exec(line);
    if (!entry) throw new Error(`prompts.md, ${dataset}: a template line that is not 'text',: ${JSON.stringify(line)}`);
    result[dataset].push(entry[1]);
  }
  return result;
}

/** The README names the 7 kept templates as a list of quoted strings in the sentence about the 7-template subset. */
function keptTemplates(readme, imagenet80) {
  const sentence = readme.split('\n').find((line) => line.includes('7-template subset'));
  if (!sentence) throw new Error('README.md has no sentence about the 7-template subset');
  const kept = [...sentence.matchAll(/"([^"]*\{\}[^"]*)"/g)].map((match) => match[1]);
  if (kept.length !== 7) throw new Error(`expected 7 kept templates in README.md, found ${kept.length}`);
  for (const template of kept) if (!imagenet80.includes(template)) throw new Error(`kept template ${template} is not one of the 80`);
  return kept;
}

const imagenet = JSON.parse(readFileSync(path.join(shared, 'clip', 'imagenet.json'), 'utf8'));
const imagenet80 = imagenet.templates;
if (!Array.isArray(imagenet80) || imagenet80.length !== 80) throw new Error('clip/imagenet.json: expected 80 templates');
const library = {
  imagenet80,
  kept7: keptTemplates(readFileSync(path.join(shared, 'README.md'), 'utf8'), imagenet80),
  perDataset: perDatasetTemplates(readFileSync(path.join(shared, 'clip', 'prompts.md'), 'utf8')),
};
writeFileSync(out, `${JSON.stringify(library, null, 2)}\n`);
console.log(`wrote ${path.relative(repoRoot, out)}: ${library.imagenet80.length} + ${library.kept7.length} templates, ${Object.keys(library.perDataset).length} datasets`);
