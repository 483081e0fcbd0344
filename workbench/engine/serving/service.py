"""The prediction service: HTTP requests in, predictions out (Starlette).

Routes:

* ``GET /health`` -> ``{"status": "ok", "model", "task"}``;
* ``GET /metadata`` -> features with their types, target, task, classes,
  run id, algorithm, metrics;
* ``POST /predict`` with JSON ``{"rows": [{...}, ...]}``, a list of row
  objects, or one row object -> ``{"predictions": [...], "probabilities":
  [[...]] | null, "classes": [...]}``; with ``Content-Type: text/csv`` -> the
  CSV back with ``prediction`` and ``proba_<class>`` columns;
* ``GET /openapi.json`` -> an OpenAPI 3.1 description with the model's
  columns as the row schema.

Bad input (a missing column, a value of the wrong type, a body that is not
JSON, an empty body, a body over the size limit) answers 4xx with
``{"error": "..."}`` naming the column; an unexpected failure answers 500 the
same way; the service stays up either way.  With a token, every request
needs ``Authorization: Bearer <token>`` (else 401).  With a log file, every
predicted row is appended as one JSON line ``{"time", "request", "row",
"prediction"}`` which ``workbench drift`` reads.
"""

from __future__ import annotations

import hmac
import io
import json
import math
import os
import threading
import time
from typing import Any, Callable

import numpy as np
import pandas as pd

from workbench.engine.errors import DataError

MAX_BODY_BYTES = 10 * 1024 * 1024
# Requests up to this size predict on the event loop (a single row takes
# ~0.1 ms; a hop to the thread pool would cost more); bigger ones in a thread.
INLINE_BODY_BYTES = 64 * 1024
# Bodies read as JSON; curl -d sends form-urlencoded, which people mean as JSON.
JSON_CONTENT_TYPES = ("application/json", "", "text/json", "text/plain", "application/x-www-form-urlencoded")
JSON_TYPES = {"numeric": "number", "boolean": "boolean", "datetime": "string", "categorical": "string"}


class RequestError(Exception):
    """A client error: ``status`` and a message for the person who sent it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class PredictionLog:
    """Appends every predicted row as a JSON line (thread-safe, flushed per request)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        self._fh = open(self.path, "a", encoding="utf-8")
        self._requests = 0

    def write(self, frame: pd.DataFrame, predictions: list[Any]) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        rows = frame.to_dict(orient="records")
        with self._lock:
            self._requests += 1
            lines = [
                json.dumps({"time": stamp, "request": self._requests, "row": _json_row(row), "prediction": p},
                           default=str)
                for row, p in zip(rows, predictions)
            ]
            self._fh.write("\n".join(lines) + "\n")
            self._fh.flush()

    def close(self) -> None:
        with self._lock:
            self._fh.close()


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    return {str(k): _json_value(v) for k, v in row.items()}


