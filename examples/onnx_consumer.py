"""Use a model exported by Training Workbench from any Python program.

Needs only onnxruntime and numpy (the csv module is in the standard library):

    pip install onnxruntime numpy
    python onnx_consumer.py model.onnx data.csv [predictions.csv]

The model has one input per feature column, named like the column:

* float32 [N, 1] for numeric, boolean (0/1) and datetime columns
  (datetime = days since 1970-01-01 UTC; this script accepts the number or an
  ISO date like 2024-05-17 or 2024-05-17T13:45:00), NaN when missing;
* string [N, 1] for categorical columns, "" when missing.

A classifier returns ``label`` (the class itself: a string such as
"Adelie" for a text target, an integer for a whole-number target) and
``probabilities``, whose column i is the class ``classes[i]`` of the model's
metadata.  A regressor returns ``variable``.  (Files exported by workbench
versions before format 2 held a class code in ``label``; their metadata has
no ``label_values`` key, and ``classes[code]`` is the class.)  The same rules work from C#, Java, C++ or JavaScript: read the
inputs from the session, build one column tensor per input, run.
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime, timezone

import numpy as np
import onnxruntime as ort

TRUE_WORDS = {"true", "yes", "y", "t", "1"}
FALSE_WORDS = {"false", "no", "n", "f", "0"}


def to_float(text: str, kind: str) -> float:
    """One CSV cell -> the float the model expects (NaN when missing)."""
    text = text.strip()
    if text == "":
        return float("nan")
    if kind == "boolean":
        low = text.lower()
        if low in TRUE_WORDS:
            return 1.0
        if low in FALSE_WORDS:
            return 0.0
    try:
        return float(text)
    except ValueError:
        if kind == "datetime":
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            return moment.timestamp() / 86400.0
        return float("nan")


def read_csv(path: str) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, list(reader)


def build_inputs(session: ort.InferenceSession, kinds: dict[str, str],
                 header: list[str], rows: list[list[str]]) -> dict[str, np.ndarray]:
    """One [N, 1] array per graph input, taken from the CSV column of that name."""
    feeds = {}
    for graph_input in session.get_inputs():
        name = graph_input.name
        if name not in header:
            sys.exit(f"error: the CSV has no column '{name}', which the model needs")
        j = header.index(name)
        cells = [row[j] if j < len(row) else "" for row in rows]
        if "string" in graph_input.type:
            feeds[name] = np.array(cells, dtype=object).reshape(-1, 1)
        else:
            kind = kinds.get(name, "numeric")
            feeds[name] = np.array([to_float(c, kind) for c in cells], dtype=np.float32).reshape(-1, 1)
    return feeds


def predict(model_path: str, csv_path: str) -> tuple[list[str], list[list[str]]]:
    """Predict every row of ``csv_path``; returns the output header and rows."""
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    kinds = {f["name"]: f["kind"] for f in json.loads(meta.get("features", "[]"))}
    classes = json.loads(meta.get("classes", "[]"))
    label_is_class = meta.get("label_values") == "classes"
    header, rows = read_csv(csv_path)
    outputs = dict(zip([o.name for o in session.get_outputs()],
                       session.run(None, build_inputs(session, kinds, header, rows))))
    out_header = header + ["prediction"]
    if "probabilities" in outputs:
        out_header += [f"proba_{c}" for c in classes]
    out_rows = []
    for i, row in enumerate(rows):
        if "variable" in outputs:
            prediction = repr(float(outputs["variable"][i].ravel()[0]))
        else:
            label = outputs["label"][i]
            if label_is_class or not classes:
                prediction = str(label)
            else:  # an older file: label is the class code
                prediction = str(classes[int(label)])
        extra = [repr(float(p)) for p in outputs["probabilities"][i]] if "probabilities" in outputs else []
        out_rows.append(row + [prediction] + extra)
    return out_header, out_rows


def main(argv: list[str]) -> None:
    if len(argv) not in (2, 3):
        sys.exit("usage: python onnx_consumer.py MODEL.onnx DATA.csv [OUT.csv]")
    out_header, out_rows = predict(argv[0], argv[1])
    if len(argv) == 3:
        with open(argv[2], "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(out_header)
            writer.writerows(out_rows)
        print(f"wrote {len(out_rows)} predictions to {argv[2]}")
    else:
        writer = csv.writer(sys.stdout)
        writer.writerow(out_header)
        writer.writerows(out_rows)


if __name__ == "__main__":
    main(sys.argv[1:])
