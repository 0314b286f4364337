/** Six shape images, one per label, that the built-in CLIP model ranks right, for the workspace specs. */
import type { PlaygroundPage } from '../pages/playground-page';
import { shapeImage } from './shapes';

export const BUILTIN_MODEL_ID_FOR_TESTS = 'builtin/clip-shapes';

export const SHAPE_SET = [
  shapeImage('ws-red-circle.png', { shape: 'circle', colour: 'red', width: 160, height: 160, size: 0.7 }),
  shapeImage('ws-blue-square.png', { shape: 'square', colour: 'blue', width: 160, height: 160, size: 0.6 }),
  shapeImage('ws-green-triangle.png', { shape: 'triangle', colour: 'green', width: 160, height: 160, size: 0.7 }),
  shapeImage('ws-yellow-star.png', { shape: 'star', colour: 'yellow', width: 160, height: 160, size: 0.8 }),
  shapeImage('ws-purple-cross.png', { shape: 'cross', colour: 'purple', width: 160, height: 160, size: 0.7 }),
  shapeImage('ws-orange-circle.png', { shape: 'circle', colour: 'orange', width: 160, height: 160, size: 0.7 }),
];

/** Adds the set and waits until every image is ranked against exactly `labels`. */
export async function addShapeSet(playground: PlaygroundPage, labels: readonly string[], images = SHAPE_SET): Promise<void> {
  await playground.addImages(images);
  await playground.waitForSettled(images.map((image) => image.name));
  for (const image of images) await playground.waitForPredictionLabels(image.name, labels);
}
