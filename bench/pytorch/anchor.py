"""The anchor of labgrade's training benchmarks: the same work in PyTorch on the same machine.

  anchor.py resnet50-step STEPS   one Adam step of the course's ResNet50 (64x64x3, 6 classes,
                                  batch 32): the median of STEPS steps after two warm-up ones
  anchor.py lab2 EPOCHS           Lab 2's small CNN (conv 4x4x8 same, ReLU, max-pool 8, conv 2x2x16
                                  same, ReLU, max-pool 4, dense 6), Adam 0.009, mini-batches of 64
                                  over 1080 images, EPOCHS epochs

Prints one JSON line. Random inputs of SIGNS' shapes: the time does not depend on the values.
"""
import json
import os
import statistics
import sys
import time

import torch
from torch import nn

torch.manual_seed(0)
torch.set_num_threads(os.cpu_count() or 1)


def conv_bn(cin, cout, k, stride=1, padding=0):
    return [nn.Conv2d(cin, cout, k, stride=stride, padding=padding), nn.BatchNorm2d(cout, eps=1e-3)]


class Block(nn.Module):
    """The course's identity block (projection=False) or convolutional block."""

    def __init__(self, cin, f, filters, stride, projection):
        super().__init__()
        f1, f2, f3 = filters
        self.main = nn.Sequential(
            *conv_bn(cin, f1, 1, stride), nn.ReLU(),
            *conv_bn(f1, f2, f, 1, f // 2), nn.ReLU(),
            *conv_bn(f2, f3, 1))
        self.shortcut = nn.Sequential(*conv_bn(cin, f3, 1, stride)) if projection else nn.Identity()

    def forward(self, x):
        return torch.relu(self.main(x) + self.shortcut(x))


def resnet50(classes=6):
    layers = [nn.ZeroPad2d(3), *conv_bn(3, 64, 7, 2), nn.ReLU(), nn.MaxPool2d(3, 2)]
    cin = 64
    for stage, (filters, blocks, stride) in enumerate([((64, 64, 256), 3, 1), ((128, 128, 512), 4, 2), ((256, 256, 1024), 6, 2), ((512, 512, 2048), 3, 2)]):
        for b in range(blocks):
            layers.append(Block(cin, 3, filters, stride if b == 0 else 1, b == 0))
            cin = filters[2]
    layers += [nn.AvgPool2d(2), nn.Flatten(), nn.Linear(2048, classes)]
    return nn.Sequential(*layers)


def resnet50_step(steps):
    model = resnet50()
    assert sum(p.numel() for p in model.parameters()) + sum(b.numel() for n, b in model.named_buffers() if 'running' in n) == 23_600_006
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(32, 3, 64, 64)
    y = torch.randint(0, 6, (32,))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        start = time.perf_counter()
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        loss.item()
        return (time.perf_counter() - start) * 1000

    step()
    step()
    return {'stepMs': statistics.median(step() for _ in range(steps))}


def lab2(epochs):
    model = nn.Sequential(
        nn.Conv2d(3, 8, 4, padding='same'), nn.ReLU(), nn.MaxPool2d(8, 8),
        nn.Conv2d(8, 16, 2, padding='same'), nn.ReLU(), nn.MaxPool2d(4, 4),
        nn.Flatten(), nn.Linear(64, 6))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.009)
    x = torch.rand(1080, 3, 64, 64)
    y = torch.randint(0, 6, (1080,))
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(1080)
        for i in range(0, 1080, 64):
            batch = order[i:i + 64]
            optimizer.zero_grad()
            loss = loss_fn(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
        loss.item()
    return {'seconds': time.perf_counter() - start, 'epochs': epochs}


if __name__ == '__main__':
    work, n = sys.argv[1], int(sys.argv[2])
    figure = resnet50_step(n) if work == 'resnet50-step' else lab2(n)
    print(json.dumps({**figure, 'torch': torch.__version__, 'threads': torch.get_num_threads()}))
