"""The HTTP prediction service, spoken to with real requests on 127.0.0.1."""

from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from workbench.engine.monitoring.check import read_serve_log
from workbench.engine.monitoring.drift import drift_report
from workbench.engine.monitoring.reference import build_reference_profile
from workbench.engine.onnx.export import export_onnx
from workbench.engine.onnx.predict import predict_onnx_to_csv
from workbench.engine.serving.server import ModelServer, ServeOptions

from onnx_helpers import mixed_frame, train

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "s3cret"
HEAVY = ("sklearn", "xgboost", "skl2onnx", "onnxmltools")


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    frame = mixed_frame(360, seed=12)
    model = train("xgboost", "classification", frame.iloc[:280])
    profile = build_reference_profile(model.coerce(frame.iloc[:280]), model.info.features)
    export_onnx(model, folder / "model.onnx", X_check=frame.iloc[280:], run_id="r-serve",
                reference_profile=profile)
    new = frame.iloc[280:].drop(columns=["species", "sex", "mass"]).reset_index(drop=True)
    new.to_csv(folder / "new.csv", index=False)
    return folder, model


@pytest.fixture(scope="module")
def server(model_file):
    folder, _ = model_file
    options = ServeOptions(port=0, token=TOKEN, log_path=str(folder / "requests.jsonl"),
                           max_body_bytes=200_000)
    srv = ModelServer(folder / "model.onnx", options)
    started = threading.Event()
    thread = threading.Thread(target=srv.run, kwargs={"on_started": lambda url: started.set()}, daemon=True)
    thread.start()
    assert started.wait(30), "the server did not start"
    yield srv
    srv.stop()
    thread.join(10)
    assert not thread.is_alive()


def call(server, path, body=None, *, content_type="application/json", token=TOKEN, method=None):
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    request = urllib.request.Request(server.url + path, data=data, method=method or ("POST" if data is not None else "GET"))
    if data is not None:
        request.add_header("Content-Type", content_type)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_binds_loopback_by_default_and_describes_the_model(server):
    assert server.url.startswith("http://127.0.0.1:")
    status, body = call(server, "/health")
    assert status == 200 and json.loads(body)["status"] == "ok"
    meta = json.loads(call(server, "/metadata")[1])
    assert meta["task"] == "classification" and meta["target"] == "species"
    assert meta["classes"] == ["Adelie", "Chinstrap", "Gentoo"] and meta["run_id"] == "r-serve"
    assert {f["name"]: f["kind"] for f in meta["features"]}["island"] == "categorical"
    spec = json.loads(call(server, "/openapi.json")[1])
    assert spec["openapi"].startswith("3.")
    assert "island" in spec["components"]["schemas"]["Row"]["properties"]
    assert "/predict" in spec["paths"]


def test_predict_json_answers_like_predict_model(server, model_file, tmp_path):
    folder, model = model_file
    new = pd.read_csv(folder / "new.csv")
    rows = json.loads(new.to_json(orient="records"))
    status, body = call(server, "/predict", {"rows": rows})
    assert status == 200
    answer = json.loads(body)
    predict_onnx_to_csv(folder / "model.onnx", folder / "new.csv", tmp_path / "cli.csv")
    cli = pd.read_csv(tmp_path / "cli.csv")
    assert answer["predictions"] == cli["prediction"].tolist()
    assert answer["classes"] == ["Adelie", "Chinstrap", "Gentoo"]
    proba = np.asarray(answer["probabilities"])
    np.testing.assert_allclose(proba, cli[[f"proba_{c}" for c in answer["classes"]]].to_numpy(), atol=1e-6)
    # and one object on its own
    one = json.loads(call(server, "/predict", rows[0])[1])
    assert one["predictions"] == [answer["predictions"][0]]


def test_predict_csv_answers_csv(server, model_file):
    folder, _ = model_file
    status, body = call(server, "/predict", (folder / "new.csv").read_bytes(), content_type="text/csv")
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert len(rows) == len(pd.read_csv(folder / "new.csv"))
    assert {"prediction", "proba_Adelie", "island"} <= set(rows[0])


