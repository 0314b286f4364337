/**
 * The maths of a CLIP-style image processor (resize size, centre crop, rescale and normalise into a
 * channels-first float tensor), for the worker's native-resize path: the browser resizes, these
 * functions do the rest on the small picture. They follow transformers.js's ImageProcessor
 * (`get_resize_output_image_size`, `center_crop`, `rescale`, normalise, hwc → chw) operation for
 * operation, so on a picture already at the resize size they give the processor's numbers exactly
 * (the unit tests check that against transformers.js itself).
 */
import * as v from 'valibot';

/**
 * How a picture reaches the model's input size: 'exact' through transformers.js's processor (the
 * reference: its numbers are the ones checked against onnxruntime-node), 'native' drawn at that size
 * by the browser's own high-quality resize (faster; slightly different pixels, so its embeddings
 * are cached apart).
 */
export type ImageResizeMode = 'exact' | 'native';

export const IMAGE_RESIZE_MODES: readonly ImageResizeMode[] = ['exact', 'native'];

/** `size` of a preprocessor_config.json: a number, `{ shortest_edge[, longest_edge] }` or `{ height, width }`. */
export type ResizeRule =
  | { kind: 'shortestEdge'; shortestEdge: number; longestEdge: number | null }
  | { kind: 'fixed'; width: number; height: number };

export interface PixelNormalization {
  /** Applied first (transformers.js multiplies the pixel by it in float32). */
  rescaleFactor: number | null;
  /** Per channel (R, G, B), applied after the rescale; null when the config says do_normalize: false. */
  mean: readonly [number, number, number] | null;
  std: readonly [number, number, number] | null;
}

/** Everything the native path needs from the config; null fields mean the step is off. */
export interface PixelPlan {
  resize: ResizeRule | null;
  crop: { width: number; height: number } | null;
  normalization: PixelNormalization;
}

const positive = v.pipe(v.number(), v.integer(), v.minValue(1));
const triple = v.union([v.tuple([v.number(), v.number(), v.number()]), v.number()]);
const sizeSchema = v.union([
  positive,
  v.object({ shortest_edge: positive, longest_edge: v.optional(positive) }),
  v.object({ height: positive, width: positive }),
]);
/** A step of other processors that this plan does not model: absent, null or false. */
const stepOff = v.optional(v.nullable(v.literal(false)));
/** A setting of other processors that this plan does not model: absent or null. */
const settingAbsent = v.optional(v.null());
/** A config that asks for one of the steps the plan does not model fails this check and takes the processor's own path. */
const configSchema = v.object({
  do_resize: v.optional(v.boolean(), true),
  size: v.optional(sizeSchema),
  max_size: v.optional(positive),
  do_center_crop: v.optional(v.boolean(), false),
  crop_size: v.optional(v.union([positive, v.object({ height: positive, width: positive })])),
  do_rescale: v.optional(v.boolean(), true),
  rescale_factor: v.optional(v.number(), 1 / 255),
  do_normalize: v.optional(v.boolean(), false),
  image_mean: v.optional(triple),
  image_std: v.optional(triple),
  do_convert_rgb: v.optional(v.boolean(), true),
  do_pad: stepOff,
  do_thumbnail: stepOff,
  do_crop_margin: stepOff,
  do_flip_channel_order: stepOff,
  keep_aspect_ratio: stepOff,
  do_convert_grayscale: stepOff,
  size_divisibility: settingAbsent,
  pad_size: settingAbsent,
});

function asTriple(value: number | readonly [number, number, number]): readonly [number, number, number] {
  return typeof value === 'number' ? [value, value, value] : value;
}

/**
 * The plan of a CLIP/SigLIP-style preprocessor_config.json, or null if it asks for a step this
 * module doesn't do, or would leave pictures at different sizes (no crop and no fixed size).
 */
export function pixelPlanFromConfig(config: unknown): PixelPlan | null {
  const parsed = v.safeParse(configSchema, config);
  if (!parsed.success) return null;
  const c = parsed.output;
  if (!c.do_convert_rgb) return null;
  let resize: ResizeRule | null = null;
  if (c.do_resize) {
    const size = c.size;
    if (size === undefined) return null;
    if (typeof size === 'number') resize = { kind: 'shortestEdge', shortestEdge: size, longestEdge: c.max_size ?? size };
    else if ('shortest_edge' in size) resize = { kind: 'shortestEdge', shortestEdge: size.shortest_edge, longestEdge: size.longest_edge ?? null };
    else resize = { kind: 'fixed', width: size.width, height: size.height };
  }
  let crop: PixelPlan['crop'] = null;
  if (c.do_center_crop) {
    if (c.crop_size === undefined) return null;
    crop = typeof c.crop_size === 'number' ? { width: c.crop_size, height: c.crop_size } : { width: c.crop_size.width, height: c.crop_size.height };
  }
  // One tensor holds the whole batch, so every picture must come out at one size: without a crop or
  // a fixed size, a shortest-edge resize (or none) keeps each picture's aspect ratio.
  if (!crop && resize?.kind !== 'fixed') return null;
  let mean: PixelNormalization['mean'] = null;
  let std: PixelNormalization['std'] = null;
  if (c.do_normalize) {
    if (c.image_mean === undefined || c.image_std === undefined) return null;
    mean = asTriple(c.image_mean);
    std = asTriple(c.image_std);
  }
  return { resize, crop, normalization: { rescaleFactor: c.do_rescale ? c.rescale_factor : null, mean, std } };
}

