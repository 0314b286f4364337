import { createServiceContext } from '../../../ui/serviceContext';
import type { MicrophoneRecorder } from '../client/microphoneRecorder';

/** The microphone recorder behind the record button, created by src/app at start-up. */
export const RecorderService = createServiceContext<MicrophoneRecorder>('RecorderService');
