import * as tf from '@tensorflow/tfjs';
