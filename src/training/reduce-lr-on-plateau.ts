/**
 * Keras's ReduceLROnPlateau, which tfjs lacks: when the monitored value (val_loss by default) has
 * not improved by more than `minDelta` for `patience` epochs, the learning rate is multiplied by
 * `factor`, never below `minLr`; after a reduction, `cooldown` epochs pass before counting again.
 */
import type * as tfType from '@tensorflow/tfjs';

export interface ReduceLROnPlateauOptions {
  monitor?: string;
  factor?: number;
  patience?: number;
  minLr?: number;
  minDelta?: number;
  cooldown?: number;
  mode?: 'min' | 'max';
}

/** The optimizers tfjs trains with keep their rate in `learningRate` (protected, but read every step). */
interface WithLearningRate {
  learningRate: number;
}

export class LearningRatePlateau {
  readonly monitor: string;
  private readonly factor: number;
  private readonly patience: number;
  private readonly minLr: number;
  private readonly minDelta: number;
  private readonly cooldown: number;
  private readonly mode: 'min' | 'max';
  private best: number;
  private wait = 0;
  private cooldownLeft = 0;
  /** Epochs (0-based) at which the rate was reduced, and to what. */
  readonly reductions: { epoch: number; learningRate: number }[] = [];

  constructor(options: ReduceLROnPlateauOptions = {}) {
    this.monitor = options.monitor ?? 'val_loss';
    this.factor = options.factor ?? 0.1;
    this.patience = options.patience ?? 10;
    this.minLr = options.minLr ?? 0;
    this.minDelta = options.minDelta ?? 1e-4;
    this.cooldown = options.cooldown ?? 0;
    this.mode = options.mode ?? (this.monitor.includes('acc') ? 'max' : 'min');
    if (!(this.factor > 0 && this.factor < 1)) throw new RangeError(`ReduceLROnPlateau factor must be in (0, 1), got ${this.factor}`);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  private improved(value: number): boolean {
    return this.mode === 'min' ? value < this.best - this.minDelta : value > this.best + this.minDelta;
  }

  /** Feeds one epoch's logs; changes `optimizer`'s rate when the plateau is long enough. */
  epochEnded(epoch: number, logs: Record<string, number> | undefined, optimizer: WithLearningRate): void {
    const value = logs?.[this.monitor];
    if (value === undefined || !Number.isFinite(value)) return;
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.wait = 0;
    }
    if (this.improved(value)) {
      this.best = value;
      this.wait = 0;
      return;
    }
    if (this.cooldownLeft > 0) return;
    this.wait++;
    if (this.wait < this.patience) return;
    const current = optimizer.learningRate;
    if (current > this.minLr) {
      optimizer.learningRate = Math.max(current * this.factor, this.minLr);
      this.reductions.push({ epoch, learningRate: optimizer.learningRate });
      this.cooldownLeft = this.cooldown;
    }
    this.wait = 0;
  }
}

/** The plateau rule as a tfjs callback for model.fit. */
export function reduceLROnPlateau(tf: typeof tfType, options: ReduceLROnPlateauOptions = {}): { callback: tfType.CustomCallback; plateau: LearningRatePlateau } {
  const plateau = new LearningRatePlateau(options);
  let model: tfType.LayersModel | null = null;
  const callback = new tf.CustomCallback({
    onEpochEnd: async (epoch, logs) => {
      if (model) plateau.epochEnded(epoch, logs as Record<string, number>, model.optimizer as unknown as WithLearningRate);
    },
  });
  const setModel = callback.setModel.bind(callback);
  callback.setModel = (m) => {
    model = m as tfType.LayersModel;
    setModel(m);
  };
  return { callback, plateau };
}
