"""Image embeddings on the CPU with onnxruntime: EfficientNet-Lite0's ImageNet features.

The model file ships with the package (`model/`, made by `scripts/export_vision_model.py`, licence
beside it), so nothing is downloaded at run time and PyTorch is never needed. The session is built
on first use; decoding and inference run in a worker thread, at most `concurrency` at once.

The vector: the last feature map (1280 channels, 7 x 7) pooled with generalized mean pooling
(GeM, p = 3, which weighs the object over the background more than a plain average), made
unit-length, so that the inner product of two vectors is their cosine similarity.
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from shoppable.domain.errors import DomainError, ErrorCode

MODEL_DIR = Path(__file__).resolve().parent / "model"
MODEL_FILE = MODEL_DIR / "efficientnet_lite0.onnx"
MODEL_NAME = "efficientnet-lite0-gem3@1"
INPUT_SIZE = 224
DIMENSIONS = 1280
GEM_POWER = 3.0
_FORMATS = ["JPEG", "PNG", "WEBP", "HEIF"]


def preprocess(image: Image.Image) -> np.ndarray:
    """RGB, 224 x 224 (the whole picture, squeezed), normalised as the model was trained: (x - 127) / 128."""
    rgb = image.convert("RGB").resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BILINEAR)
    array = (np.asarray(rgb, dtype=np.float32) - 127.0) / 128.0
    return array.transpose(2, 0, 1)[None]


def pool(features: np.ndarray) -> np.ndarray:
    """(batch, 1280, h, w) feature maps -> (batch, 1280) unit vectors by GeM pooling."""
    clipped = np.clip(features, 1e-6, None)
    pooled = np.power(np.mean(np.power(clipped, GEM_POWER), axis=(2, 3)), 1.0 / GEM_POWER)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def decode(data: bytes, max_pixels: int) -> Image.Image:
    """Decode and turn upright; refusals as userErrors (the caller's photo, or a merchant's image)."""
    try:
        image = Image.open(io.BytesIO(data), formats=_FORMATS)
        width, height = image.size
        if width * height > max_pixels:
            raise DomainError.single(
                ("byteSize",),
                ErrorCode.TOO_LARGE,
                f"Images may have at most {max_pixels / 1e6:g} megapixels.",
            )
        image.draft("RGB", (INPUT_SIZE * 2, INPUT_SIZE * 2))  # JPEG: decode at a reduced scale
        upright = ImageOps.exif_transpose(image)
        upright.load()
        return upright
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise DomainError.single(
            ("contentType",), ErrorCode.UNSUPPORTED_MEDIA_TYPE, "The file is not an image we can read."
        ) from exc


class OnnxImageEmbedder:
    """Implements `shoppable.domain.vision.ports.ImageEmbedder`."""

    def __init__(
        self, model_file: Path = MODEL_FILE, *, concurrency: int = 2, threads_per_run: int = 1
    ) -> None:
        self.model_file = model_file
        self._session: Any = None
        self._lock = threading.Lock()
        self._slots = asyncio.Semaphore(concurrency)
        self.threads_per_run = threads_per_run

    @property
    def model_name(self) -> str:
        return MODEL_NAME

    def _load(self) -> Any:
        with self._lock:
            if self._session is None:
                import onnxruntime

                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = self.threads_per_run
                options.inter_op_num_threads = 1
                options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
                self._session = onnxruntime.InferenceSession(
                    str(self.model_file), sess_options=options, providers=["CPUExecutionProvider"]
                )
            return self._session

    def embed_images(self, images: list[Image.Image]) -> np.ndarray:
        """Synchronous: (n, 1280) unit vectors for already decoded images."""
        if not images:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        batch = np.concatenate([preprocess(image) for image in images])
        features = self._load().run(None, {"image": batch})[0]
        return pool(features)

    def embed_bytes(self, data: bytes, max_pixels: int) -> np.ndarray:
        return self.embed_images([decode(data, max_pixels)])[0]

    async def embed(self, data: bytes, *, max_pixels: int) -> np.ndarray:
        async with self._slots:
            return await asyncio.to_thread(self.embed_bytes, data, max_pixels)


def model_manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((MODEL_DIR / "manifest.json").read_text())
    return manifest
