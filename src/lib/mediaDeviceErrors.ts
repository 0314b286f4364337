/** A camera or microphone, as the messages about it name it. */
export interface MediaDeviceWording {
  device: 'camera' | 'microphone';
  /** What to press again once access is allowed, e.g. `press Record`. */
  retry: string;
  /** What to do without the device, e.g. `add audio files`. */
  alternative: string;
}

/** What getUserMedia's failures mean to the person in front of the device. */
export function mediaDeviceErrorMessage(error: unknown, { device, retry, alternative }: MediaDeviceWording): string {
  const name = error instanceof DOMException ? error.name : '';
  const Device = device[0]!.toUpperCase() + device.slice(1);
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return `${Device} access was denied. Allow the ${device} for this site (the icon in the address bar) and ${retry} again.`;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return `No ${device} was found. Plug one in, or ${alternative} instead.`;
    case 'NotReadableError':
    case 'AbortError':
      return `The ${device} is busy or unavailable (another app may be using it).`;
    default:
      return `The ${device} could not be started: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Where the browser offers no getUserMedia at all (an insecure origin, an old browser). */
export function noMediaDevicesMessage({ device }: MediaDeviceWording): string {
  return `This browser offers no ${device} access here (it needs https or localhost).`;
}

/** A track ended without the app stopping it: the device was unplugged, or the system took it away. */
export function deviceEndedMessage({ device, retry, alternative }: MediaDeviceWording): string {
  return `The ${device} was disconnected (unplugged or switched off). Plug it back in and ${retry} again, or ${alternative} instead; what is in the workspace is unaffected.`;
}
