"""Real-time serving: an exported model behind a local HTTP service
(Starlette + uvicorn, the optional ``[serve]`` extra), on onnxruntime only."""
