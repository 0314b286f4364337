/** A generated dataset of shape images in ImageFolder layout (`<root>/shapes/<class>/<file>.png`). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { rng, shapeImage, type Colour, type Shape } from './shapes';

export const CLASSES: ReadonlyArray<readonly [Colour, Shape]> = [
  ['red', 'circle'],
  ['blue', 'cross'],
  ['green', 'triangle'],
  ['yellow', 'square'],
  ['purple', 'star'],
  ['orange', 'circle'],
];
export const IMAGES_PER_CLASS = 10;
/** Ten colour + shape classes, for the large generated folders (the lab's scale test, the soak bench): the six above and four more. */
export const TEN_CLASSES: ReadonlyArray<readonly [Colour, Shape]> = [
  ...CLASSES,
  ['red', 'square'],
  ['blue', 'circle'],
  ['green', 'star'],
  ['purple', 'cross'],
];
/** Labels with no folder of their own: some mislabelled pictures show these. */
export const DISTRACTORS = ['red square', 'blue circle'];

/**
 * Label noise, as real datasets have: these files sit in a class folder but show something else
 * (folder label → what is drawn, by image index), so a correct model still disagrees with the truth.
 */
const MISFILED: Readonly<Record<string, Readonly<Record<number, readonly [Colour, Shape]>>>> = {
  'red circle': { 8: ['red', 'square'], 9: ['red', 'square'] },
  'blue cross': { 9: ['blue', 'circle'] },
  'green triangle': { 9: ['yellow', 'square'] },
};

/** 60 images under `root/shapes/<class>/`, varied in size and background, a few misfiled. */
export function writeImageFolder(root: string): Map<string, string> {
  const random = rng(20_261_127);
  const truthByName = new Map<string, string>();
  for (const [colour, shape] of CLASSES) {
    const label = `${colour} ${shape}`;
    mkdirSync(join(root, 'shapes', label), { recursive: true });
    for (let index = 0; index < IMAGES_PER_CLASS; index++) {
      const name = `${colour}-${shape}-${index}.png`;
      const [drawnColour, drawnShape] = MISFILED[label]?.[index] ?? [colour, shape];
      const image = shapeImage(name, {
        colour: drawnColour,
        shape: drawnShape,
        width: 96 + Math.floor(random() * 96),
        height: 96 + Math.floor(random() * 96),
        size: 0.15 + random() * 0.7,
        background: random() < 0.5 ? { kind: 'noise', min: 120, max: 255 } : { kind: 'plain', rgb: [255, 255, 255] },
        seed: Math.floor(random() * 1e9),
      });
      writeFileSync(join(root, 'shapes', label, name), image.buffer);
      truthByName.set(name, label);
    }
  }
  return truthByName;
}

/**
 * `imagesPerClass` small, distinct pictures per class in ImageFolder layout (`root/<class>/<file>.png`),
 * drawn from `random`; returns their total size in bytes.
 */
export function writeDistinctShapeFolder(
  root: string,
  options: { classes: ReadonlyArray<readonly [Colour, Shape]>; imagesPerClass: number; sidePx: number; random: () => number },
): number {
  const { classes, imagesPerClass, sidePx, random } = options;
  const digits = String(imagesPerClass).length;
  let bytes = 0;
  for (const [colour, shape] of classes) {
    const label = `${colour} ${shape}`;
    mkdirSync(join(root, label), { recursive: true });
    for (let index = 0; index < imagesPerClass; index++) {
      const name = `${colour}-${shape}-${String(index).padStart(digits, '0')}.png`;
      const image = shapeImage(name, {
        colour,
        shape,
        width: sidePx,
        height: sidePx,
        size: 0.45 + random() * 0.4,
        dx: (random() - 0.5) * 0.1,
        dy: (random() - 0.5) * 0.1,
        rotation: Math.round((random() - 0.5) * 30),
        // A faint noise background keeps every file distinct (each is embedded once) and small.
        background: { kind: 'noise', min: 240, max: 255 },
        seed: Math.floor(random() * 1e9),
      });
      writeFileSync(join(root, label, name), image.buffer);
      bytes += image.buffer.length;
    }
  }
  return bytes;
}

/** Writes pictures as an ImageFolder (`root/<label>/<name>`), the layout a folder pick turns into items with truth. */
export function writeLabelledImages(root: string, images: ReadonlyArray<{ label: string; name: string; buffer: Uint8Array }>): void {
  for (const image of images) {
    const file = join(root, image.label, image.name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, image.buffer);
  }
}
