/** What the camera and the microphone live modes share: device opening, device loss, visibility, the badges and the smoothing slider. */
export { deviceEndedMessage, onTracksEnded, openMediaStream, watchVisibility } from './client/liveMedia';
export { LiveLatencyBadge, LiveRateBadge } from './ui/LiveBadges';
export { SmoothingSlider } from './ui/SmoothingSlider';