def test_bad_bodies_get_4xx_naming_the_problem_and_the_service_stays_up(server, model_file):
    folder, _ = model_file
    row = json.loads(pd.read_csv(folder / "new.csv").iloc[:1].to_json(orient="records"))[0]
    cases = [
        (dict((k, v) for k, v in row.items() if k != "island"), 422, "island"),
        (dict(row, bill_length=" long"), 422, "bill_length"),
        (b"{not json", 400, "JSON"),
        (b"", 400, "empty"),
        ({"rows": []}, 400, "No rows"),
        ({"rows": [dict(row, island={"nested": 1})]}, 400, "island"),
        (b"x" * 300_000, 413, "limit"),
    ]
    for body, status, word in cases:
        got, answer = call(server, "/predict", body)
        assert got == status, (body if len(str(body)) < 200 else "big", answer)
        assert word in json.loads(answer)["error"]
    got, answer = call(server, "/predict", b"a,b\n", content_type="text/xml")
    assert got == 415
    assert call(server, "/predict", {"rows": [row]})[0] == 200


def test_token_is_required(server):
    status, body = call(server, "/predict", {"rows": []}, token=None)
    assert status == 401 and "token" in json.loads(body)["error"]
    assert call(server, "/health", token="wrong")[0] == 401


def test_the_request_log_feeds_drift_checks(server, model_file):
    folder, model = model_file
    rows = json.loads(pd.read_csv(folder / "new.csv").to_json(orient="records"))
    assert call(server, "/predict", {"rows": rows})[0] == 200
    logged = read_serve_log(folder / "requests.jsonl")
    assert len(logged) >= len(rows)
    last = logged.iloc[-len(rows):].reset_index(drop=True)  # this request's rows, as sent
    pd.testing.assert_frame_equal(last[list(pd.read_csv(folder / "new.csv").columns)],
                                  pd.read_csv(folder / "new.csv"), check_dtype=False)
    profile = build_reference_profile(model.coerce(mixed_frame(360, seed=12).iloc[:280]), model.info.features)
    report = drift_report(profile, last)
    assert report["rows"] == len(rows) and not report["drifted"], report["features"]


def _run(code: str, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def test_serving_process_never_imports_the_training_stack(model_file):
    folder, _ = model_file
    code = (
        "import sys, json, threading, urllib.request\n"
        "from workbench.engine.serving.server import ModelServer, ServeOptions\n"
        "srv = ModelServer(sys.argv[1], ServeOptions(port=0))\n"
        "ready = threading.Event()\n"
        "t = threading.Thread(target=srv.run, kwargs={'on_started': lambda u: ready.set()}, daemon=True)\n"
        "t.start(); ready.wait(30)\n"
        "rows = open(sys.argv[2]).read().encode()\n"
        "req = urllib.request.Request(srv.url + '/predict', data=rows, headers={'Content-Type': 'text/csv'})\n"
        "status = urllib.request.urlopen(req).status\n"
        "srv.stop(); t.join(10)\n"
        f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))\n"
        "print(json.dumps({'status': status, 'heavy': heavy}))\n"
    )
    done = _run(code, str(folder / "model.onnx"), str(folder / "new.csv"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"status": 200, "heavy": []}


def test_cli_serve_starts_answers_and_stops_on_ctrl_c(model_file):
    folder, _ = model_file
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli", "serve", "--model", str(folder / "model.onnx"),
                             "--port", "0"], stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        line = proc.stderr.readline()
        assert "Serving model.onnx" in line, line
        url = line.split(" at ")[1].split()[0]
        with urllib.request.urlopen(url + "/health", timeout=30) as response:
            assert json.loads(response.read())["status"] == "ok"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_served_connections_have_nagle_off():
    """A listening socket made with a plain socket() gave accepted connections
    proto 0, so asyncio left Nagle on and each answer waited ~40 ms for the
    client's delayed ACK."""
    import asyncio
    import socket

    from workbench.engine.serving.server import bind

    sock = bind("127.0.0.1", 0)
    seen = {}

    async def main() -> None:
        def accepted(reader, writer) -> None:
            seen["nodelay"] = writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            writer.close()

        server = await asyncio.start_server(accepted, sock=sock)
        _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.02)
        writer.close()
        server.close()
        await server.wait_closed()

    asyncio.run(main())
    assert seen["nodelay"] == 1
