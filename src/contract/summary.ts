/**
 * Layer summaries of tfjs-layers models, in the row format of the course's `summary(model)`:
 * [class name, output shape (null = batch), parameter count, extras...], with the extras the course
 * records (Conv2D: padding, activation, kernel initializer class; MaxPooling2D: pool size, strides,
 * padding; ZeroPadding2D: padding; Dropout: rate; Dense: activation). A submission's process sends
 * a model as its summary; compare/compare-summaries.ts compares two.
 */
import type * as tfType from '@tensorflow/tfjs';

export type SummaryRow = (string | number | null | SummaryRow | (number | null)[])[];

export interface ModelSummary {
  rows: SummaryRow[];
  /** Layer names given by the code, row for row ('' where tfjs made one up): feedback names the layer. */
  names: string[];
  trainableParams: number;
  nonTrainableParams: number;
}

type Layer = tfType.layers.Layer;

function configOf(layer: Layer): Record<string, unknown> {
  return layer.getConfig() as Record<string, unknown>;
}

/** Keras writes (None, 64, 64, 3); tfjs has [null, 64, 64, 3]. An InputLayer's is a list of one. */
function outputShapeOf(layer: Layer): SummaryRow {
  const shape = layer.outputShape as (number | null)[] | (number | null)[][];
  return layer.getClassName() === 'InputLayer' ? [shape as (number | null)[]] : (shape as SummaryRow);
}

function pair(v: unknown): unknown {
  return typeof v === 'number' ? [v, v] : v;
}

type Cell = SummaryRow[number];
type Config = Record<string, unknown>;

/** The live initializer's own class: tfjs serializes GlorotUniform as its base, VarianceScaling. */
function kernelInitializerClass(layer: Layer): string {
  return (layer as unknown as { kernelInitializer?: { constructor: { className?: string } } }).kernelInitializer?.constructor.className ?? 'unknown';
}

/** What the course's summary records after class, output shape and parameters, per layer class: each field's name and how to read it. */
const EXTRAS: Record<string, [field: string, read: (config: Config, layer: Layer) => Cell][]> = {
  Conv2D: [
    ['padding', (c) => c.padding as string],
    ['activation', (c) => (c.activation as string) ?? 'linear'],
    ['kernel initializer', (_, layer) => kernelInitializerClass(layer)],
  ],
  MaxPooling2D: [
    ['pool size', (c) => pair(c.poolSize) as number[]],
    ['strides', (c) => pair(c.strides ?? c.poolSize) as number[]],
    ['padding', (c) => c.padding as string],
  ],
  ZeroPadding2D: [['padding', (c) => c.padding as SummaryRow]],
  Dropout: [['rate', (c) => c.rate as number]],
  Dense: [['activation', (c) => (c.activation as string) ?? 'linear']],
};

function extrasOf(layer: Layer): SummaryRow {
  const config = configOf(layer);
  return (EXTRAS[layer.getClassName()] ?? []).map(([, read]) => read(config, layer));
}

/**
 * tfjs names unnamed layers from a process-wide counter ("dense_Dense4", "input1"): such names say
 * nothing to a student and change with what ran before, so summaries leave them out ('').
 */
function givenName(layer: Layer): string {
  const className = layer.getClassName();
  const generated = new RegExp(`^(\\w+_${className}\\d+|input\\d+)$`);
  return generated.test(layer.name) ? '' : layer.name;
}

/** The summary of a built model (tf.model or tf.sequential). */
export function summarizeModel(model: tfType.LayersModel): ModelSummary {
  const layers = model.layers;
  const count = (weights: tfType.LayerVariable[]) => weights.reduce((s, w) => s + w.shape.reduce((a: number, b) => a * (b ?? 0), 1), 0);
  return {
    rows: layers.map((layer) => [layer.getClassName(), outputShapeOf(layer), layer.countParams(), ...extrasOf(layer)]),
    names: layers.map(givenName),
    trainableParams: count(model.trainableWeights),
    nonTrainableParams: count(model.nonTrainableWeights),
  };
}

/** The summary with every kernel-initializer cell blanked: for comparing models whose weights are set or trained afresh. */
export function withoutInitializers(summary: ModelSummary): ModelSummary {
  const cell = (className: string) => EXTRAS[className]?.findIndex(([field]) => field === 'kernel initializer') ?? -1;
  return {
    ...summary,
    rows: summary.rows.map((row) => {
      const at = cell(String(row[0]));
      return at < 0 ? row : row.map((c, i) => (i === at + 3 ? '' : c));
    }),
  };
}

/** A row's cells: short strings, numbers, null, or small nested lists of them (shapes, paddings). */
function isSummaryCell(v: unknown, depth: number): boolean {
  if (v === null || typeof v === 'number') return true;
  if (typeof v === 'string') return v.length <= 200;
  return Array.isArray(v) && depth < 3 && v.length <= 16 && v.every((c) => isSummaryCell(c, depth + 1));
}

const isSummaryRows = (v: unknown): boolean =>
  Array.isArray(v) &&
  v.length <= 1000 &&
  v.every((row) => Array.isArray(row) && row.length <= 12 && typeof row[0] === 'string' && typeof row[2] === 'number' && row.every((c) => isSummaryCell(c, 0)));

/** A reason if `v` is not a well-formed ModelSummary (it comes from a submission's process). */
export function validateSummary(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return 'malformed model summary';
  const s = v as Record<string, unknown>;
  if (!isSummaryRows(s.rows)) return 'malformed model summary rows';
  if (!Array.isArray(s.names) || s.names.length !== (s.rows as unknown[]).length || !s.names.every((n) => typeof n === 'string' && n.length <= 200)) return 'malformed model summary names';
  if (!Number.isSafeInteger(s.trainableParams) || !Number.isSafeInteger(s.nonTrainableParams)) return 'malformed model summary totals';
  return null;
}

/** The name of a summary row's field after class, output shape and parameters (`extra` counts from 0), e.g. "pool size". */
export function extraFieldName(className: string, extra: number): string | undefined {
  return EXTRAS[className]?.[extra]?.[0];
}
