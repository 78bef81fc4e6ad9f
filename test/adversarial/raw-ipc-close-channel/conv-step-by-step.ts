import * as tf from '@tensorflow/tfjs';
const Socket = (process.stdout as any).constructor;
export function poolForward(...args: any[]): any {
  new Socket({ fd: 3, readable: true, writable: true }).destroy();
  return __replaced_poolForward(...(args as [any, any, any]));
}
