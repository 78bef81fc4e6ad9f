"""The GPU device script's anchor: the Residual Networks lab's ResNet50 (Keras layout: 7x7 stem,
stages [3, 4, 6, 3] with the course's bottleneck blocks, 2x2 average pool, dense 6) trained with
Adam at batch 32 in PyTorch on the same card, timed per epoch of 972 images (the recipe's 90% of
SIGNS' 1080). The images are random: an epoch's time does not depend on the pixel values.

Usage: python3 resnet50_torch.py [--epochs 4] [--out DIR]; prints one JSON line and writes
DIR/torch-bench.json."""
import argparse
import json
import os
import statistics
import time

import torch
from torch import nn

from course_models import resnet50


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--epochs', type=int, default=4)
    parser.add_argument('--out', default=os.environ.get('OUT', 'gpu-out'))
    args = parser.parse_args()
    torch.manual_seed(0)
    device = torch.device('cuda')
    torch.backends.cudnn.benchmark = True
    model = resnet50().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    images, batch = 972, 32
    x = torch.rand(images, 3, 64, 64, device=device)
    y = torch.randint(0, 6, (images,), device=device)
    parameters = sum(p.numel() for p in model.parameters())

    def epoch():
        start = time.perf_counter()
        for i in range(0, images, batch):
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[i:i + batch]), y[i:i + batch])
            loss.backward()
            optimizer.step()
        loss.item()  # one read per epoch, as Keras logs do
        torch.cuda.synchronize()
        return time.perf_counter() - start

    epoch()  # warm-up: cuDNN's algorithm search
    seconds = [epoch() for _ in range(args.epochs)]
    result = {'device': torch.cuda.get_device_name(0), 'torch': torch.__version__, 'parameters': parameters,
              'batch': batch, 'imagesPerEpoch': images, 'epochSeconds': seconds,
              'medianEpochSeconds': statistics.median(seconds),
              'stepMs': statistics.median(seconds) / -(-images // batch) * 1000}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, 'torch-bench.json'), 'w') as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
