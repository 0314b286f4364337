/**
 * "Nothing leaves your device": one session that does everything — pictures dropped in, a folder
 * with ground truth, review decisions, every export, a share link made and opened, a grid search,
 * a few-shot head, live camera mode with that head (frames from a fake camera, one captured), a
 * recording and live listening from the (fake) microphone (one window captured) — with both models downloaded from a
 * configured model host (the Hub mimic, `?hub=`). Every request is recorded four ways:
 *
 *   - the browser's own events (Playwright `request` on the context: pages, workers, service workers),
 *   - Chromium's NetLog (`--log-net-log`): the network stack's record of every URL request, header
 *     line and TCP connection, including what Playwright does not report (CORS preflights),
 *   - server-side, by a recording proxy in front of the preview server (the app's origin) and one in
 *     front of the Hub mimic, plus the Hub mimic's own request log.
 *
 * Then: only the app's origin and the model host (and a host it redirects to) are contacted; only GET
 * (HEAD allowed for model files, as the Hub's own clients probe sizes); no request has a body; every URL
 * is a file of the build or a model file under /{org}/{name}/resolve/; and no URL or header carries a
 * label, file name, folder name, the share link's payload or a piece of the media.
 */
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Request } from '@playwright/test';
import { AudioPage, BUILTIN_WHISPER_ID } from './pages/audio-page';
import { LabPage } from './pages/lab-page';
import { LiveCameraPage } from './pages/live-camera-page';
import { LiveMicrophonePage } from './pages/live-microphone-page';
import { PlaygroundPage } from './pages/playground-page';
import { ReviewPage } from './pages/review-page';
import { WorkspacePage, type ExportButton } from './pages/workspace-page';
import { AUDIO_FIXTURES_DIR } from './support/audio-fixtures';
import { CHROMIUM_ARGS, CHROMIUM_PATH, fakeMicrophoneArgs } from './support/chromium';
import { BUILTIN_MODEL_DIR, HubServer, MODELS_ROOT, REPO_ROOT } from './support/hub-server';
import { fakeCameraArgs, shapeVideo } from './support/liveVideo';
import { readNetLog } from './support/netlog';
import { RecordingProxy } from './support/recording-proxy';
import { shapeImage, type Colour, type Shape, type ShapeImage } from './support/shapes';
import { test, expect } from './support/test';

/** Distinctive strings: if any of them shows up in a request, something leaked. */
const SECRET = 'zq-secret-label-7f3a';
const FOLDER = 'zq-private-folder-52c1';
const CLASSES: ReadonlyArray<readonly [Colour, Shape]> = [
  ['red', 'circle'],
  ['blue', 'cross'],
  ['green', 'triangle'],
];
const LABELS = CLASSES.map(([colour, shape]) => `${colour} ${shape} ${SECRET}`);
const PER_CLASS = 4;
const AUDIO_LABELS = ['up', 'down', `left ${SECRET}`];
const IMAGE_MODEL = 'zq-org/clip-shapes';
const AUDIO_MODEL = 'zq-org/whisper-words';
const PANEL_EXPORTS: readonly ExportButton[] = ['export-csv', 'export-jsonl', 'export-labelstudio', 'export-labelstudio-config', 'export-imagefolder', 'export-project'];
const DIST_DIR = join(REPO_ROOT, process.env.ZSP_DIST_DIR ?? 'dist');
/** Live mode's first results, on a CI machine running the rest of the suite's browser too. */
const LIVE_TIMEOUT_MS = 60_000;
const RESOLVE_PATH = /^\/([^/]+)\/([^/]+)\/resolve\/[^/]+\/[^?]+$/;

