/** The audio feature's public API: other features and src/app import only from here. */
export { addAudioFiles } from './client/addAudioFiles';
export { AudioBridge, createAudioWorker } from './client/audioBridge';
export { AudioController, currentAudioQuery } from './client/audioController';
export { MicrophoneRecorder } from './client/microphoneRecorder';
export { LiveMicrophone, type LiveMicrophoneDebug } from './client/liveMicrophone';
export { browserLiveAudioDevices } from './client/liveAudioDevices';
export { newAudioItem } from './client/newAudioItem';
export { AudioDropzone } from './ui/AudioDropzone';
export { AudioItemList } from './ui/AudioItemList';
export { AudioScoringPanel } from './ui/AudioScoringPanel';
export { addAudioDropped } from './client/addAudioFiles';
export { LiveMicrophoneService, RecorderService } from './ui/audioServices';
export type { DecoderStrategyScores } from './shared/protocol';
