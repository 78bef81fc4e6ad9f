"""The course's models in PyTorch, for timing labgrade's training against PyTorch's on the same
machine: the Residual Networks lab's ResNet50 (Keras layout: 7x7 stem, stages [3, 4, 6, 3] of the
course's bottleneck blocks, stride on the first 1x1, 2x2 average pool, dense 6; 23,600,006
parameters counting batch normalization's moving statistics, as Keras does) and Lab 2's small CNN."""
import torch
from torch import nn


def conv_bn(cin, cout, k, stride=1, padding=0):
    # Keras's BatchNormalization: epsilon 1e-3, moving averages kept at 0.99 (PyTorch's momentum 0.01).
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


def keras_parameter_count(model):
    """Parameters as Keras counts them: the moving mean and variance of each batch normalization too."""
    return sum(p.numel() for p in model.parameters()) + sum(b.numel() for n, b in model.named_buffers() if 'running' in n)


def lab2_cnn():
    """Lab 2: conv 4x4x8 same, ReLU, max-pool 8, conv 2x2x16 same, ReLU, max-pool 4, dense 6.
    TensorFlow's SAME pads an even kernel more after than before: (1, 2) for 4, (0, 1) for 2."""
    return nn.Sequential(
        nn.ZeroPad2d((1, 2, 1, 2)), nn.Conv2d(3, 8, 4), nn.ReLU(), nn.MaxPool2d(8, 8),
        nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(8, 16, 2), nn.ReLU(), nn.MaxPool2d(4, 4),
        nn.Flatten(), nn.Linear(64, 6))
