/**
 * Test images: one solid, saturated shape on a plain or noisy background, rendered in Node
 * (3×3 supersampled for smooth edges) and encoded as PNG, ready for `setInputFiles`.
 *
 * The shape always stays inside the centred square of side min(width, height) — the region a CLIP
 * preprocessor keeps after "resize shortest side + centre crop" — so wide or tall pictures are
 * still fair to classify whatever crop the app uses.
 */
import { seededRandom } from '../../src/lib/random';
import { encodePng } from './png';

export const COLOURS = {
  red: [0xe1, 0x1d, 0x1d],
  orange: [0xf9, 0x73, 0x16],
  yellow: [0xfa, 0xcc, 0x15],
  green: [0x16, 0xa3, 0x4a],
  blue: [0x25, 0x63, 0xeb],
  purple: [0x7e, 0x22, 0xce],
} as const satisfies Record<string, readonly [number, number, number]>;
export type Colour = keyof typeof COLOURS;
export const COLOUR_NAMES = Object.keys(COLOURS) as Colour[];

export const SHAPES = ['circle', 'square', 'triangle', 'star', 'cross'] as const;
export type Shape = (typeof SHAPES)[number];

/** All 30 "{colour} {shape}" labels, colour-major. */
export const ALL_LABELS: readonly string[] = COLOUR_NAMES.flatMap((c) => SHAPES.map((s) => `${c} ${s}`));

export type Background =
  | { kind: 'plain'; rgb: readonly [number, number, number] }
  /** Independent grey noise per pixel, uniform in [min, max]. */
  | { kind: 'noise'; min: number; max: number };

export const WHITE: Background = { kind: 'plain', rgb: [255, 255, 255] };

export interface ShapeSpec {
  shape: Shape;
  colour: Colour;
  width: number;
  height: number;
  /** Extent of the shape as a fraction of min(width, height): 0.3–0.9 in the generated sets. */
  size: number;
  /** Offset of the shape's centre from the image centre, in units of min(width, height). */
  dx?: number;
  dy?: number;
  /** Clockwise rotation in degrees. */
  rotation?: number;
  background?: Background;
  /** Seed of the background noise. */
  seed?: number;
}

export interface ImageFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

export interface ShapeImage extends ImageFile {
  spec: ShapeSpec;
  /** The "{colour} {shape}" label that should rank first. */
  label: string;
  colour: Colour;
  shape: Shape;
}

export function shapeLabel(spec: Pick<ShapeSpec, 'colour' | 'shape'>): string {
  return `${spec.colour} ${spec.shape}`;
}

/** Deterministic PRNG, so every run draws the same pictures. */
export const rng = seededRandom;

type Point = readonly [number, number];

function insidePolygon(x: number, y: number, poly: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

// Shapes in unit coordinates: the shape spans [-1, 1] (y grows downwards), pointing up.
const TRIANGLE: Point[] = [
  [0, -0.95],
  [1, 0.8],
  [-1, 0.8],
];
const STAR: Point[] = Array.from({ length: 10 }, (_, i) => {
  const r = i % 2 === 0 ? 1 : 0.42;
  const a = -Math.PI / 2 + (i * Math.PI) / 5;
  return [r * Math.cos(a), r * Math.sin(a) + 0.1] as const;
});
const CROSS_HALF_THICKNESS = 0.3;

/** Unit-space geometry, shared with the SVG fixture. */
export const UNIT_POLYGONS = { triangle: TRIANGLE, star: STAR } as const;

function insideShape(shape: Shape, u: number, v: number): boolean {
  switch (shape) {
    case 'circle':
      return u * u + v * v <= 1;
    case 'square':
      return Math.abs(u) <= 0.88 && Math.abs(v) <= 0.88;
    case 'triangle':
      return insidePolygon(u, v, TRIANGLE);
    case 'star':
      return insidePolygon(u, v, STAR);
    case 'cross':
      return (
        (Math.abs(u) <= 1 && Math.abs(v) <= CROSS_HALF_THICKNESS) ||
        (Math.abs(u) <= CROSS_HALF_THICKNESS && Math.abs(v) <= 1)
      );
  }
}

export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Renders the spec to RGBA pixels (3×3 supersampled shape edges). */
export function renderShape(spec: ShapeSpec): RgbaImage {
  const { width, height } = spec;
  const data = new Uint8Array(width * height * 4);
  const side = Math.min(width, height);
  const radius = (spec.size * side) / 2;
  const cx = width / 2 + (spec.dx ?? 0) * side;
  const cy = height / 2 + (spec.dy ?? 0) * side;
  const theta = ((spec.rotation ?? 0) * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const fill = COLOURS[spec.colour];
  const background = spec.background ?? WHITE;
  const random = rng(spec.seed ?? 1);
  const SS = 3;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let bg: readonly [number, number, number];
      if (background.kind === 'plain') bg = background.rgb;
      else {
        const g = Math.round(background.min + random() * (background.max - background.min));
        bg = [g, g, g];
      }
      let hits = 0;
      for (let sy = 0; sy < SS; sy++) {
        for (let sx = 0; sx < SS; sx++) {
          const px = x + (sx + 0.5) / SS - cx;
          const py = y + (sy + 0.5) / SS - cy;
          // Rotate the sample back into the shape's frame.
          const u = (cos * px + sin * py) / radius;
          const v = (-sin * px + cos * py) / radius;
          if (insideShape(spec.shape, u, v)) hits++;
        }
      }
      const a = hits / (SS * SS);
      const o = (y * width + x) * 4;
      for (let c = 0; c < 3; c++) data[o + c] = Math.round(fill[c]! * a + bg[c]! * (1 - a));
      data[o + 3] = 255;
    }
  }
  return { width, height, data };
}

