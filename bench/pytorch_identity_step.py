"""The identity network's training step in PyTorch, timed: the reference side of
bench/compare_pytorch.sh.

4 (or --layers) x Linear(784, 784) + ReLU, float32, glorot-uniform weights and zero biases,
MSE against the input, RMSprop as Keras (lr 1e-3, alpha 0.9, eps 1e-7 outside the square
root), batch 128, on MNIST-shaped synthetic data (81% zeros, 0..255 otherwise), as
bench_train measures simdgrad. Prints one JSON line: {"samples_per_s": ..., ...}.
"""
import argparse
import json
import time

import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    layers = []
    for _ in range(args.layers):
        linear = torch.nn.Linear(784, 784)
        torch.nn.init.xavier_uniform_(linear.weight)  # Keras' glorot_uniform
        torch.nn.init.zeros_(linear.bias)
        layers += [linear, torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = torch.nn.MSELoss()

    batch, batches = 128, 64
    data = torch.randint(1, 256, (batch * batches, 784)).float()
    data[torch.rand(data.shape) < 0.81] = 0.0

    def step(i):
        x = data[(i % batches) * batch:(i % batches + 1) * batch]
        optimizer.zero_grad()
        loss = loss_fn(model(x), x)
        loss.backward()
        optimizer.step()

    for i in range(args.warmup):
        step(i)
    start = time.perf_counter()
    for i in range(args.steps):
        step(i)
    seconds = time.perf_counter() - start
    print(json.dumps({"samples_per_s": batch * args.steps / seconds, "threads": args.threads,
                      "torch": torch.__version__, "steps": args.steps}))


if __name__ == "__main__":
    main()
