/**
 * The cameras live mode offers to pick from: enumerateDevices' video inputs, named "Front camera" /
 * "Back camera" where the device says which way it faces (phones, tablets), else by the browser's
 * label. Pure, so the naming is unit-tested without a camera.
 */
export type CameraFacing = 'front' | 'back';

export interface CameraChoice {
  deviceId: string;
  name: string;
  facing: CameraFacing | null;
}

/** What is read off one MediaDeviceInfo (facingModes from InputDeviceInfo.getCapabilities(), where the browser has it). */
export interface CameraDevice {
  kind: string;
  deviceId: string;
  label: string;
  facingModes?: readonly string[];
}

function facingOf(modes: readonly string[] | undefined): CameraFacing | null {
  if (modes?.includes('user')) return 'front';
  if (modes?.includes('environment')) return 'back';
  return null;
}

export function describeCameras(devices: readonly CameraDevice[]): CameraChoice[] {
  const cameras = devices.filter((device) => device.kind === 'videoinput' && device.deviceId !== '');
  const facings = cameras.map((camera) => facingOf(camera.facingModes));
  const seen = { front: 0, back: 0 };
  return cameras.map((camera, index) => {
    const facing = facings[index] ?? null;
    if (facing) {
      const several = facings.filter((other) => other === facing).length > 1;
      const base = facing === 'front' ? 'Front camera' : 'Back camera';
      seen[facing]++;
      return { deviceId: camera.deviceId, facing, name: several ? `${base} ${seen[facing]}` : base };
    }
    return { deviceId: camera.deviceId, facing: null, name: camera.label.trim() || `Camera ${index + 1}` };
  });
}

/** Reads the video inputs (with their facing, where the browser tells it) for describeCameras. */
export async function listCameras(mediaDevices: MediaDevices): Promise<CameraChoice[]> {
  const devices = await mediaDevices.enumerateDevices();
  return describeCameras(
    devices.map((device) => {
      const capabilities = 'getCapabilities' in device && typeof device.getCapabilities === 'function' ? (device as InputDeviceInfo).getCapabilities() : undefined;
      return { kind: device.kind, deviceId: device.deviceId, label: device.label, facingModes: capabilities?.facingMode };
    }),
  );
}
