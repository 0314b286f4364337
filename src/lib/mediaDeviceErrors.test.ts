import { describe, expect, it } from 'vitest';
import { deviceEndedMessage, mediaDeviceErrorMessage, noMediaDevicesMessage } from './mediaDeviceErrors';

const microphone = { device: 'microphone', retry: 'press Record', alternative: 'add audio files' } as const;
const camera = { device: 'camera', retry: 'press "Take a photo"', alternative: 'add image files' } as const;

describe('mediaDeviceErrorMessage', () => {
  it('says what each getUserMedia failure means, for either device', () => {
    expect(mediaDeviceErrorMessage(new DOMException('x', 'NotAllowedError'), microphone)).toBe(
      'Microphone access was denied. Allow the microphone for this site (the icon in the address bar) and press Record again.',
    );
    expect(mediaDeviceErrorMessage(new DOMException('x', 'NotFoundError'), camera)).toBe('No camera was found. Plug one in, or add image files instead.');
    expect(mediaDeviceErrorMessage(new DOMException('x', 'NotReadableError'), camera)).toBe('The camera is busy or unavailable (another app may be using it).');
    expect(mediaDeviceErrorMessage(new Error('odd'), microphone)).toBe('The microphone could not be started: odd');
  });

  it('names the device, what to press again and the alternative when a device is lost or missing', () => {
    expect(deviceEndedMessage(camera)).toBe(
      'The camera was disconnected (unplugged or switched off). Plug it back in and press "Take a photo" again, or add image files instead; what is in the workspace is unaffected.',
    );
    expect(deviceEndedMessage(microphone)).toContain('The microphone was disconnected');
    expect(deviceEndedMessage(microphone)).toContain('press Record again, or add audio files instead');
    expect(noMediaDevicesMessage(microphone)).toBe('This browser offers no microphone access here (it needs https or localhost).');
  });
});
