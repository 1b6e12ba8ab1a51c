"""PyTorch twin of bench/models.ts: the same reference U-Net and MBConv regressor, timed the same
way (median step time after warm-up; batch 8, 16 for unet256; Adam; MSE). Run with Debian's
interpreter:

    /usr/bin/python3 bench/torch_reference.py --model unet --threads 2

Prints one JSON line: params, train_img_per_s, infer_img_per_s, step_ms.
"""
import argparse
import json
import os
import statistics
import sys
import time

# glibc returns arrays above 32 MB to the kernel on free, so PyTorch page-faults its large
# activations afresh every step (unet256, one thread: 24 s a step, against 2.3 s with freed pages
# kept). `--allocator jemalloc` re-runs this script with Debian's libjemalloc2 preloaded and told to
# keep freed pages, as lib/backend/buffer_pool.ts does for tfjs (jemalloc's defaults purge arrays
# above 8 MiB at once). Done here, since Deno lets a scoped --allow-run set no LD_* variables.
JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
KEEP_PAGES = "oversize_threshold:0,dirty_decay_ms:-1,muzzy_decay_ms:-1"
MODEL_NAMES = ["mbconv", "unet", "unet256"]


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="unet", choices=MODEL_NAMES)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, help="default: the model's")
    ap.add_argument("--allocator", choices=["glibc", "jemalloc"], default="glibc")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=6)
    return ap.parse_args()


ARGS = parse_args()
if ARGS.allocator == "jemalloc" and (
    os.environ.get("LD_PRELOAD") != JEMALLOC or os.environ.get("MALLOC_CONF") != KEEP_PAGES
):
    if not os.path.exists(JEMALLOC):
        sys.exit("error: libjemalloc2 is not installed (apt-get install libjemalloc2)")
    env = {**os.environ, "LD_PRELOAD": JEMALLOC, "MALLOC_CONF": KEEP_PAGES}
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import torch  # noqa: E402 (after the allocator choice)
from torch import nn

UNET_CHANNELS = [16, 32, 64, 128]
MBCONV_BLOCKS = [(1, 16, 1), (6, 24, 2), (6, 24, 1), (6, 40, 2), (6, 40, 1), (6, 80, 2), (6, 80, 1), (6, 112, 1)]


def conv_bn_relu(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1), nn.ReLU()]


def double_conv(cin, cout):
    return nn.Sequential(*conv_bn_relu(cin, cout), *conv_bn_relu(cout, cout))


class ReferenceUnet(nn.Module):
    def __init__(self, cin=1, cout=4):
        super().__init__()
        c = UNET_CHANNELS
        self.down = nn.ModuleList([double_conv(a, b) for a, b in zip([cin] + c[:2], c[:3])])
        self.pool = nn.MaxPool2d(2)
        self.bottom = double_conv(c[2], c[3])
        self.up = nn.ModuleList([nn.ConvTranspose2d(c[i + 1], c[i], 2, stride=2) for i in (2, 1, 0)])
        self.dec = nn.ModuleList([double_conv(2 * c[i], c[i]) for i in (2, 1, 0)])
        self.head = nn.Conv2d(c[0], cout, 1)

    def forward(self, x):
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottom(x)
        for up, dec in zip(self.up, self.dec):
            x = dec(torch.cat([up(x), skips.pop()], dim=1))
        return self.head(x)


class MBConv(nn.Module):
    def __init__(self, cin, expand, cout, stride):
        super().__init__()
        mid = cin * expand
        layers = []
        if expand != 1:
            layers += [nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.SiLU()]
        layers += [nn.Conv2d(mid, mid, 3, stride=stride, padding=1, groups=mid, bias=False), nn.BatchNorm2d(mid), nn.SiLU()]
        self.body = nn.Sequential(*layers)
        squeezed = max(1, cin // 4)
        self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(mid, squeezed, 1), nn.SiLU(), nn.Conv2d(squeezed, mid, 1), nn.Sigmoid())
        self.project = nn.Sequential(nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        h = self.body(x)
        h = self.project(h * self.se(h))
        return h + x if self.residual else h


class MBConvRegressor(nn.Module):
    def __init__(self, cin=1, outputs=8):
        super().__init__()
        layers = [nn.Conv2d(cin, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32), nn.SiLU()]
        c = 32
        for e, cout, s in MBCONV_BLOCKS:
            layers.append(MBConv(c, e, cout, s))
            c = cout
        layers += [nn.Conv2d(c, 320, 1, bias=False), nn.BatchNorm2d(320), nn.SiLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(320, outputs)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


# name: (builder, input shape, output shape, batch); unet256 is the size the segmentation nets train at.
MODELS = {
    "unet": (ReferenceUnet, (1, 128, 128), (4, 128, 128), 8),
    "unet256": (ReferenceUnet, (1, 256, 256), (4, 256, 256), 16),
    "mbconv": (MBConvRegressor, (1, 256, 256), (8,), 8),
}
assert sorted(MODELS) == MODEL_NAMES


def main():
    args = ARGS
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    build, in_shape, out_shape, batch = MODELS[args.model]
    args.batch = args.batch or batch
    model = build()
    x = torch.randn(args.batch, *in_shape)
    y = torch.randn(args.batch, *out_shape)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    model.train()
    for _ in range(args.warmup):
        step()
    step_ms = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        step()
        step_ms.append((time.perf_counter() - t0) * 1000)
    model.eval()
    infer_ms = []
    with torch.no_grad():
        for i in range(args.warmup + args.steps):
            t0 = time.perf_counter()
            model(x)
            if i >= args.warmup:
                infer_ms.append((time.perf_counter() - t0) * 1000)
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({
        "model": args.model,
        "threads": args.threads,
        "allocator": args.allocator,
        "torch": torch.__version__,
        "params": params,
        "batch": args.batch,
        "train_img_per_s": args.batch / (statistics.median(step_ms) / 1000),
        "infer_img_per_s": args.batch / (statistics.median(infer_ms) / 1000),
        "step_ms": [round(v) for v in step_ms],
    }))


if __name__ == "__main__":
    main()
