#!/usr/bin/python3
"""PyTorch reference for bench/gt_bench: the same workloads, shapes, data, batch order and dtype.

    /usr/bin/python3 bench/torch_reference.py --workload mlp --threads 1 [--order FILE] [--smoke]
    /usr/bin/python3 bench/torch_reference.py --workload transformer --batches FILE  # gt_bench --write-batches

Prints one JSON object (same keys as gt_bench). Thread pools: this PyTorch build has an OpenMP pool
(its own kernels) and links the pthread OpenBLAS (its GEMMs). Two busy pools on 2 cores make it ~3x
slower, so exactly one is given the threads (--pool): `omp` = torch.set_num_threads(n) with
OPENBLAS_NUM_THREADS=1, `blas` = torch.set_num_threads(1) with OPENBLAS_NUM_THREADS=n. The environment
is set here before torch is imported; bench/run also sets OPENBLAS_CORETYPE for both programs.
"""
import argparse
import json
import math
import os
import resource
import sys
import time

WORKLOADS = ["mlp", "mlp-whiten", "mlp4", "cnn", "vae", "metrics", "vcs", "transformer"]


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workload", default="mlp", choices=WORKLOADS)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--pool", choices=["omp", "blas"], default="blas")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--smoke-batches", type=int, default=5)
    p.add_argument("--data-dir", default="data")
    p.add_argument("--order", default="", help="uint32 sample order written by gt_bench --write-order")
    p.add_argument("--batches", default="", help="transformer: token batches written by gt_bench --write-batches")
    p.add_argument("--dropout", type=float, default=0.1, help="transformer: dropout probability (the figure's 0.1)")
    return p.parse_args()


args = parse()
n = str(args.threads)
os.environ["OMP_NUM_THREADS"] = n if args.pool == "omp" else "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1" if args.pool == "omp" else n
os.environ["MKL_NUM_THREADS"] = "1"

import ctypes  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads if args.pool == "omp" else 1)
DT = torch.float32 if args.dtype == "float32" else torch.float64
torch.manual_seed(0)


def blas_kernel():
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except OSError:
        return "unknown"


def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist():
    d = os.path.join(args.data_dir, "mnist")
    x = read_idx(os.path.join(d, "train-images-idx3-ubyte"))
    y = read_idx(os.path.join(d, "train-labels-idx1-ubyte"))
    # Both sides hold train + test in memory (gt::data::load reads both).
    xt = read_idx(os.path.join(d, "t10k-images-idx3-ubyte"))
    X = torch.from_numpy(x.astype(np.float32) / 255.0).to(DT).reshape(-1, 1, 28, 28)
    Xt = torch.from_numpy(xt.astype(np.float32) / 255.0).to(DT).reshape(-1, 1, 28, 28)
    return X, torch.from_numpy(y.astype(np.int64)), Xt


def epoch_order(num):
    if args.order:
        o = np.fromfile(args.order, dtype=np.uint32).astype(np.int64)
        if o.size != num:
            sys.exit(f"torch_reference: order file {args.order} has {o.size} entries, expected {num}")
        return torch.from_numpy(o)
    return torch.randperm(num)


def batches(X, Y, bs):
    order = epoch_order(X.shape[0])
    nb = (X.shape[0] + bs - 1) // bs
    if args.smoke:
        nb = min(nb, args.smoke_batches)
    for b in range(nb):
        idx = order[b * bs:(b + 1) * bs]
        yield X.index_select(0, idx), Y.index_select(0, idx)  # a copy per batch, like BatchLoader


def dnn(hidden, width=256):
    layers = [nn.Flatten()]
    for l in range(hidden + 1):
        layers.append(nn.Linear(784 if l == 0 else width, 10 if l == hidden else width))
        if l < hidden:
            layers.append(nn.GELU())
    return nn.Sequential(*layers).to(DT)


def newtonschulz(a, steps=10, eps=1e-8):
    x = a / (a.norm() + eps)
    eye = torch.eye(x.shape[1], dtype=x.dtype)
    for _ in range(steps):
        s = x.T @ x
        x = x @ (15 * eye - 10 * s + 3 * (s @ s)) / 8
    return x


class GramFace:
    """The paper code's wrapper: plain step, then W⁺ = polar(W1 W2ᵀ)·W2 for every 2-D weight."""

    def __init__(self, params, base):
        self.params = [p for p in params if p.dim() >= 2]
        self.base = base

    def zero_grad(self):
        self.base.zero_grad()

    @torch.no_grad()
    def step(self):
        w1 = [p.detach().reshape(p.shape[0], -1).clone() for p in self.params]
        self.base.step()
        for p, a in zip(self.params, w1):
            w2 = p.reshape(p.shape[0], -1)
            q = newtonschulz(a @ w2.T)
            p.copy_((q @ w2).reshape(p.shape))


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(1 if i == 0 else 16, 16, 3, padding=1) for i in range(3)])
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        for i, c in enumerate(self.convs):
            x = c(x)
            if i in (0, 2):
                x = F.max_pool2d(x, 2)
            x = F.relu(x)
        return self.fc(x.flatten(1))


