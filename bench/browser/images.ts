/** Deterministic synthetic test pictures: one solid coloured shape on a plain background, as PNG. */
import { seededRandom } from '../shared/random';

/** Fill colours by the names the built-in clip-shapes model was trained on (same order as its labels). */
const NAMED_COLOURS = { red: '#e53935', orange: '#fb8c00', yellow: '#fdd835', green: '#43a047', blue: '#1e88e5', purple: '#8e24aa' } as const;
const COLOURS = Object.values(NAMED_COLOURS);
const SHAPES = ['circle', 'square', 'triangle', 'star', 'cross'] as const;

export type ShapeColour = keyof typeof NAMED_COLOURS;
export type ShapeName = (typeof SHAPES)[number];
/** A class of pictures: one colour and one shape, named "<colour> <shape>" (a label the built-in model knows). */
export interface ShapeClass {
  colour: ShapeColour;
  shape: ShapeName;
}

function pick<T>(random: () => number, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)] as T;
}

function drawShape(ctx: OffscreenCanvasRenderingContext2D, shape: ShapeName, cx: number, cy: number, r: number): void {
  ctx.beginPath();
  switch (shape) {
    case 'circle':
      ctx.arc(cx, cy, r, 0, Math.PI * 2);
      break;
    case 'square':
      ctx.rect(cx - r, cy - r, 2 * r, 2 * r);
      break;
    case 'triangle':
      ctx.moveTo(cx, cy - r);
      ctx.lineTo(cx + r, cy + r);
      ctx.lineTo(cx - r, cy + r);
      ctx.closePath();
      break;
    case 'star':
      for (let i = 0; i < 10; i++) {
        const radius = i % 2 === 0 ? r : r * 0.45;
        const angle = -Math.PI / 2 + (i * Math.PI) / 5;
        ctx.lineTo(cx + radius * Math.cos(angle), cy + radius * Math.sin(angle));
      }
      ctx.closePath();
      break;
    case 'cross': {
      const w = r * 0.35;
      ctx.rect(cx - w, cy - r, 2 * w, 2 * r);
      ctx.rect(cx - r, cy - w, 2 * r, 2 * w);
      break;
    }
  }
  ctx.fill();
}

/** The shape's radius as a fraction of the side: at least `min`, below `min + spread`. */
export interface RadiusRange {
  min: number;
  spread: number;
}
const DEFAULT_RADIUS: RadiusRange = { min: 0.2, spread: 0.15 };

/** One picture: a grey background, then `fill` and `shape` chosen by the caller (who may draw them from `random`). */
async function drawPicture(
  side: number,
  random: () => number,
  fill: (random: () => number) => string,
  shape: (random: () => number) => ShapeName,
  radius: RadiusRange = DEFAULT_RADIUS,
): Promise<Blob> {
  const canvas = new OffscreenCanvas(side, side);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('No 2D context on OffscreenCanvas');
  const grey = Math.floor(200 + random() * 55);
  ctx.fillStyle = `rgb(${grey}, ${grey}, ${grey})`;
  ctx.fillRect(0, 0, side, side);
  ctx.fillStyle = fill(random);
  const r = side * (radius.min + random() * radius.spread);
  const cx = r + random() * (side - 2 * r);
  const cy = r + random() * (side - 2 * r);
  drawShape(ctx, shape(random), cx, cy, r);
  return canvas.convertToBlob({ type: 'image/png' });
}

/** `count` PNG blobs of side × side px, each different (shape, colour, position, size, background). */
export async function makeShapeImages(count: number, side: number, seed: number): Promise<Blob[]> {
  const random = seededRandom(seed);
  const blobs: Blob[] = [];
  for (let i = 0; i < count; i++) blobs.push(await drawPicture(side, random, (r) => pick(r, COLOURS), (r) => pick(r, SHAPES)));
  return blobs;
}

/**
 * `count` PNG blobs of side × side px with a known class: picture i is of `classes[i % classes.length]`
 * (so the classes are balanced), at a seeded random position, size (within `radius`) and background grey.
 */
export async function makeLabelledShapeImages(
  count: number,
  side: number,
  seed: number,
  classes: readonly ShapeClass[],
  radius: RadiusRange,
): Promise<Array<{ image: Blob; truth: number }>> {
  if (classes.length === 0) throw new Error('at least one class');
  const random = seededRandom(seed);
  const out: Array<{ image: Blob; truth: number }> = [];
  for (let i = 0; i < count; i++) {
    const truth = i % classes.length;
    const { colour, shape } = classes[truth] as ShapeClass;
    out.push({ image: await drawPicture(side, random, () => NAMED_COLOURS[colour], () => shape, radius), truth });
  }
  return out;
}
