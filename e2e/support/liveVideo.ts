/**
 * A video for Chromium's fake camera (`--use-file-for-fake-video-capture`, which reads Y4M): shape
 * pictures from ./shapes.ts, each held for a few seconds, turned into YUV 4:2:0 by ffmpeg (from
 * apt) reading the raw RGBA frames on its stdin. Chromium loops the file, so the shapes come round
 * again in the same order. Written under e2e/.tmp/ (git-ignored), once per set of segments.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderShape, shapeLabel, type ShapeSpec } from './shapes';

const TMP_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '.tmp');

export interface VideoSegment {
  spec: Omit<ShapeSpec, 'width' | 'height'>;
  seconds: number;
}

export interface ShapeVideo {
  path: string;
  /** The "{colour} {shape}" label of each segment, in playing order. */
  labels: string[];
  /** How long each segment is held (s), in playing order. */
  segmentSeconds: number[];
  width: number;
  height: number;
  fps: number;
}

export async function shapeVideo(segments: readonly VideoSegment[], { width = 320, height = 240, fps = 10 } = {}): Promise<ShapeVideo> {
  const key = createHash('sha256').update(JSON.stringify({ segments, width, height, fps })).digest('hex').slice(0, 16);
  const path = join(TMP_DIR, `live-shapes-${key}.y4m`);
  const labels = segments.map((segment) => shapeLabel(segment.spec));
  const segmentSeconds = segments.map((segment) => Math.round(segment.seconds * fps) / fps);
  if (existsSync(path)) return { path, labels, segmentSeconds, width, height, fps };
  mkdirSync(TMP_DIR, { recursive: true });
  const partial = `${path}.partial`;
  const ffmpeg = spawn(
    'ffmpeg',
    ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${width}x${height}`, '-r', String(fps), '-i', '-', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', partial],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  ffmpeg.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve, reject) => {
    ffmpeg.on('error', reject);
    ffmpeg.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}: ${stderr}`))));
  });
  for (const segment of segments) {
    const frame = Buffer.from(renderShape({ ...segment.spec, width, height }).data);
    for (let i = 0; i < Math.round(segment.seconds * fps); i++) {
      if (!ffmpeg.stdin.write(frame)) await new Promise((resolve) => ffmpeg.stdin.once('drain', resolve));
    }
  }
  ffmpeg.stdin.end();
  await exited;
  renameSync(partial, path);
  return { path, labels, segmentSeconds, width, height, fps };
}

/** Chromium's fake camera playing `path`, with a permission prompt that always says yes. */
export function fakeCameraArgs(path: string): string[] {
  return ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${path}`];
}
