/**
 * Compares two layer summaries (contract/summary.ts): the rows are aligned by layer class first (an
 * edit distance), so that one missing or extra layer is said once, as the cause; then the aligned
 * rows field by field, and the row count, which the course's own comparator does not always check.
 */
import type { MessageRef } from '../contract/result.js';
import { extraFieldName, type ModelSummary, type SummaryRow } from '../contract/summary.js';
import { msg } from '../i18n/message-ref.js';

function show(v: unknown): string {
  return JSON.stringify(v).replace(/null/g, 'None').replace(/,/g, ', ');
}

/** Catalogue ids of the summary's fields: class, output shape, parameter count, then the class's settings. */
const FIELD_IDS: Record<string, string> = {
  padding: 'layers.field.padding',
  activation: 'layers.field.activation',
  'kernel initializer': 'layers.field.kernel-initializer',
  'pool size': 'layers.field.pool-size',
  strides: 'layers.field.strides',
  rate: 'layers.field.rate',
};

function fieldName(className: string, index: number): MessageRef {
  if (index === 0) return msg('layers.field.class');
  if (index === 1) return msg('layers.field.output-shape');
  if (index === 2) return msg('layers.field.params');
  const extra = extraFieldName(className, index - 3);
  return extra ? msg(FIELD_IDS[extra]) : msg('layers.field.setting', { n: String(index - 2) });
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export interface SummaryComparison {
  passed: boolean;
  /** Every difference found, the structural cause first; empty when the summaries match. */
  differences: MessageRef[];
}

/** A layer class with its English article ("a Conv2D", "an InputLayer"), which other languages leave out. */
function layerClass(word: string): MessageRef {
  return msg(/^[AEIOU]/i.test(word) ? 'layers.class-an' : 'layers.class-a', { name: word });
}

type Step = { op: 'match' | 'substitute'; e: number; a: number } | { op: 'missing'; e: number; a: number } | { op: 'extra'; e: number; a: number };

/**
 * The cheapest alignment of two layer-class sequences (an edit distance: a layer missing, extra or
 * of another class costs 1, the same class nothing), as steps in order. `a`/`e` on a missing or
 * extra step is where it falls in the other sequence.
 */
function alignClasses(expected: readonly string[], actual: readonly string[]): Step[] {
  const n = expected.length;
  const m = actual.length;
  const cost = Array.from({ length: n + 1 }, (_, i) => Array.from({ length: m + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      cost[i][j] = Math.min(cost[i - 1][j - 1] + (expected[i - 1] === actual[j - 1] ? 0 : 1), cost[i - 1][j] + 1, cost[i][j - 1] + 1);
    }
  }
  const steps: Step[] = [];
  // Walking back from the end, a layer too many or too few is placed as late as it can be: an extra
  // layer appended at the end is that one, not the first of two equal ones.
  for (let i = n, j = m; i > 0 || j > 0; ) {
    if (j > 0 && cost[i][j] === cost[i][j - 1] + 1) {
      steps.push({ op: 'extra', e: i, a: j - 1 });
      j--;
    } else if (i > 0 && cost[i][j] === cost[i - 1][j] + 1) {
      steps.push({ op: 'missing', e: i - 1, a: j });
      i--;
    } else {
      steps.push({ op: expected[i - 1] === actual[j - 1] ? 'match' : 'substitute', e: i - 1, a: j - 1 });
      i--;
      j--;
    }
  }
  return steps.reverse();
}

/**
 * Compares summaries: the rows are aligned by layer class first (an edit distance), so that one
 * missing or extra layer is said once, as the cause, instead of shifting every row after it; then
 * the aligned rows field by field; then the parameter totals. `describeRow` may say where a row of
 * the expected model sits (e.g. "stage 5, identity block b") for a long model.
 */
export function compareSummaries(expected: ModelSummary, actual: ModelSummary, describeRow: (index: number) => MessageRef | null = () => null): SummaryComparison {
  const differences: MessageRef[] = [];
  const rowLabel = (i: number, name?: string) => {
    const where = describeRow(i);
    const row = where ? msg('layers.row-where', { row: String(i + 1), where }) : msg('layers.row', { row: String(i + 1) });
    return name ? msg('layers.row-named', { row, name }) : row;
  };
  const classOf = (row: SummaryRow) => String(row[0]);
  const steps = alignClasses(expected.rows.map(classOf), actual.rows.map(classOf));
  const structural = steps.filter((s) => s.op !== 'match');
  // The course builds its models with the functional API; tf.sequential has no InputLayer row.
  const onlyInputMissing = structural.length === 1 && structural[0].op === 'missing' && structural[0].e === 0 && classOf(expected.rows[0]) === 'InputLayer';
  if (onlyInputMissing) {
    differences.push(msg('layers.no-input-layer'));
  } else {
    for (const step of structural.slice(0, 5)) {
      const before = step.a > 0 ? msg('layers.after-row', { row: String(step.a), name: classOf(actual.rows[step.a - 1]) }) : msg('layers.at-start');
      if (step.op === 'missing') differences.push(msg('layers.missing', { layer: layerClass(classOf(expected.rows[step.e])), before, row: rowLabel(step.e) }));
      else if (step.op === 'extra') {
        const values = { row: String(step.a + 1), layer: layerClass(classOf(actual.rows[step.a])) };
        differences.push(actual.names[step.a] ? msg('layers.extra-named', { ...values, name: actual.names[step.a] }) : msg('layers.extra', values));
      } else differences.push(msg('layers.substituted', { row: rowLabel(step.e, actual.names[step.a]), layer: layerClass(classOf(actual.rows[step.a])), expected: layerClass(classOf(expected.rows[step.e])) }));
    }
    if (structural.length > 5) differences.push(msg('layers.more-differ', { count: String(structural.length - 5) }));
  }
  if (expected.rows.length !== actual.rows.length) differences.push(msg('layers.count', { count: String(actual.rows.length), expected: String(expected.rows.length) }));
  let fieldDifferences = 0;
  for (const step of steps) {
    if (step.op !== 'match') continue;
    const e = expected.rows[step.e];
    const a = actual.rows[step.a];
    const className = classOf(e);
    const fields: MessageRef[] = [];
    for (let f = 1; f < Math.max(e.length, a.length); f++) {
      if (show(e[f]) === show(a[f])) continue;
      const isCount = f === 2 && typeof e[f] === 'number' && typeof a[f] === 'number';
      const values = { field: fieldName(className, f), expected: isCount ? formatCount(e[f] as number) : show(e[f]), found: isCount ? formatCount(a[f] as number) : show(a[f]) };
      // tfjs's Conv2D default differs from Keras's, which the course's summaries record.
      fields.push(msg(e[f] === 'GlorotUniform' && a[f] === 'GlorotNormal' ? 'layers.field-differs-glorot' : 'layers.field-differs', values));
    }
    if (fields.length === 0) continue;
    if (++fieldDifferences > 5) break;
    differences.push(msg('layers.row-differs', { row: rowLabel(step.e, actual.names[step.a]), name: className, fields }));
  }
  const totals = (s: ModelSummary) => [s.trainableParams + s.nonTrainableParams, s.trainableParams, s.nonTrainableParams].map(formatCount);
  const [et, etr, en] = totals(expected);
  const [at, atr, an] = totals(actual);
  if (et !== at || etr !== atr || en !== an) differences.push(msg('layers.totals', { total: at, trainable: atr, nonTrainable: an, expectedTotal: et, expectedTrainable: etr, expectedNonTrainable: en }));
  return { passed: differences.length === 0, differences };
}
