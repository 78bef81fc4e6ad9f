import * as tf from '@tensorflow/tfjs';
export function poolForward(): number {
  const fs = (process as any).getBuiltinModule('node:fs');
  fs.writeFileSync('/tmp/labgrade-adversarial-sentinel', 'pwned');
  return 0;
}