class VAE(nn.Module):
    def __init__(self, d=784, h=512, z=32):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(d, h), nn.GELU(), nn.Linear(h, h), nn.GELU())
        self.fc_mu = nn.Linear(h, z)
        self.fc_logvar = nn.Linear(h, z)
        self.decoder = nn.Sequential(nn.Linear(z, h), nn.GELU(), nn.Linear(h, h), nn.GELU(), nn.Linear(h, d),
                                     nn.Sigmoid())

    def forward(self, x):
        h = self.encoder(x.flatten(1))
        mu, logvar = self.fc_mu(h), self.fc_logvar(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.decoder(z), mu, logvar


def train_classifier(X, Y, kind):
    if kind == "cnn":
        model = CNN().to(DT)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.95)
    else:
        hidden = {"mlp": 2, "mlp-whiten": 2, "mlp4": 4, "vcs": 1}[kind]
        model = dnn(hidden)
        lr, mom = {"mlp4": (0.0005, 0.8), "vcs": (0.05, 0.0)}.get(kind, (0.01, 0.95))
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=mom)
        if kind == "mlp-whiten":
            opt = GramFace(model.parameters(), opt)
    vc = torch.zeros(784, 784, dtype=DT) if kind == "vcs" else None
    steps = samples = correct = 0
    loss_sum = 0.0
    t0, c0 = time.perf_counter(), time.process_time()
    for xb, yb in batches(X, Y, 64):
        if vc is not None:
            xb = xb.flatten(1).requires_grad_(True)
        opt.zero_grad()
        out = model(xb)
        loss = F.cross_entropy(out, yb)
        loss.backward()
        if vc is not None:  # the reference compute_vc: Σ x̃ᵀx̃ − xᵀx, x̃ = x − lr·∂L/∂x
            with torch.no_grad():
                xd = xb.detach()
                xp = xd - 0.05 * xb.grad
                vc += xp.T @ xp - xd.T @ xd
        opt.step()
        loss_sum += loss.item() * xb.shape[0]
        correct += int((out.argmax(1) == yb).sum())
        samples += xb.shape[0]
        steps += 1
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    extra = {"accuracy": correct / max(samples, 1), "cpu_seconds": cpu}
    if vc is not None:
        extra["vcs_trace"] = float(vc.diagonal().sum())
    return secs, steps, samples, loss_sum / max(samples, 1), extra


def train_vae(X, Y):
    model = VAE().to(DT)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    steps = samples = 0
    loss_sum = 0.0
    t0, c0 = time.perf_counter(), time.process_time()
    for xb, _ in batches(X, Y, 128):
        x = xb.flatten(1)
        opt.zero_grad()
        recon, mu, logvar = model(x)
        bce = F.binary_cross_entropy(recon, x, reduction="sum") / x.shape[0]
        kl = torch.mean(-0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1))
        loss = bce + 1.0 * kl
        loss.backward()
        opt.step()
        loss_sum += loss.item() * x.shape[0]
        samples += x.shape[0]
        steps += 1
    return time.perf_counter() - t0, steps, samples, loss_sum / max(samples, 1), {"cpu_seconds": time.process_time() - c0}


@torch.no_grad()
def layer_metrics(X, Y):
    model = dnn(4)
    N = 2000 if args.smoke else X.shape[0]
    bs = 1000
    t0, c0 = time.perf_counter(), time.process_time()
    Yc = F.one_hot(Y[:N], 10).to(DT)
    Yc = Yc - Yc.mean(0, keepdim=True)
    H = [torch.empty(N, 256, dtype=DT) for _ in range(4)]  # O(N·width) features per layer
    linears = [m for m in model if isinstance(m, nn.Linear)]
    for s in range(0, N, bs):
        h = X[s:s + bs].flatten(1)
        for l in range(4):
            h = F.gelu(linears[l](h))
            H[l][s:s + bs] = h
    tl, sur = [], []
    den = float(((Yc - Yc.mean(1, keepdim=True)) ** 2).sum())  # the reference code's denominator
    for l in range(4):
        G = H[l].T @ H[l]                        # normal equations (d×d), never N×N
        HY = H[l].T @ Yc
        B = torch.linalg.solve(G, HY)
        tl.append(1.0 - float(((Yc - H[l] @ B) ** 2).sum()) / den)
        sur.append(float(((linears[l + 1].weight @ HY) ** 2).sum()))  # Σ_c ‖Zᵀy_c‖², Z = H Wᵀ
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    return secs, (N + bs - 1) // bs, N, 0.0, {"tl": tl, "surrogate": sur, "cpu_seconds": cpu}


