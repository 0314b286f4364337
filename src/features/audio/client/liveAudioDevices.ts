import type { MediaDeviceWording } from '../../../lib/mediaDeviceErrors';
import { onTracksEnded, openMediaStream } from '../../live';
import type { CaptureCommand } from '../shared/liveCaptureProtocol';
import workletUrl from './liveCapture.worklet.ts?worker&url';

/** The parts of an AudioContext live mode uses (tests pass a fake). */
export type LiveAudioContext = Pick<AudioContext, 'sampleRate' | 'state' | 'resume' | 'suspend' | 'close' | 'onstatechange'>;
/** The open microphone, seen from the controller. */
export interface LiveStream {
  /** Stops every track (the browser's microphone indicator goes off); fires no onEnded. */
  stop(): void;
  /** Calls `listener` once when the device goes away on its own (unplugged); returns the unsubscribe. */
  onEnded(listener: () => void): () => void;
}

/** The capture worklet's port, seen from the page. */
export interface LiveCapturePort {
  post(command: CaptureCommand): void;
  /** Whatever the worklet posts, unparsed (the controller narrows it with parseCaptureEvent). */
  listen(listener: (data: unknown) => void): void;
  /** Disconnects the worklet and the stream's source; nothing arrives after it. */
  close(): void;
}

/** What live mode needs from the browser: the microphone, an AudioContext and the capture worklet. */
export interface LiveAudioDevices {
  /** getUserMedia and AudioWorklet are here (a secure context). */
  supported(): boolean;
  createContext(): LiveAudioContext;
  /** Rejects with an Error whose message tells the user what happened and what to do (denied, no microphone…). */
  openMicrophone(wording: MediaDeviceWording): Promise<LiveStream>;
  /** Loads the capture worklet into the context and connects the stream to it. */
  attach(context: LiveAudioContext, stream: LiveStream): Promise<LiveCapturePort>;
}

/** The browser's own devices (main.tsx passes these; the controller's tests pass fakes). */
export function browserLiveAudioDevices(): LiveAudioDevices {
  // The real objects behind the narrowed views above, so attach() can build the audio graph on them.
  const contexts = new WeakMap<LiveAudioContext, AudioContext>();
  const streams = new WeakMap<LiveStream, MediaStream>();
  return {
    // openMediaStream says when getUserMedia is missing; AudioWorklet is checked here.
    supported: () => typeof AudioWorkletNode !== 'undefined',
    createContext: () => {
      const context = new AudioContext();
      contexts.set(context, context);
      return context;
    },
    openMicrophone: async (wording) => {
      const stream = await openMediaStream({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false } }, wording);
      const view: LiveStream = {
        stop: () => {
          for (const track of stream.getTracks()) track.stop();
        },
        onEnded: (listener) => onTracksEnded(stream, listener),
      };
      streams.set(view, stream);
      return view;
    },
    attach: async (view, streamView) => {
      const context = contexts.get(view);
      const stream = streams.get(streamView);
      if (!context || !stream) throw new Error('not an AudioContext and MediaStream made here');
      await context.audioWorklet.addModule(workletUrl);
      const node = new AudioWorkletNode(context, 'zsp-live-capture', { numberOfInputs: 1, numberOfOutputs: 0, channelCount: 1, channelCountMode: 'explicit' });
      const source = context.createMediaStreamSource(stream);
      source.connect(node);
      return {
        post: (command) => node.port.postMessage(command),
        listen: (listener) => {
          node.port.onmessage = (event: MessageEvent<unknown>) => listener(event.data);
        },
        close: () => {
          node.port.onmessage = null;
          source.disconnect();
          node.disconnect();
        },
      };
    },
  };
}
