"""scikit-learn classifiers over feature vectors: SVMs, forests, kNN, trees, MLP, logistic regression.

Every model is ``Pipeline(StandardScaler, estimator)``, so the scaler's mean and
variance come from the training data alone and are only applied to test data.
These models have no early stopping and do not use validation clips (``X_val``): whether
validation subjects also train the model is the protocol's decision (``val_in_training``),
applied by the runner alike to every model. ``predict_proba`` always returns one column per
class ``0..n_classes-1``: a class absent from the training data gets probability 0
(rows are renormalised to sum to one), and training data with a single class gives
that class probability 1. Everything random is seeded by the ``seed`` parameter,
or by the run's seed (``context.seed``) when it is not set.
SVM probabilities are Platt-scaled on cross-validated decision values (see
:func:`calibrated`), like ``SVC(probability=True)``, which scikit-learn 1.9 deprecates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from avbench import hookimpl
from avbench.contract import Features, Model, OutputKind, Params, stack

if TYPE_CHECKING:  # scikit-learn is imported where a model is built, not when the plugin is listed
    from sklearn.base import ClassifierMixin
    from sklearn.pipeline import Pipeline
    from sklearn.svm import SVC

ClassWeight = Literal["balanced"] | None


class SeedParams(Params):
    seed: int | None = Field(None, description="seeds the estimator's randomness; None: the run's seed")


class SklearnModel(Model):
    """Base of the scikit-learn models (not a plugin itself): subclasses build the estimator."""

    accepts: ClassVar[frozenset[OutputKind]] = frozenset({OutputKind.VECTOR})
    Params: ClassVar[type[SeedParams]] = SeedParams

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pipeline_: Pipeline | None = None
        self.n_classes_: int | None = None

    def estimator(self, labels: np.ndarray) -> ClassifierMixin:
        """A fresh, seeded, unfitted estimator for training data with these ``labels``."""
        raise NotImplementedError

    @property
    def seed(self) -> int:
        """``params.seed`` when set, else the seed the runner gives in the run context."""
        return self.params.seed if self.params.seed is not None else int(self.context.seed)

    def fit(self, X: Features, y: np.ndarray, *, n_classes: int, X_val: Features | None = None,
            y_val: np.ndarray | None = None) -> "SklearnModel":
        data, labels = _vectors(X, "X"), np.asarray(y, dtype=int)  # X_val is for early stopping: unused here
        if len(data) != len(labels):
            raise ValueError(f"{len(data)} feature vectors but {len(labels)} labels")
        if len(data) == 0:
            raise ValueError(f"{self.name}: no training data")
        if labels.min() < 0 or labels.max() >= n_classes:
            raise ValueError(f"labels must lie in 0..{n_classes - 1}, got {labels.min()}..{labels.max()}")
        from sklearn.dummy import DummyClassifier
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        single_class = len(np.unique(labels)) == 1
        final = DummyClassifier(strategy="prior") if single_class else self.estimator(labels)
        self.pipeline_ = Pipeline([("scale", StandardScaler()), ("model", final)])
        self.pipeline_.fit(data, labels)
        self.n_classes_ = n_classes
        return self

    def predict_proba(self, X: Features) -> np.ndarray:
        if self.pipeline_ is None or self.n_classes_ is None:
            raise RuntimeError(f"{self.name}: predict_proba called before fit")
        data = _vectors(X, "X")
        out = np.zeros((len(data), self.n_classes_), dtype=np.float64)
        if len(data) == 0:
            return out
        seen = self.pipeline_.classes_.astype(int)
        out[:, seen] = self.pipeline_.predict_proba(data)
        totals = out.sum(axis=1, keepdims=True)
        out = np.where(totals > 0, out / np.where(totals > 0, totals, 1.0), 1.0 / self.n_classes_)
        return out


def _vectors(X: Features, what: str) -> np.ndarray:
    data = stack(X)
    if len(X) and data.ndim != 2:
        raise ValueError(f"{what}: classical models take one vector per clip, got arrays of shape {data.shape[1:]}")
    if len(X) == 0:
        return data.reshape(0, 0)
    if not np.isfinite(data).all():
        bad = np.flatnonzero(~np.isfinite(data).all(axis=1))
        raise ValueError(f"{what}: {len(bad)} feature vector(s) hold NaN or inf (rows {bad[:10].tolist()})")
    return data


def calibrated(svc: SVC, labels: np.ndarray, seed: int) -> ClassifierMixin:
    """Platt-scaled probabilities for an SVM, the way ``SVC(probability=True)`` made them.

    scikit-learn 1.9 deprecates ``probability=True`` (gone in 1.11) for
    ``CalibratedClassifierCV(SVC(), ensemble=False)``: sigmoid calibration on
    cross-validated decision values (stratified, up to 5 seeded folds), then one SVM
    refitted on all the data. When some class has a single training vector no fold
    split exists: the probabilities are then a softmax of the one-vs-rest decision values.
    """
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.model_selection import StratifiedKFold

    from .softmax_svc import SoftmaxSVC

    smallest = int(np.unique(labels, return_counts=True)[1].min())
    if smallest < 2:
        return SoftmaxSVC(**svc.get_params())
    folds = StratifiedKFold(n_splits=min(5, smallest), shuffle=True, random_state=seed)
    return CalibratedClassifierCV(svc, method="sigmoid", cv=folds, ensemble=False)


class SvmRbf(SklearnModel):
    """RBF-kernel SVM with Platt-scaled probabilities (see :func:`calibrated`)."""

    name = "svm-rbf"
    version = "1.1"

    class Params(SeedParams):
        C: float = Field(
            1.0, gt=0,
            description="SVM penalty: larger fits the training data more tightly (features are standardised first)")
        gamma: Literal["scale", "auto"] | float = Field("scale", description="'scale', 'auto' or a positive float")
        class_weight: ClassWeight = Field(None, description="'balanced': weight classes by inverse frequency")

        @model_validator(mode="after")
        def _gamma(self) -> "SvmRbf.Params":
            if isinstance(self.gamma, float) and self.gamma <= 0:
                raise ValueError("gamma must be positive")
            return self

    def estimator(self, labels: np.ndarray) -> ClassifierMixin:
        from sklearn.svm import SVC

        p = self.params
        return calibrated(SVC(kernel="rbf", C=p.C, gamma=p.gamma, class_weight=p.class_weight,
                              random_state=self.seed), labels, self.seed)


class SvmLinear(SklearnModel):
    """Linear-kernel SVM with Platt-scaled probabilities (see :func:`calibrated`)."""

    name = "svm-linear"
    version = "1.1"

    class Params(SeedParams):
        C: float = Field(
            1.0, gt=0,
            description="SVM penalty: larger fits the training data more tightly (features are standardised first)")
        class_weight: ClassWeight = Field(None, description="'balanced': weight classes by inverse frequency")

    def estimator(self, labels: np.ndarray) -> ClassifierMixin:
        from sklearn.svm import SVC

        p = self.params
        return calibrated(SVC(kernel="linear", C=p.C, class_weight=p.class_weight, random_state=self.seed),
                          labels, self.seed)


class RandomForest(SklearnModel):
    """Random forest (single-threaded: the benchmark parallelises over folds, not trees)."""

    name = "random-forest"
    version = "1.1"
    stochastic = True  # bootstrap samples and feature draws follow the seed

    class Params(SeedParams):
        n_estimators: int = Field(300, ge=1, description="trees in the forest")
        max_depth: int | None = Field(None, ge=1, description="deepest tree; None: grow until leaves are pure")
        min_samples_leaf: int = Field(1, ge=1, description="fewest training vectors in a leaf")
        max_features: Literal["sqrt", "log2"] | float | None = Field(
            "sqrt", description="features tried per split: 'sqrt', 'log2', a fraction of them, or None (all)")
        class_weight: Literal["balanced", "balanced_subsample"] | None = Field(
            None, description="'balanced' or 'balanced_subsample': weight classes by inverse frequency")

    def estimator(self, labels: np.ndarray) -> ClassifierMixin:
        from sklearn.ensemble import RandomForestClassifier

        p = self.params
        return RandomForestClassifier(n_estimators=p.n_estimators, max_depth=p.max_depth,
                                      min_samples_leaf=p.min_samples_leaf, max_features=p.max_features,
                                      class_weight=p.class_weight, random_state=self.seed, n_jobs=1)


class Knn(SklearnModel):
    """k nearest neighbours on standardised vectors (k is capped at the number of training vectors)."""

    name = "knn"
    version = "1.1"

    class Params(SeedParams):
        k: int = Field(5, ge=1, description="neighbours (capped at the number of training vectors)")
        weights: Literal["uniform", "distance"] = Field("uniform",
                                                        description="'distance': weight neighbours by inverse distance")
        metric: Literal["euclidean", "manhattan", "cosine"] = Field("euclidean",
                                                                    description="distance between standardised vectors")

    def estimator(self, labels: np.ndarray) -> ClassifierMixin:
        from sklearn.neighbors import KNeighborsClassifier

        p = self.params
        return KNeighborsClassifier(n_neighbors=min(p.k, len(labels)), weights=p.weights, metric=p.metric)


class DecisionTree(SklearnModel):
    """A single CART decision tree."""

    name = "decision-tree"
    version = "1.1"

    class Params(SeedParams):
        criterion: Literal["gini", "entropy", "log_loss"] = Field("gini", description="split quality measure")
        max_depth: int | None = Field(None, ge=1, description="deepest tree; None: grow until leaves are pure")
        min_samples_leaf: int = Field(1, ge=1, description="fewest training vectors in a leaf")
        class_weight: ClassWeight = Field(None, description="'balanced': weight classes by inverse frequency")

    def estimator(self, labels: np.ndarray) -> ClassifierMixin:
        from sklearn.tree import DecisionTreeClassifier

        p = self.params
        return DecisionTreeClassifier(criterion=p.criterion, max_depth=p.max_depth,
                                      min_samples_leaf=p.min_samples_leaf, class_weight=p.class_weight,
                                      random_state=self.seed)


class Mlp(SklearnModel):
    """scikit-learn multi-layer perceptron (Adam, fixed iterations: no early stopping)."""

    name = "mlp"
    version = "1.1"
    stochastic = True  # initial weights and batch order follow the seed

    class Params(SeedParams):
        hidden_sizes: tuple[int, ...] = Field((256, 128), description="units per hidden layer")
        activation: Literal["relu", "tanh", "logistic"] = Field("relu", description="hidden layer activation")
        alpha: float = Field(1e-4, ge=0, description="L2 penalty")
        learning_rate: float = Field(1e-3, gt=0, description="Adam initial learning rate")
        batch_size: int = Field(64, ge=1, description="vectors per batch (capped at the training set size)")
        max_iter: int = Field(300, ge=1, description="training epochs (no early stopping)")

        @model_validator(mode="after")
        def _sizes(self) -> "Mlp.Params":
            if not self.hidden_sizes or min(self.hidden_sizes) < 1:
                raise ValueError(f"hidden_sizes must be positive layer sizes, got {self.hidden_sizes}")
            return self

    def estimator(self, labels: np.ndarray) -> ClassifierMixin:
        from sklearn.neural_network import MLPClassifier

        p = self.params
        return MLPClassifier(hidden_layer_sizes=p.hidden_sizes, activation=p.activation, alpha=p.alpha,
                             learning_rate_init=p.learning_rate, batch_size=min(p.batch_size, len(labels)),
                             max_iter=p.max_iter, early_stopping=False, random_state=self.seed)


class LogisticRegressionModel(SklearnModel):
    """Multinomial logistic regression (L2)."""

    name = "logistic-regression"
    version = "1.1"

    class Params(SeedParams):
        C: float = Field(1.0, gt=0, description="inverse L2 regularisation strength")
        max_iter: int = Field(2000, ge=1, description="most solver iterations")
        class_weight: ClassWeight = Field(None, description="'balanced': weight classes by inverse frequency")

    def estimator(self, labels: np.ndarray) -> ClassifierMixin:
        from sklearn.linear_model import LogisticRegression

        p = self.params
        return LogisticRegression(C=p.C, max_iter=p.max_iter, class_weight=p.class_weight, random_state=self.seed)


def __getattr__(name: str) -> Any:
    """``SoftmaxSVC`` (defined with scikit-learn in :mod:`.softmax_svc`) under its former name, for old pickles."""
    if name == "SoftmaxSVC":
        from .softmax_svc import SoftmaxSVC

        return SoftmaxSVC
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@hookimpl
def avbench_plugins() -> list[type]:
    return [SvmRbf, SvmLinear, RandomForest, Knn, DecisionTree, Mlp, LogisticRegressionModel]
