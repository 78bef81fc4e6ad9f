"""The anchor of labgrade's training benchmarks: the same work in PyTorch on the same machine.

  anchor.py resnet50-step STEPS   one Adam step of the course's ResNet50 (64x64x3, 6 classes,
                                  batch 32): the median of STEPS steps after two warm-up ones
  anchor.py lab2 EPOCHS           Lab 2's small CNN (conv 4x4x8 same, ReLU, max-pool 8, conv 2x2x16
                                  same, ReLU, max-pool 4, dense 6), Adam 0.009, mini-batches of 64
                                  over 1080 images, EPOCHS epochs
  anchor.py profile WORK          one step of WORK (resnet50 or lab2) under torch.profiler, after
                                  warm-up steps: a table of the operators by CPU time (the
                                  counterpart of node dist/bench/profile-step.js WORK)

Prints one JSON line (the profile: a table). Random inputs of SIGNS' shapes: the time does not depend on the values.
"""
import json
import os
import statistics
import sys
import time

import torch
from torch import nn

from course_models import keras_parameter_count, lab2_cnn, resnet50

torch.manual_seed(0)
torch.set_num_threads(os.cpu_count() or 1)


def resnet50_step(steps):
    model = resnet50()
    assert keras_parameter_count(model) == 23_600_006
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
    model = lab2_cnn()
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


def profile(work):
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile
    model, batch = (resnet50(), 32) if work == 'resnet50' else (lab2_cnn(), 64)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3 if work == 'resnet50' else 0.009)
    x = torch.rand(batch, 3, 64, 64)
    y = torch.randint(0, 6, (batch,))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        loss.item()

    for _ in range(3):
        step()
    with torch_profile(activities=[ProfilerActivity.CPU]) as recorded:
        step()
    print(recorded.key_averages().table(sort_by='self_cpu_time_total', row_limit=12))


if __name__ == '__main__':
    if sys.argv[1] == 'profile':
        profile(sys.argv[2])
        sys.exit(0)
    work, n = sys.argv[1], int(sys.argv[2])
    figure = resnet50_step(n) if work == 'resnet50-step' else lab2(n)
    print(json.dumps({**figure, 'torch': torch.__version__, 'threads': torch.get_num_threads()}))