export function shapePng(spec: ShapeSpec): Buffer {
  const { width, height, data } = renderShape(spec);
  return encodePng(width, height, data, 4);
}

export function shapeImage(name: string, spec: ShapeSpec): ShapeImage {
  return {
    name,
    mimeType: 'image/png',
    buffer: shapePng(spec),
    spec,
    label: shapeLabel(spec),
    colour: spec.colour,
    shape: spec.shape,
  };
}

const SIZES: readonly (readonly [number, number])[] = [
  [224, 224],
  [320, 240],
  [240, 320],
  [400, 300],
  [480, 240],
  [256, 448],
  [300, 300],
];

export interface RandomSetOptions {
  /** Shape extent range, fraction of the shorter side. */
  minSize?: number;
  maxSize?: number;
  /** Fraction of images on a noisy background. */
  noisy?: number;
  /** Max absolute rotation in degrees. */
  maxRotation?: number;
  prefix?: string;
}

/**
 * `count` varied images: every (colour, shape) pair is drawn without repetition until all 30
 * have been used, sizes/aspects/offsets/backgrounds vary; the shape always lies inside the
 * centred square (see the file comment).
 */
export function randomShapeSet(count: number, seed: number, options: RandomSetOptions = {}): ShapeImage[] {
  const { minSize = 0.3, maxSize = 0.9, noisy = 0.3, maxRotation = 0, prefix = 'shape' } = options;
  const random = rng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  let pool: [Colour, Shape][] = [];
  const images: ShapeImage[] = [];
  for (let i = 0; i < count; i++) {
    if (pool.length === 0) pool = COLOUR_NAMES.flatMap((c) => SHAPES.map((s) => [c, s] as [Colour, Shape]));
    const [colour, shape] = pool.splice(Math.floor(random() * pool.length), 1)[0]!;
    const [width, height] = pick(SIZES);
    const size = minSize + random() * (maxSize - minSize);
    // Room left inside the centred square, minus a small margin.
    const slack = Math.max(0, (1 - size) / 2 - 0.03);
    const background: Background =
      random() < noisy
        ? { kind: 'noise', min: 150 + Math.floor(random() * 40), max: 255 }
        : { kind: 'plain', rgb: pick([[255, 255, 255], [245, 245, 245], [230, 230, 230]] as const) };
    const spec: ShapeSpec = {
      shape,
      colour,
      width,
      height,
      size,
      dx: (random() * 2 - 1) * slack,
      dy: (random() * 2 - 1) * slack,
      rotation: (random() * 2 - 1) * maxRotation,
      background,
      seed: Math.floor(random() * 1e9),
    };
    images.push(shapeImage(`${prefix}-${String(i).padStart(2, '0')}-${colour}-${shape}.png`, spec));
  }
  return images;
}

/** `setInputFiles` payloads (drops the test metadata). */
export function toFilePayloads(files: readonly ImageFile[]): { name: string; mimeType: string; buffer: Buffer }[] {
  return files.map(({ name, mimeType, buffer }) => ({ name, mimeType, buffer }));
}