/** `/`-rooted paths of every file in the build. */
function builtFiles(dir: string): Set<string> {
  const files = new Set<string>();
  const walk = (at: string): void => {
    for (const entry of readdirSync(at)) {
      const path = join(at, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.add(`/${relative(dir, path).split(sep).join('/')}`);
    }
  };
  walk(dir);
  return files;
}

/** The class folders, ImageFolder layout: `<FOLDER>/<label>/zq-private-photo-<class>-<i>.png`. */
function writeFolder(root: string): ShapeImage[] {
  const images: ShapeImage[] = [];
  for (const [c, [colour, shape]] of CLASSES.entries()) {
    const dir = join(root, FOLDER, LABELS[c]!);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < PER_CLASS; i++) {
      const image = shapeImage(`zq-private-photo-${c}${i}.png`, { colour, shape, width: 96 + 8 * i, height: 96, size: 0.6, seed: 7 * c + i });
      writeFileSync(join(dir, image.name), image.buffer);
      images.push(image);
    }
  }
  return images;
}

interface SeenRequest {
  url: string;
  method: string;
  resourceType: string;
  from: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

function describe(requests: readonly { method: string; url: string }[]): string {
  return requests.map((r) => `${r.method} ${r.url}`).join('\n');
}

test('a whole session contacts only the app and the model host, with GETs for their files, and sends no label, name or media', async ({ playwright }, testInfo) => {
  const hub = await HubServer.start({ [IMAGE_MODEL]: BUILTIN_MODEL_DIR, [AUDIO_MODEL]: join(MODELS_ROOT, BUILTIN_WHISPER_ID) });
  const hubProxy = await RecordingProxy.start(hub.url);
  const appProxy = await RecordingProxy.start(testInfo.project.use.baseURL!);
  const netLogPath = testInfo.outputPath('netlog.json');
  // The fake camera shows two of the session's classes in turn (live mode ranks them with the head).
  const video = await shapeVideo(
    [
      { spec: { shape: 'circle', colour: 'red', size: 0.7 }, seconds: 2 },
      { spec: { shape: 'cross', colour: 'blue', size: 0.7 }, seconds: 2 },
    ],
    { width: 160, height: 120, fps: 10 },
  );
  const microphoneFile = join(AUDIO_FIXTURES_DIR, 'mic-up.wav');
  const browser = await playwright.chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, ...fakeMicrophoneArgs(microphoneFile), ...fakeCameraArgs(video.path), `--log-net-log=${netLogPath}`],
  });
  const seen: SeenRequest[] = [];
  const pending: Promise<void>[] = [];
  const folderImages = writeFolder(testInfo.outputPath('data'));
  const dropped = [
    shapeImage('zq-private-photo-91.png', { colour: 'red', shape: 'circle', width: 128, height: 128, size: 0.7 }),
    shapeImage('zq-private-photo-92.png', { colour: 'blue', shape: 'cross', width: 128, height: 128, size: 0.7 }),
  ];
  const hubUrl = `${hubProxy.origin}/`;
  let shareLink: string | undefined;
  try {
    // Service workers run as they would for a user (the suite's default may block them).
    const context = await browser.newContext({ baseURL: appProxy.origin, serviceWorkers: 'allow', acceptDownloads: true });
    const record = (request: Request): void => {
      const entry: SeenRequest = {
        url: request.url(),
        method: request.method(),
        resourceType: request.resourceType(),
        from: request.serviceWorker()?.url() ?? safeFrameUrl(request),
        headers: request.headers(),
        body: request.postDataBuffer(),
      };
      seen.push(entry);
      pending.push(
        request.allHeaders().then(
          (headers) => void (entry.headers = headers),
          () => undefined,
        ),
      );
    };
    context.on('request', record);

    // Images: the model from the host, labels typed in (not in the address), pictures dropped, a folder with truth.
    const page = await context.newPage();
    const playground = new PlaygroundPage(page);
    const workspace = new WorkspacePage(page);
    const review = new ReviewPage(page);
    const lab = new LabPage(page);
    await workspace.useDownloadsForSaving();
    await playground.open({ model: IMAGE_MODEL, hub: hubUrl, backend: 'wasm', debug: true });
    await playground.expectModelReady({ model: IMAGE_MODEL, backend: 'wasm' });
    await playground.setLabels(LABELS);
    await playground.addImages(dropped);
    await review.addFolder(join(testInfo.outputPath('data'), FOLDER));
    const names = [...dropped, ...folderImages].map((image) => image.name);
    await expect(playground.items).toHaveCount(names.length);
    await playground.waitForSettled(names);
    await expect(page.locator('[data-testid="item"][data-truth]')).toHaveCount(folderImages.length);

    // Review decisions, a grid search, a few-shot head.
    expect(await workspace.review([dropped[0]!.name], { kind: 'accept' })).toBe(1);
    expect(await workspace.review([dropped[1]!.name], { kind: 'pick', label: LABELS[1]! })).toBe(1);
    expect(await workspace.review([folderImages[0]!.name], { kind: 'reject' })).toBe(1);
    await lab.runGridSearch({ set: 'kept7' });
    await lab.trainFewShot('logistic');

    // Live camera mode, ranking with the head just trained; one frame captured into the workspace.
    const liveCamera = new LiveCameraPage(page);
    await liveCamera.startLive();
    await expect.poll(async () => (await liveCamera.debug())?.framesScored ?? 0, { timeout: LIVE_TIMEOUT_MS }).toBeGreaterThan(5);
    await liveCamera.captureButton.click();
    await expect(playground.items).toHaveCount(names.length + 1);
    await liveCamera.stopButton.click();
    await expect(liveCamera.view).toHaveCount(0);

    // Every export: the panel's six, the experiments table's two, the head.
    const downloads: { fileName: string; bytes: Buffer }[] = [];
    for (const button of PANEL_EXPORTS) downloads.push(await workspace.download(button));
    for (const button of ['export-experiments-csv', 'export-experiments-json', 'export-head'] as const) downloads.push(await lab.download(button));
    expect(downloads.map((d) => d.fileName)).toHaveLength(9);
    // The secrets really are in the session's data (so their absence from the network means something).
    const csv = downloads[0]!.bytes.toString('utf8');
    expect(csv).toContain(dropped[0]!.name);
    expect(csv).toContain(SECRET);

    // A share link with examples, made and opened in another tab.
    shareLink = await workspace.makeShareLink({ examples: true });
    const opened = new PlaygroundPage(await context.newPage());
    const link = new URL(shareLink);
    link.searchParams.set('backend', 'wasm');
    link.searchParams.set('hub', hubUrl);
    await opened.page.goto(link.href);
    await opened.expectModelReady({ model: IMAGE_MODEL });
    await expect(opened.items).not.toHaveCount(0);
    const shared = await opened.items.evaluateAll((items) => items.map((item) => item.getAttribute('data-name') ?? ''));
    await opened.waitForSettled(shared);
    await opened.page.close();

    // A recording from the microphone, scored by the audio model from the host.
    const audio = new AudioPage(await context.newPage());
    await audio.open({ model: AUDIO_MODEL, hub: hubUrl, backend: 'wasm', debug: true });
    await audio.expectModelReady({ model: AUDIO_MODEL, backend: 'wasm' });
    await audio.setLabels(AUDIO_LABELS);
    await audio.record(1);
    const recording = audio.items.first();
    await expect(recording).toHaveAttribute('data-name', /^Recording 1/);
    const recordingName = (await recording.getAttribute('data-name'))!;
    await audio.expectItemState(recordingName, 'done');
    await audio.waitForPredictionLabels(recordingName, AUDIO_LABELS);

    // Live listening: windows scored (with transcripts), the last seconds captured as a clip.
    const liveMicrophone = new LiveMicrophonePage(audio.page);
    await liveMicrophone.listen();
    await expect.poll(async () => (await liveMicrophone.counters())?.windowsScored ?? 0, { timeout: LIVE_TIMEOUT_MS }).toBeGreaterThan(1);
    await liveMicrophone.captureButton.click();
    await expect(audio.items).toHaveCount(2);
    await liveMicrophone.stopButton.click();
    await expect(liveMicrophone.view).toHaveCount(0);

    await context.close();
  } finally {
    await browser.close();
    await Promise.all(pending);
    await appProxy.stop();
    await hubProxy.stop();
    await hub.stop();
  }

  const netLog = readNetLog(netLogPath);
  const requestReport = [
    `browser events (${seen.length}):`,
    ...seen.map((r) => `${r.method} ${r.url} [${r.resourceType}${r.from ? ` from ${r.from}` : ''}]`),
    `\nnetlog (${netLog.requests.length}):`,
    describe(netLog.requests),
    `\nconnections: ${[...new Set(netLog.connections)].join(', ')}; hosts looked up: ${[...new Set(netLog.resolvedHosts)].join(', ')}`,
    `\napp server (${appProxy.records.length}):`,
    describe(appProxy.records),
    `\nmodel host (${hubProxy.records.length}):`,
    hubProxy.records.map((r) => `${r.method} ${r.url}${r.headers.range ? ` [Range: ${r.headers.range}]` : ''} -> ${r.status}`).join('\n'),
  ].join('\n');
  writeFileSync(testInfo.outputPath('requests.txt'), requestReport);
  await testInfo.attach('requests', { contentType: 'text/plain', body: requestReport });

  // ---- who was contacted -----------------------------------------------------------------------
  const appOrigin = appProxy.origin;
  const hubOrigin = hubProxy.origin;
  // The real Hub sends large files to its CDN with a redirect; a host the model host redirected to is part of it.
  const redirectOrigins = new Set(hubProxy.records.flatMap((r) => (r.location ? [new URL(r.location).origin] : [])));
  const allowedOrigins = new Set([appOrigin, hubOrigin, ...redirectOrigins]);
  // The browser's own traffic (autofill queries, sign-in, component updates: no page or worker
  // asked for it, Chromium notes 'not an origin') is not the app's; it is listed, and checked below
  // for the session's strings like everything else.
  const appInitiated = (r: { initiator?: string; url: string }): boolean =>
    (r.initiator !== undefined && r.initiator !== 'not an origin') || allowedOrigins.has(new URL(r.url).origin);
  const netRequests = netLog.requests.filter((r) => /^(https?|wss?):/.test(r.url));
  const browserOwn = netRequests.filter((r) => !appInitiated(r));
  if (browserOwn.length > 0) {
    testInfo.annotations.push({
      type: "the browser's own requests",
      description: [...new Set(browserOwn.map((r) => `${r.method} ${new URL(r.url).origin}${new URL(r.url).pathname}`))].join('\n'),
    });
  }
  const networkUrls = [...seen.map((r) => r.url), ...netRequests.filter(appInitiated).map((r) => r.url)].filter((url) => /^(https?|wss?):/.test(url));
  expect(networkUrls.length).toBeGreaterThan(0);
  expect(
    networkUrls.filter((url) => !allowedOrigins.has(new URL(url).origin)),
    'requests to a host other than the app and the model host',
  ).toEqual([]);
  expect(hub.requests.length, 'the models came from the configured host').toBeGreaterThan(0);
  expect(
    hub.requests.filter((r) => !['GET', 'HEAD'].includes(r.method) || !r.model || ![IMAGE_MODEL, AUDIO_MODEL].includes(r.model)).map((r) => `${r.method} ${r.url}`),
    "the Hub mimic's own log: GET or HEAD for the session's two models, nothing else",
  ).toEqual([]);
  const ports = new Set([...allowedOrigins].map((origin) => new URL(origin).port));
  expect(
    [...new Set(netLog.connections)].filter((address) => address.startsWith('127.0.0.1:') && !ports.has(address.split(':')[1]!)),
    'local servers other than the app and the model host',
  ).toEqual([]);

  // ---- what was asked for --------------------------------------------------------------------------
  const assets = builtFiles(DIST_DIR);
  const isAppFile = (path: string): boolean => path === '/' || assets.has(decodeURIComponent(path));
  const isModelFile = (path: string): boolean => {
    const match = RESOLVE_PATH.exec(decodeURIComponent(path));
    return match !== null && [IMAGE_MODEL, AUDIO_MODEL].includes(`${match[1]}/${match[2]}`);
  };
  const everyRequest = [
    ...seen.map((r) => ({ method: r.method, url: r.url, where: 'browser event' })),
    ...netRequests.filter(appInitiated).map((r) => ({ method: r.method, url: r.url, where: 'netlog' })),
    ...appProxy.records.map((r) => ({ method: r.method, url: `${appOrigin}${r.url}`, where: 'app server' })),
    ...hubProxy.records.map((r) => ({ method: r.method, url: `${hubOrigin}${r.url}`, where: 'model host' })),
  ].filter((r) => /^https?:/.test(r.url));
  const wrong = everyRequest.filter((r) => {
    const url = new URL(r.url);
    if (url.origin === appOrigin) return r.method !== 'GET' || !isAppFile(url.pathname);
    if (url.origin === hubOrigin) return !['GET', 'HEAD'].includes(r.method) || !isModelFile(url.pathname);
    // A redirect target: only GET/HEAD of what the model host pointed at.
    return !['GET', 'HEAD'].includes(r.method);
  });
  expect(wrong.map((r) => `${r.where}: ${r.method} ${r.url}`), 'GET for app files; GET or HEAD for model files; nothing else').toEqual([]);
  expect(seen.filter((r) => r.body !== null && r.body.length > 0).map((r) => `${r.method} ${r.url}`), 'requests with a body (browser)').toEqual([]);
  expect(
    [...appProxy.records, ...hubProxy.records].filter((r) => r.body.length > 0).map((r) => `${r.method} ${r.url}`),
    'requests with a body (servers)',
  ).toEqual([]);

  // ---- what the requests carried ---------------------------------------------------------------------
  const fragment = new URL(shareLink ?? 'about:blank').hash;
  expect(fragment.length).toBeGreaterThan(100);
  const media = [...dropped, ...folderImages].flatMap((image) => {
    // A run of the pixel data (past the PNG header), as raw bytes, hex and base64.
    const chunk = image.buffer.subarray(64, 112);
    return [chunk.toString('latin1'), chunk.toString('hex'), chunk.toString('base64'), chunk.toString('base64url')];
  });
  // The live sources' bytes: a run of the camera's raw video (past the Y4M headers) and of the microphone's samples.
  const streamed = [readFileSync(video.path).subarray(4096, 4144), readFileSync(microphoneFile).subarray(8000, 8048)].flatMap((chunk) => [
    chunk.toString('hex'),
    chunk.toString('base64'),
    chunk.toString('base64url'),
  ]);
  const secrets = [
    SECRET,
    encodeURIComponent(SECRET),
    FOLDER,
    'zq-private-photo',
    ...LABELS.map(encodeURIComponent),
    fragment.slice(6, 60),
    ...media,
    ...streamed,
  ];
  const carried: { where: string; text: string }[] = [
    ...seen.map((r) => ({ where: `browser: ${r.method} ${r.url}`, text: `${r.url.split('#')[0]}\n${Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}` })),
    // Chromium's URL objects keep the #fragment, which is never sent: the request line (in the
    // sent headers) and the servers' own records below are what went on the wire.
    { where: 'netlog request URLs', text: netLog.requests.map((r) => r.url.split('#')[0]).join('\n') },
    { where: 'netlog request headers', text: netLog.sentHeaders.join('\n') },
    ...[...appProxy.records, ...hubProxy.records].map((r) => ({
      where: `server: ${r.method} ${r.url}`,
      text: `${r.url}\n${Object.entries(r.headers).map(([k, v]) => `${k}: ${String(v)}`).join('\n')}\n${r.body.toString('latin1')}`,
    })),
  ];
  const leaks = carried.flatMap(({ where, text }) => {
    const decoded = safeDecode(text);
    return secrets.filter((secret) => text.includes(secret) || decoded.includes(secret)).map((secret) => `${where} carries ${JSON.stringify(secret.slice(0, 40))}`);
  });
  expect(leaks, 'requests that carry a label, a name, the share payload or media bytes').toEqual([]);
});

function safeFrameUrl(request: Request): string {
  try {
    return request.frame().url();
  } catch {
    return '';
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