def _json_value(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


class PredictionService:
    """The framework-free part: parse a body, predict, build the answer."""

    def __init__(self, backend: Any, *, log_path: str | os.PathLike | None = None) -> None:
        self.backend = backend
        self.log = PredictionLog(log_path) if log_path else None
        self.names = [f.name for f in backend.features]

    # -- descriptions ------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return {"status": "ok", "model": self.backend.name, "task": self.backend.task}

    def metadata(self) -> dict[str, Any]:
        b = self.backend
        return {
            "model": b.name,
            "run_id": b.run_id,
            "algorithm": b.algorithm,
            "task": b.task,
            "target": b.target,
            "classes": [_json_value(c) for c in b.classes],
            "has_probabilities": bool(b.has_probabilities),
            "features": [{"name": f.name, "kind": f.kind, "json_type": JSON_TYPES.get(f.kind, "string")}
                         for f in b.features],
            "metrics": b.metrics,
        }

    # -- prediction --------------------------------------------------------
    def rows_from_json(self, body: bytes) -> Any:
        if not body.strip():
            raise RequestError(400, "The request body is empty; send {\"rows\": [{...}]} or one row object.")
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise RequestError(400, f"The request body is not valid JSON: {exc}.") from None
        if isinstance(data, dict) and "rows" in data and not any(n == "rows" for n in self.names):
            data = data["rows"]
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise RequestError(400, "Expected {\"rows\": [{column: value, ...}, ...]}, a list of row "
                                    "objects, or one row object.")
        if not data:
            raise RequestError(400, "No rows to predict ('rows' is empty).")
        for i, row in enumerate(data):
            for name, value in row.items():
                if isinstance(value, (dict, list)):
                    raise RequestError(400, f"Column '{name}' in row {i + 1} holds a {type(value).__name__}; "
                                            "each value must be a number, string, boolean or null.")
        return data

    def predict_json(self, body: bytes) -> dict[str, Any]:
        rows = self.rows_from_json(body)
        predictions, proba = self._predict(rows)
        if self.log is not None:
            self.log.write(pd.DataFrame(rows), predictions)
        return {
            "predictions": predictions,
            "probabilities": None if proba is None else proba.tolist(),
            "classes": [_json_value(c) for c in self.backend.classes] if self.backend.task == "classification"
            else None,
        }

    def predict_csv(self, body: bytes) -> str:
        if not body.strip():
            raise RequestError(400, "The request body is empty; send a CSV with a header row.")
        try:
            frame = pd.read_csv(io.BytesIO(body))
        except Exception as exc:  # pandas raises several kinds for bad CSV
            raise RequestError(400, f"The body is not a readable CSV: {str(exc).strip().splitlines()[0]}") from None
        if frame.empty:
            raise RequestError(400, "The CSV has a header but no rows.")
        predictions, proba = self._predict(frame)
        out = frame.copy()
        out["prediction"] = predictions
        if proba is not None:
            for i, c in enumerate(self.backend.classes):
                out[f"proba_{c}"] = proba[:, i]
        if self.log is not None:
            self.log.write(frame, predictions)
        return out.to_csv(index=False)

    def _predict(self, data: Any) -> tuple[list[Any], np.ndarray | None]:
        try:
            labels, proba = self.backend.predict(data)
        except DataError as exc:
            raise RequestError(422, str(exc)) from None
        return [_json_value(v) for v in np.asarray(labels, dtype=object).tolist()], proba

    def close(self) -> None:
        if self.log is not None:
            self.log.close()

    # -- OpenAPI -------------------------------------------------------------
    def openapi(self) -> dict[str, Any]:
        b = self.backend
        row = {
            "type": "object",
            "required": self.names,
            "properties": {
                f.name: {"type": [JSON_TYPES.get(f.kind, "string"), "null"],
                         "description": f"{f.kind} feature" + (" (ISO date or days since 1970-01-01)"
                                                               if f.kind == "datetime" else "")}
                for f in b.features
            },
        }
        prediction = {"type": ["string", "number", "integer", "boolean", "null"]}
        error = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}
        err = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        secured: dict[str, Any] = {"security": [{"bearer": []}]}
        return {
            "openapi": "3.1.0",
            "info": {"title": f"Training Workbench model {b.name}", "version": "1",
                     "description": f"{b.task} model" + (f" predicting '{b.target}'" if b.target else "")},
            "paths": {
                "/health": {"get": {"summary": "Liveness", **secured,
                                    "responses": {"200": {"description": "The service is up"}}}},
                "/metadata": {"get": {"summary": "Features, target, task, classes, run id, metrics", **secured,
                                      "responses": {"200": {"description": "Model description"}}}},
                "/predict": {"post": {
                    "summary": "Predict rows", **secured,
                    "requestBody": {"required": True, "content": {
                        "application/json": {"schema": {"oneOf": [
                            {"type": "object", "properties": {"rows": {"type": "array",
                                                                        "items": {"$ref": "#/components/schemas/Row"}}},
                             "required": ["rows"]},
                            {"type": "array", "items": {"$ref": "#/components/schemas/Row"}},
                            {"$ref": "#/components/schemas/Row"},
                        ]}},
                        "text/csv": {"schema": {"type": "string"}},
                    }},
                    "responses": {
                        "200": {"description": "Predictions", "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Predictions"}},
                            "text/csv": {"schema": {"type": "string"}}}},
                        "400": {"description": "Unreadable body", **err},
                        "401": {"description": "Missing or wrong bearer token", **err},
                        "413": {"description": "Body over the size limit", **err},
                        "415": {"description": "Unsupported content type", **err},
                        "422": {"description": "A column is missing or holds values of the wrong type", **err},
                    },
                }},
            },
            "components": {
                "schemas": {
                    "Row": row,
                    "Predictions": {"type": "object", "properties": {
                        "predictions": {"type": "array", "items": prediction},
                        "probabilities": {"type": ["array", "null"], "items": {"type": "array",
                                                                               "items": {"type": "number"}}},
                        "classes": {"type": ["array", "null"]},
                    }},
                    "Error": error,
                },
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            },
        }


def build_app(service: PredictionService, *, token: str | None = None, max_body_bytes: int = MAX_BODY_BYTES) -> Any:
    """The Starlette application around ``service``."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    expected = f"Bearer {token}".encode() if token else None

    def error(status: int, message: str) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse({"error": message}, status_code=status, headers=headers)

    def authorized(request: Request) -> bool:
        if expected is None:
            return True
        given = request.headers.get("authorization", "").encode()
        return hmac.compare_digest(given, expected)

    async def read_body(request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_body_bytes:
            raise RequestError(413, f"The body is {int(declared):,} bytes; the limit is {max_body_bytes:,}.")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_body_bytes:
                raise RequestError(413, f"The body is over the limit of {max_body_bytes:,} bytes.")
            chunks.append(chunk)
        return b"".join(chunks)

    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            if not authorized(request):
                return error(401, "Missing or wrong token: send 'Authorization: Bearer <token>'.")
            try:
                return await handler(request)
            except RequestError as exc:
                return error(exc.status, str(exc))
            except Exception as exc:  # never take the service down for one request
                return error(500, f"Prediction failed: {type(exc).__name__}: {exc}")

        return endpoint

    async def health(request: Request) -> Response:
        return JSONResponse(service.health())

    async def metadata(request: Request) -> Response:
        return JSONResponse(service.metadata())

    async def openapi(request: Request) -> Response:
        return JSONResponse(service.openapi())

    async def predict(request: Request) -> Response:
        body = await read_body(request)
        kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        work: Callable[[bytes], Any]
        if kind in ("text/csv", "application/csv"):
            work, media = service.predict_csv, "text/csv"
        elif kind in JSON_CONTENT_TYPES or kind.endswith("+json"):
            work, media = service.predict_json, None
        else:
            raise RequestError(415, f"Unsupported Content-Type '{kind}'; send application/json or text/csv.")
        result = work(body) if len(body) <= INLINE_BODY_BYTES else await run_in_threadpool(work, body)
        if media:
            return Response(result, media_type=media)
        return JSONResponse(result)

    routes = [
        Route("/health", guarded(health), methods=["GET"]),
        Route("/metadata", guarded(metadata), methods=["GET"]),
        Route("/openapi.json", guarded(openapi), methods=["GET"]),
        Route("/predict", guarded(predict), methods=["POST"]),
    ]
    return Starlette(routes=routes)
