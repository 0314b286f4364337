/** Deterministic synthetic test pictures: one solid coloured shape on a plain background, as PNG. */
import { seededRandom } from '../shared/random';

const COLOURS = ['#e53935', '#fb8c00', '#fdd835', '#43a047', '#1e88e5', '#8e24aa'] as const;
const SHAPES = ['circle', 'square', 'triangle', 'star', 'cross'] as const;

function pick<T>(random: () => number, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)] as T;
}

function drawShape(ctx: OffscreenCanvasRenderingContext2D, shape: (typeof SHAPES)[number], cx: number, cy: number, r: number): void {
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

/** `count` PNG blobs of side × side px, each different (shape, colour, position, size, background). */
export async function makeShapeImages(count: number, side: number, seed: number): Promise<Blob[]> {
  const random = seededRandom(seed);
  const blobs: Blob[] = [];
  for (let i = 0; i < count; i++) {
    const canvas = new OffscreenCanvas(side, side);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('No 2D context on OffscreenCanvas');
    const grey = Math.floor(200 + random() * 55);
    ctx.fillStyle = `rgb(${grey}, ${grey}, ${grey})`;
    ctx.fillRect(0, 0, side, side);
    ctx.fillStyle = pick(random, COLOURS);
    const r = side * (0.2 + random() * 0.15);
    const cx = r + random() * (side - 2 * r);
    const cy = r + random() * (side - 2 * r);
    drawShape(ctx, pick(random, SHAPES), cx, cy, r);
    blobs.push(await canvas.convertToBlob({ type: 'image/png' }));
  }
  return blobs;
}
