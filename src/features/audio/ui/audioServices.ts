import { createServiceContext } from '../../../ui/serviceContext';
import type { LiveMicrophone } from '../client/liveMicrophone';
import type { MicrophoneRecorder } from '../client/microphoneRecorder';

/** The microphone recorder behind the record button, created by src/app at start-up. */
export const RecorderService = createServiceContext<MicrophoneRecorder>('RecorderService');

/** Live microphone mode behind the Listen button, created by src/app at start-up. */
export const LiveMicrophoneService = createServiceContext<LiveMicrophone>('LiveMicrophoneService');
