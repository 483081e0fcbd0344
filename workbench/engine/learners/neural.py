"""Multi-layer perceptron (scikit-learn's MLP)."""

from __future__ import annotations

from typing import Any

from workbench.engine.learners.base import Algorithm, BuildContext, Capabilities, ParamSpec
from workbench.engine.learners.common import CLF_REG, class_weight, early_stopping_rounds, pick
from workbench.engine.learners.iterative import fit_epochs


def _mlp(params: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.neural_network import MLPClassifier

    # Regression learns the standardised target (an MLP cannot reach a target
    # of ~150 in a few epochs from near-zero weights); see target_scaling.
    from workbench.engine.learners.target_scaling import StandardizedMLPRegressor

    p = dict(params)
    p.pop("class_weight", None)  # "balanced": per-row weights in our fitter
    layers = (p.pop("hidden_units"),) * p.pop("hidden_layers")
    rounds = p.pop("early_stopping_rounds")
    # Our fitter runs one partial_fit per epoch and applies early stopping on
    # the run's validation rows; these sklearn params keep the same meaning
    # for a plain fit of a clone.
    return pick(ctx.task, MLPClassifier, StandardizedMLPRegressor)(
        hidden_layer_sizes=layers,
        random_state=ctx.seed,
        early_stopping=rounds > 0,
        n_iter_no_change=max(rounds, 1),
        **p,
    )


MLP = Algorithm(
    key="mlp",
    name="Neural network (MLP)",
    tasks=CLF_REG,
    description="A fully connected neural network trained epoch by epoch; needs scaled features.",
    params=(
        ParamSpec(
            "hidden_layers", "int", 1, low=1, high=10, search_high=4,
            help="Number of hidden layers; more can model more complex patterns but train slower.",
        ),
        ParamSpec(
            "hidden_units", "int", 100, low=1, high=4096, log=True, search_low=8, search_high=512,
            help="Neurons per hidden layer; more capacity, more risk of overfitting.",
        ),
        ParamSpec(
            "activation", "choice", "relu", choices=("relu", "tanh", "logistic"),
            help="Non-linearity of the hidden neurons; relu trains fastest in most cases.",
        ),
        ParamSpec(
            "solver", "choice", "adam", choices=("adam", "sgd"), tunable=False,
            help="Optimiser; adam needs little tuning, sgd may generalise better with a tuned learning rate.",
        ),
        ParamSpec(
            "alpha", "float", 1e-4, low=0.0, high=100.0, log=True, search_low=1e-6, search_high=1.0,
            help="L2 penalty on the weights; raise it if the network overfits.",
        ),
        ParamSpec(
            "learning_rate_init", "float", 1e-3, low=1e-6, high=1.0, log=True, search_low=1e-4,
            search_high=0.1,
            help="Step size of the optimiser; lower it if the loss curve jumps around.",
        ),
        ParamSpec(
            "batch_size", "int", 200, low=1, high=100_000, log=True, search_low=16, search_high=1024,
            help="Rows per gradient step; smaller steps are noisier but can generalise better.",
        ),
        ParamSpec(
            "max_iter", "int", 200, low=1, high=100_000, tunable=False,
            help="Most epochs (passes over the training rows).",
        ),
        ParamSpec(
            "tol", "float", 1e-4, low=0.0, high=1.0, tunable=False,
            help="An epoch counts as an improvement only if the validation loss drops by more than this.",
        ),
        class_weight(),
        early_stopping_rounds(10),
    ),
    factory=_mlp,
    capabilities=Capabilities(iterative=True, early_stopping=True, onnx=True, importances=False),
    fitter=fit_epochs,
)
