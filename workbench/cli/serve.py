"""``workbench serve``: a run's model (or any exported .onnx) as a local HTTP service.

The serving process runs onnxruntime only; a run that has not been exported
yet is exported once by a child process.  Ctrl-C stops the service.
"""

from __future__ import annotations

import sys
from typing import Any


def add_parser(subparsers: Any) -> None:
    from workbench.cli.support import nonneg_int

    s = subparsers.add_parser(
        "serve", help="serve a run's model over HTTP (GET /health /metadata /openapi.json, POST /predict)")
    s.add_argument("inputs", nargs="*", metavar="PROJECT RUN")
    s.add_argument("--model", help="an exported .onnx file instead of PROJECT RUN")
    s.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    s.add_argument("--port", type=nonneg_int, default=8080, help="port (default 8080; 0: any free port)")
    s.add_argument("--token", help="require 'Authorization: Bearer TOKEN' on every request")
    s.add_argument("--log", metavar="FILE.jsonl",
                   help="append every predicted row to this file (for 'workbench drift')")
    s.add_argument("--max-body-mb", type=float, default=10.0, help="largest request body (default 10 MB)")
    s.set_defaults(func=cmd_serve)


def cmd_serve(args: Any) -> int:
    from workbench.cli.support import CliError
    from workbench.engine import ModelServer, ServeOptions, ensure_onnx

    if args.model:
        if args.inputs:
            raise CliError("serve takes PROJECT RUN or --model FILE.onnx, not both.")
        path = args.model
    elif len(args.inputs) == 2:
        path = ensure_onnx(args.inputs[0], args.inputs[1])
    else:
        raise CliError("serve needs PROJECT RUN (or --model FILE.onnx).")
    if args.max_body_mb <= 0:
        raise CliError("--max-body-mb must be positive.")
    options = ServeOptions(host=args.host, port=args.port, token=args.token, log_path=args.log,
                           max_body_bytes=int(args.max_body_mb * 1024 * 1024))
    server = ModelServer(path, options)
    if args.host not in ("127.0.0.1", "localhost", "::1") and not args.token:
        print(f"warning: listening on {args.host} without --token: anyone who can reach this "
              "machine can use the model.", file=sys.stderr)

    def started(url: str) -> None:
        print(f"Serving {server.backend.name} ({server.backend.task}) at {url}  "
              f"(POST {url}/predict, GET {url}/metadata, {url}/openapi.json; Ctrl-C stops)",
              file=sys.stderr, flush=True)

    try:
        server.run(on_started=started)
    except KeyboardInterrupt:  # uvicorn stops cleanly, then re-raises the Ctrl-C it caught
        pass
    print("Stopped.", file=sys.stderr)
    return 0
