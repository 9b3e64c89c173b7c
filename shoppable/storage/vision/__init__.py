"""Visual search adapters: the repository, the ONNX embedder, the vector index (and the model file)."""
