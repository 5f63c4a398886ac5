#!/usr/bin/env python3
"""Writes the small ONNX models committed under tests/data (run with Debian's /usr/bin/python3,
which has python3-torch): two_inputs.onnx computes y = relu(a) * b + a for a, b [N, 3, 4]
(two graph inputs, for clnn-run's -i NAME=FILE and the refusal of an unset input)."""
import os
import sys

import torch


class TwoInputs(torch.nn.Module):
    def forward(self, a, b):
        return torch.relu(a) * b + a


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..',
                                                             'tests', 'data')
    a = torch.zeros(2, 3, 4)
    torch.onnx.export(TwoInputs(), (a, a), os.path.join(out, 'two_inputs.onnx'), opset_version=13,
                      input_names=['a', 'b'], output_names=['y'],
                      dynamic_axes={'a': {0: 'batch'}, 'b': {0: 'batch'}, 'y': {0: 'batch'}})


if __name__ == '__main__':
    main()
