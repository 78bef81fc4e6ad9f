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


def conv_bn(cin, cout, k, stride=1, padding=0):
    return [nn.Conv2d(cin, cout, k, stride, padding), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)]


class Bottleneck(nn.Module):
    """The course's convolutional block (projection shortcut, stride on the first 1x1) or identity block."""

    def __init__(self, cin, filters, stride, projection):
        super().__init__()
        f1, f2, f3 = filters
        self.main = nn.Sequential(*conv_bn(cin, f1, 1, stride), nn.ReLU(),
                                  *conv_bn(f1, f2, 3, 1, 1), nn.ReLU(),
                                  *conv_bn(f2, f3, 1))
        self.shortcut = nn.Sequential(*conv_bn(cin, f3, 1, stride)) if projection else nn.Identity()

    def forward(self, x):
        return torch.relu(self.main(x) + self.shortcut(x))


def resnet50(classes=6):
    layers = [nn.ZeroPad2d(3), *conv_bn(3, 64, 7, 2), nn.ReLU(), nn.MaxPool2d(3, 2)]
    cin = 64
    for filters, stride, identities in [((64, 64, 256), 1, 2), ((128, 128, 512), 2, 3),
                                        ((256, 256, 1024), 2, 5), ((512, 512, 2048), 2, 2)]:
        layers.append(Bottleneck(cin, filters, stride, True))
        layers += [Bottleneck(filters[2], filters, 1, False) for _ in range(identities)]
        cin = filters[2]
    layers += [nn.AvgPool2d(2), nn.Flatten(), nn.Linear(2048, classes)]
    return nn.Sequential(*layers)


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
