/** Charts for the HTML reports: Vega-Lite specs compiled and rendered to SVG by Vega, no browser needed. */
import type { TopLevelSpec } from 'vega-lite';

let renderer: Promise<[typeof import('vega'), typeof import('vega-lite')]> | null = null;

/** Vega and Vega-Lite, loaded once, one after the other, when the first chart is drawn: start-up time that `check` and `evaluate` do not need. */
function loadRenderer(): Promise<[typeof import('vega'), typeof import('vega-lite')]> {
  renderer ??= (async () => {
    const vega = await import('vega');
    return [vega, await import('vega-lite')];
  })();
  return renderer;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await loadRenderer();
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Earned and missing points per exercise of a lab, as stacked horizontal bars. */
export function pointsPerExerciseSpec(exercises: { id: string; points: number; maxPoints: number }[], labelsFor: { earned: string; missing: string }): TopLevelSpec {
  const values = exercises.flatMap((e) => [
    { exercise: e.id, kind: labelsFor.earned, points: e.points },
    { exercise: e.id, kind: labelsFor.missing, points: Math.round((e.maxPoints - e.points) * 100) / 100 },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 480,
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'exercise', type: 'nominal', sort: null, title: null },
      x: { field: 'points', type: 'quantitative', stack: 'zero', title: null },
      color: { field: 'kind', type: 'nominal', sort: [labelsFor.earned, labelsFor.missing], scale: { range: ['#2da44e', '#e5e7eb'] }, title: null },
    },
  };
}

/** Students per score band, for the class summary. */
export function distributionSpec(bands: { band: string; students: number }[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 480,
    data: { values: bands },
    mark: 'bar',
    encoding: {
      x: { field: 'band', type: 'ordinal', sort: null, title: null },
      y: { field: 'students', type: 'quantitative', title: null, axis: { tickMinStep: 1 } },
    },
  };
}

/** A training run's cost per epoch, as a line. */
export function costCurveSpec(costs: readonly (number | null)[], axis: { epoch: string; cost: string }): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 480,
    height: 200,
    data: { values: costs.map((cost, epoch) => ({ epoch, cost })).filter((d) => d.cost !== null) },
    mark: { type: 'line', point: false },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: axis.epoch },
      y: { field: 'cost', type: 'quantitative', title: axis.cost },
    },
  };
}

/** Curves per epoch (e.g. loss and val_loss), one line per series. */
export function learningCurvesSpec(series: Record<string, readonly number[]>, axis: { epoch: string; value: string }): TopLevelSpec {
  const values = Object.entries(series).flatMap(([name, ys]) => ys.map((value, epoch) => ({ epoch: epoch + 1, series: name, value })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 480,
    height: 200,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: axis.epoch },
      y: { field: 'value', type: 'quantitative', title: axis.value },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}
