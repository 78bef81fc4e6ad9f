import * as tf from '@tensorflow/tfjs';
export function poolForward(): any {
  return tf.loadLayersModel('file:///work/resnet50/model.json');
}
