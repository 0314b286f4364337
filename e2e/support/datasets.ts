/** The picture sets of classify.spec.ts (kept here so their accuracy can be measured offline too). */
import { randomShapeSet, shapeImage, type ShapeImage } from './shapes';

const LIGHT = { kind: 'plain', rgb: [255, 255, 255] } as const;
const OFF_WHITE = { kind: 'plain', rgb: [244, 244, 240] } as const;

/** Ten clean pictures covering every colour and every shape, in several aspect ratios. */
export const CLEAN_SET: ShapeImage[] = [
  shapeImage('clean-red-circle.png', { shape: 'circle', colour: 'red', width: 256, height: 256, size: 0.7, background: LIGHT }),
  shapeImage('clean-orange-square.png', { shape: 'square', colour: 'orange', width: 320, height: 240, size: 0.6, background: OFF_WHITE }),
  shapeImage('clean-yellow-triangle.png', { shape: 'triangle', colour: 'yellow', width: 240, height: 320, size: 0.8, background: LIGHT }),
  shapeImage('clean-green-star.png', { shape: 'star', colour: 'green', width: 300, height: 300, size: 0.85, background: LIGHT }),
  shapeImage('clean-blue-cross.png', { shape: 'cross', colour: 'blue', width: 400, height: 300, size: 0.7, background: OFF_WHITE }),
  shapeImage('clean-purple-circle.png', { shape: 'circle', colour: 'purple', width: 300, height: 400, size: 0.55, dx: 0.1, background: LIGHT }),
  shapeImage('clean-red-star.png', { shape: 'star', colour: 'red', width: 480, height: 320, size: 0.75, background: LIGHT }),
  shapeImage('clean-green-triangle.png', { shape: 'triangle', colour: 'green', width: 224, height: 224, size: 0.65, dy: -0.08, background: OFF_WHITE }),
  shapeImage('clean-yellow-cross.png', { shape: 'cross', colour: 'yellow', width: 256, height: 384, size: 0.8, background: LIGHT }),
  shapeImage('clean-blue-square.png', { shape: 'square', colour: 'blue', width: 350, height: 260, size: 0.45, dx: -0.12, background: LIGHT }),
];

/** Ten harder ones: noisy backgrounds, small or large shapes, off-centre, slightly rotated. */
export const HARD_SET: ShapeImage[] = randomShapeSet(10, 20_260_611, {
  minSize: 0.3,
  maxSize: 0.9,
  noisy: 0.6,
  maxRotation: 15,
  prefix: 'hard',
});

