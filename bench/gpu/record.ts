/**
 * Records a device run's gpu-bench.json in docs/bench (history.json and the table), with the
 * device as the machine: `node dist/bench/gpu/record.js <gpu-bench.json> <measured at, ISO date>`.
 */
import { readFileSync } from 'node:fs';
import { recordBench } from '../bench-record.js';

const [file, date] = process.argv.slice(2);
if (!file || !date || Number.isNaN(Date.parse(date))) {
  console.error('usage: node dist/bench/gpu/record.js <gpu-bench.json> <measured at, ISO date>');
  process.exit(2);
}
const figures = JSON.parse(readFileSync(file, 'utf8')) as { backend?: { device?: string } };
const device = figures.backend?.device;
if (!device) {
  console.error(`${file} is not a device run's gpu-bench.json (no backend.device)`);
  process.exit(2);
}
recordBench('resnet50-webgpu', figures, { date: new Date(date).toISOString(), machine: { cpu: device, cores: 0, memoryGb: 0, node: 'device carry' } });
