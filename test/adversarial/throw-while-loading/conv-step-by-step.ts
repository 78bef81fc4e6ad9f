import * as tf from '@tensorflow/tfjs';
throw new Error('refusing to load');