/** The processor's resize size for a source picture (transformers.js `get_resize_output_image_size`). */
export function resizedSize(rule: ResizeRule | null, sourceWidth: number, sourceHeight: number): { width: number; height: number } {
  if (!rule) return { width: sourceWidth, height: sourceHeight };
  if (rule.kind === 'fixed') return { width: rule.width, height: rule.height };
  const shortFactor = Math.max(rule.shortestEdge / sourceWidth, rule.shortestEdge / sourceHeight);
  const width = sourceWidth * shortFactor;
  const height = sourceHeight * shortFactor;
  const longFactor = rule.longestEdge === null ? 1 : Math.min(rule.longestEdge / width, rule.longestEdge / height);
  // transformers.js rounds to 2 decimals first "to avoid floating point precision issues", then floors.
  return { width: Math.floor(Number((width * longFactor).toFixed(2))), height: Math.floor(Number((height * longFactor).toFixed(2))) };
}

/**
 * Where the centre crop starts in the resized picture (negative: the crop is larger and the picture
 * sits inside it, padded). Whole pixels, as Python's CLIPImageProcessor and transformers.js in Node take
 * (the processor in a browser draws at a half-pixel offset when the difference is odd).
 */
export function centerCropOrigin(width: number, height: number, cropWidth: number, cropHeight: number): { left: number; top: number } {
  return { left: Math.floor((width - cropWidth) / 2), top: Math.floor((height - cropHeight) / 2) };
}

/**
 * How the native path draws one picture: the model's input size, and the rectangle the resized
 * picture covers in it (x, y negative where the centre crop cuts into the picture). Where the crop
 * is larger than the picture the rectangle leaves a border, which the processor's centre crop pads
 * with black (transparent black, its alpha then dropped); transparency inside the picture is
 * flattened onto white, as the exact path's decode does.
 */
export interface NativeDraw {
  inputWidth: number;
  inputHeight: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export function nativeDrawOf(plan: PixelPlan, sourceWidth: number, sourceHeight: number): NativeDraw {
  const resized = resizedSize(plan.resize, sourceWidth, sourceHeight);
  const inputWidth = plan.crop?.width ?? resized.width;
  const inputHeight = plan.crop?.height ?? resized.height;
  const { left, top } = plan.crop ? centerCropOrigin(resized.width, resized.height, inputWidth, inputHeight) : { left: 0, top: 0 };
  return { inputWidth, inputHeight, x: 0 - left, y: 0 - top, width: resized.width, height: resized.height };
}

/** The RGB the native path's input holds outside the picture (the processor's centre-crop padding). */
export const CROP_PADDING_RGB = [0, 0, 0] as const;

/** Floats per picture of the model's input: 3 channels × height × width. */
export function pixelValuesLength(width: number, height: number): number {
  return 3 * width * height;
}

/**
 * Writes one RGBA picture (row-major, 4 bytes a pixel, alpha ignored) as the model's input into
 * `target` at `offset`: channels first (R plane, G plane, B plane), each value
 * `(value × rescaleFactor − mean[c]) / std[c]`, in the processor's order of float32 roundings.
 */
export function writePixelValues(
  target: Float32Array,
  offset: number,
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  normalization: PixelNormalization,
): void {
  const plane = width * height;
  if (rgba.length !== plane * 4) throw new Error(`expected ${plane * 4} RGBA bytes for ${width}×${height}, got ${rgba.length}`);
  if (offset < 0 || offset + 3 * plane > target.length) throw new Error('the picture does not fit in the target at this offset');
  const { rescaleFactor, mean, std } = normalization;
  for (let channel = 0; channel < 3; channel++) {
    const base = offset + channel * plane;
    const m = mean?.[channel] ?? 0;
    const s = std?.[channel] ?? 1;
    for (let pixel = 0; pixel < plane; pixel++) {
      // The processor stores the rescaled value in a Float32Array before normalising it.
      const rescaled = rescaleFactor === null ? rgba[pixel * 4 + channel]! : Math.fround(rescaleFactor * rgba[pixel * 4 + channel]!);
      target[base + pixel] = mean ? (rescaled - m) / s : rescaled;
    }
  }
}
