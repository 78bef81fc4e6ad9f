import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
void fs;
