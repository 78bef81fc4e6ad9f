/** The ReduceLROnPlateau rule, epoch by epoch, on a stand-in optimizer. */
import { LearningRatePlateau } from '../../src/training/reduce-lr-on-plateau.js';

function run(plateau: LearningRatePlateau, losses: number[], start = 1e-3): number[] {
  const optimizer = { learningRate: start };
  return losses.map((val_loss, epoch) => {
    plateau.epochEnded(epoch, { val_loss }, optimizer);
    return optimizer.learningRate;
  });
}

describe('ReduceLROnPlateau', () => {
  test('cuts the rate by the factor after `patience` epochs without improvement, then counts again', () => {
    const plateau = new LearningRatePlateau({ factor: 0.2, patience: 5, minLr: 1e-5 });
    const rates = run(plateau, [1.0, 0.9, 0.9, 0.9, 0.95, 0.91, 0.9, 0.92, 0.93, 0.94, 0.95, 0.96]);
    expect(rates.slice(0, 6)).toEqual([1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3]);
    expect(rates[6]).toBeCloseTo(2e-4, 12); // epochs 2-6 brought nothing better than 0.9
    expect(rates[11]).toBeCloseTo(4e-5, 12); // five more
    expect(plateau.reductions.map((r) => r.epoch)).toEqual([6, 11]);
  });

  test('an improvement larger than minDelta resets the count; a smaller one does not', () => {
    const plateau = new LearningRatePlateau({ factor: 0.5, patience: 2, minDelta: 0.01 });
    const rates = run(plateau, [1.0, 0.995, 0.98, 0.975, 0.972], 1);
    expect(rates).toEqual([1, 1, 1, 1, 0.5]);
  });

  test('never goes below minLr, and stops reducing there', () => {
    const plateau = new LearningRatePlateau({ factor: 0.2, patience: 1, minLr: 1e-5 });
    const rates = run(plateau, [1, 1, 1, 1, 1, 1]);
    expect(rates.at(-1)).toBe(1e-5);
    expect(plateau.reductions.at(-1)!.learningRate).toBe(1e-5);
    expect(plateau.reductions.length).toBe(3); // 2e-4, 4e-5, 1e-5
  });

  test('cooldown waits before counting again; missing or non-finite values are ignored; accuracy is maximized', () => {
    const cooled = new LearningRatePlateau({ factor: 0.5, patience: 1, cooldown: 2 });
    // As Keras counts it: the cooldown counter drops at the start of each epoch, so cooldown 2 skips one epoch's count.
    expect(run(cooled, [1, 1, 1, 1, 1], 1)).toEqual([1, 0.5, 0.5, 0.25, 0.25]);
    const ignoring = new LearningRatePlateau({ factor: 0.5, patience: 1 });
    expect(run(ignoring, [1, NaN, NaN], 1)).toEqual([1, 1, 1]);
    const acc = new LearningRatePlateau({ monitor: 'val_acc', factor: 0.5, patience: 1 });
    const optimizer = { learningRate: 1 };
    acc.epochEnded(0, { val_acc: 0.5 }, optimizer);
    acc.epochEnded(1, { val_acc: 0.6 }, optimizer);
    expect(optimizer.learningRate).toBe(1);
    acc.epochEnded(2, { val_acc: 0.55 }, optimizer);
    expect(optimizer.learningRate).toBe(0.5);
  });

  test('a factor outside (0, 1) is refused', () => {
    expect(() => new LearningRatePlateau({ factor: 1 })).toThrow(RangeError);
  });
});
