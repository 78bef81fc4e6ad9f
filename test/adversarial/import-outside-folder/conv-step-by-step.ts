import * as tf from '@tensorflow/tfjs';
import { secret } from '../secret';
export const leaked = secret;