def read_text_batches(path):
    """The batches of gt_bench --write-batches (int32: magic, version, count, vocabulary, classes; per batch
    B, T, B·T ids, B·T padding flags, B labels) as (ids, key_padding_mask, labels) tensors."""
    w = np.fromfile(path, dtype="<i4")
    if w.size < 5 or w[0] != 0x42544754 or w[1] != 1:
        sys.exit(f"torch_reference: {path} is not a version-1 token-batch file of gt_bench --write-batches")
    count, vocab, classes = int(w[2]), int(w[3]), int(w[4])
    out, at = [], 5
    for i in range(count):
        if at + 2 > w.size:
            sys.exit(f"torch_reference: {path} ends inside batch {i} of {count}")
        B, T = int(w[at]), int(w[at + 1])
        at += 2
        need = 2 * B * T + B
        if at + need > w.size:
            sys.exit(f"torch_reference: {path} ends inside batch {i} of {count} (B {B}, T {T})")
        ids = torch.from_numpy(w[at:at + B * T].astype(np.int64)).reshape(B, T)
        pad = torch.from_numpy(w[at + B * T:at + 2 * B * T] != 0).reshape(B, T)
        labels = torch.from_numpy(w[at + 2 * B * T:at + need].astype(np.int64))
        at += need
        out.append((ids, pad, labels))
    return out, vocab, classes


class Encoder(nn.Module):
    """gt::nn::TransformerEncoder + SequenceClassifier: post-LN BERT-style layers (GELU, eps 1e-12), token +
    position embeddings, LayerNorm and dropout, then logits = classifier(dropout(tanh(pooler(h[:, 0]))))."""

    def __init__(self, vocab, classes, d=128, heads=4, layers=4, ff=512, max_len=64, p=0.1, eps=1e-12):
        super().__init__()
        self.token = nn.Embedding(vocab, d)
        self.position = nn.Embedding(max_len, d)
        self.norm = nn.LayerNorm(d, eps=eps)
        self.drop = nn.Dropout(p)
        self.layers = nn.ModuleList([nn.TransformerEncoderLayer(d, heads, ff, p, activation="gelu", layer_norm_eps=eps,
                                                                batch_first=True, norm_first=False)
                                     for _ in range(layers)])
        for layer in self.layers:  # gramtape's attention has no dropout on the probabilities (nn/transformer.hpp)
            layer.self_attn.dropout = 0.0
        self.pooler = nn.Linear(d, d)
        self.classifier = nn.Linear(d, classes)
        for m in self.modules():  # BERT init, as gramtape's: weights N(0, 0.02²), biases 0, LayerNorm 1 / 0
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, 0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)
            if isinstance(m, nn.MultiheadAttention):
                nn.init.normal_(m.in_proj_weight, 0.0, 0.02)
                nn.init.zeros_(m.in_proj_bias)

    def forward(self, ids, pad):
        pos = torch.arange(ids.shape[1])
        x = self.drop(self.norm(self.token(ids) + self.position(pos)))
        for layer in self.layers:
            x = layer(x, src_key_padding_mask=pad)
        return self.classifier(self.drop(torch.tanh(self.pooler(x[:, 0]))))


def linear_warmup_decay(step, warmup, total):
    """gt::nn::linear_warmup_decay (get_linear_schedule_with_warmup's factor)."""
    if step < warmup:
        return step / max(1, warmup)
    return max(0.0, (total - step) / max(1, total - warmup))


def train_transformer():
    if not args.batches:
        sys.exit("torch_reference: the transformer workload needs --batches FILE (gt_bench --write-batches)")
    data, vocab, classes = read_text_batches(args.batches)
    model = Encoder(vocab, classes, p=args.dropout).to(DT)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    total = len(data)  # the schedule spans the whole epoch, also in smoke mode
    warmup = math.ceil(0.1 * total)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: linear_warmup_decay(s, warmup, total))
    if args.smoke:
        data = data[:args.smoke_batches]
    steps = samples = correct = tokens = 0
    loss_sum = 0.0
    t0, c0 = time.perf_counter(), time.process_time()
    for ids, pad, yb in data:
        opt.zero_grad()
        out = model(ids, pad)
        loss = F.cross_entropy(out, yb)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        loss_sum += loss.item() * ids.shape[0]
        correct += int((out.argmax(1) == yb).sum())
        tokens += int((~pad).sum())
        samples += ids.shape[0]
        steps += 1
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    return secs, steps, samples, loss_sum / max(samples, 1), {"accuracy": correct / max(samples, 1), "tokens": tokens,
                                                              "dropout": args.dropout, "cpu_seconds": cpu}


def mnist_workload():
    X, Y, _Xtest = load_mnist()
    if args.workload == "vae":
        return train_vae(X, Y)
    if args.workload == "metrics":
        return layer_metrics(X, Y)
    return train_classifier(X, Y, args.workload)


def main():
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r = train_transformer() if args.workload == "transformer" else mnist_workload()
    secs, steps, samples, loss, extra = r
    cpu = extra.pop("cpu_seconds")
    out = {
        "impl": "pytorch", "workload": args.workload, "dtype": args.dtype, "threads": args.threads,
        "pool": args.pool, "smoke": args.smoke, "seconds": secs, "cpu_seconds": cpu, "steps": steps, "samples": samples,
        "loss": loss, "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "rss_before_kb": rss0,
        "blas_kernel": blas_kernel(), "openblas_coretype_env": os.environ.get("OPENBLAS_CORETYPE", ""),
        "torch": torch.__version__, "extra": extra,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
