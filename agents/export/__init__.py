"""Trained policies out of pixelarena: `pixelarena export RUN --onnx FILE` for game engines (ONNX Runtime)."""
