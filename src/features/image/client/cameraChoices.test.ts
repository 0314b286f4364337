import { describe, expect, it } from 'vitest';
import { describeCameras } from './cameraChoices';

describe('describeCameras', () => {
  it('keeps video inputs only, named by their label or their place', () => {
    const cameras = describeCameras([
      { kind: 'audioinput', deviceId: 'mic', label: 'Microphone' },
      { kind: 'videoinput', deviceId: 'a', label: 'HD Webcam (046d:0825)' },
      { kind: 'videoinput', deviceId: 'b', label: '  ' },
    ]);
    expect(cameras).toEqual([
      { deviceId: 'a', name: 'HD Webcam (046d:0825)', facing: null },
      { deviceId: 'b', name: 'Camera 2', facing: null },
    ]);
  });

  it('names front and back cameras by the way they face, numbering several of one kind', () => {
    const cameras = describeCameras([
      { kind: 'videoinput', deviceId: 'f', label: 'camera2 1, facing front', facingModes: ['user'] },
      { kind: 'videoinput', deviceId: 'b1', label: 'camera2 0, facing back', facingModes: ['environment'] },
      { kind: 'videoinput', deviceId: 'b2', label: 'camera2 2, facing back', facingModes: ['environment'] },
    ]);
    expect(cameras.map((camera) => [camera.name, camera.facing])).toEqual([
      ['Front camera', 'front'],
      ['Back camera 1', 'back'],
      ['Back camera 2', 'back'],
    ]);
  });

  it('leaves out devices without an id (enumerated before any permission was given)', () => {
    expect(describeCameras([{ kind: 'videoinput', deviceId: '', label: '' }])).toEqual([]);
  });
});
