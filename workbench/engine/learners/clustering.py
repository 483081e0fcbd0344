"""Clustering: k-means and agglomerative (hierarchical) clustering."""

from __future__ import annotations

from typing import Any

from workbench.engine.learners.base import Algorithm, BuildContext, Capabilities, ParamSpec
from workbench.engine.errors import SpecError
from workbench.engine.learners.common import CLUSTER

_N_CLUSTERS = ParamSpec(
    "n_clusters", "int", 8, low=2, high=10_000, search_low=2, search_high=20,
    help="Number of groups to find; compare a few values with the silhouette score.",
)


def _kmeans(params: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.cluster import KMeans

    p = dict(params)
    p["n_init"] = "auto" if p["n_init"] is None else p["n_init"]
    return KMeans(random_state=ctx.seed, **p)


def _agglomerative(params: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.cluster import AgglomerativeClustering

    if params["linkage"] == "ward" and params["metric"] != "euclidean":
        raise SpecError(
            f"agglomerative: linkage=ward works only with metric=euclidean (got {params['metric']}); "
            "choose another linkage or metric=euclidean."
        )
    return AgglomerativeClustering(**params)


KMEANS = Algorithm(
    key="kmeans",
    name="k-means",
    tasks=(CLUSTER,),
    description="Splits rows into k round groups around centres; fast, needs scaled features.",
    params=(
        _N_CLUSTERS,
        ParamSpec(
            "init", "choice", "k-means++", choices=("k-means++", "random"), tunable=False,
            help="How the first centres are chosen; k-means++ spreads them out and converges faster.",
        ),
        ParamSpec(
            "n_init", "int", None, low=1, high=1000, nullable=True, tunable=False,
            help="Restarts from different centres, best kept (none = automatic: 1 for k-means++, 10 for random).",
        ),
        ParamSpec(
            "max_iter", "int", 300, low=1, high=100_000, tunable=False,
            help="Most refinement rounds per restart.",
        ),
        ParamSpec(
            "algorithm", "choice", "lloyd", choices=("lloyd", "elkan"), tunable=False,
            help="Only speed differs; elkan can be faster with few, well-separated clusters.",
        ),
    ),
    factory=_kmeans,
    capabilities=Capabilities(onnx=True, importances=False),
)

AGGLOMERATIVE = Algorithm(
    key="agglomerative",
    name="Agglomerative clustering",
    tasks=(CLUSTER,),
    description="Merges the closest groups step by step; any cluster shape, memory grows with rows squared.",
    params=(
        ParamSpec(
            "n_clusters", "int", 2, low=2, high=10_000, search_low=2, search_high=20,
            help="Number of groups to find; compare a few values with the silhouette score.",
        ),
        ParamSpec(
            "linkage", "choice", "ward", choices=("ward", "complete", "average", "single"),
            help="How group distance is measured; ward makes compact groups, single follows chains.",
        ),
        ParamSpec(
            "metric", "choice", "euclidean", choices=("euclidean", "manhattan", "cosine"),
            help="Distance between rows (ward needs euclidean).",
        ),
    ),
    factory=_agglomerative,
    # No predict(): it labels only the rows it was fitted on, so no ONNX model.
    capabilities=Capabilities(onnx=False, importances=False),
)
