"""Within-class pruning scores from query models: high score = kept first.

Every scorer ranks the samples of a class; the class quotas come from the allocator.
Scores from several query initialisations are averaged (DRoP paper, Section 5), and each
scorer's query models train as the official code trains them (:data:`QUERY_PROTOCOLS`,
avysogorets/fair-data-pruning ``config.py``): EL2N and GraNd from 5 models trained for
int(0.1 E) epochs, the others from one model trained for E epochs.

- ``random``: uniform draws (random pruning inside classes, the paper's recommendation);
- ``el2n``: ||softmax(f(x)) - onehot(y)||_2 (Paul et al., 2021);
- ``grand``: ||grad_theta loss(x, y)||_2, per sample by ``vmap`` of ``grad`` (Paul et al., 2021);
- ``forgetting``: the number of correct -> wrong transitions between the training mini-batches
  that see a sample, epoch after epoch; as the official code, a sample never classified
  correctly has 0 events and is pruned first.  ``forgetting-toneva`` gives it more events than
  any learned sample, so it is kept first (Toneva et al., 2019);
- ``dynamic-uncertainty``: the mean over sliding windows of epochs of the (unbiased) standard
  deviation of the true-class probability; as the official code, windows of J - 1 = 9 epochs
  that skip the last epoch.  ``dynamic-uncertainty-he`` uses windows of J = 10 over every
  epoch (He et al., 2023);
- ``coreset``: greedy k-center order on embeddings, first picked = highest (Sener and
  Savarese, 2018): one order over all samples for the class-blind baseline (the official
  code's), one order within each class under a quoter;
- ``ssp``: distance to the class-mean embedding (a supervised SSP, Sorscher et al., 2022);
- ``gmm-uncertainty``: a Gaussian per class in embedding space; the mean of how atypical the
  sample is for its class (chi-square CDF of its squared Mahalanobis distance) and how
  ambiguous (one minus the posterior of its class).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from scipy.special import gammainc, logsumexp

from gmm_theory._checks import check_choice
from gmm_theory._stats import shrunk_covariance
from gmm_theory.twoclass.montecarlo import selection

#: The within-class scorers (high score = kept first): ``random`` (uniform draws),
#: ``el2n`` and ``grand`` (Paul et al., 2021), ``forgetting`` (the official code's convention)
#: and ``forgetting-toneva`` (Toneva et al., 2019), ``dynamic-uncertainty`` (the official
#: code's windows) and ``dynamic-uncertainty-he`` (He et al., 2023), ``coreset`` (greedy
#: k-center, Sener and Savarese, 2018), ``ssp`` (distance to the class mean, Sorscher et al.,
#: 2022) and ``gmm-uncertainty`` (atypicality and ambiguity under one Gaussian per class).
SCORERS = ("random", "el2n", "grand", "forgetting", "forgetting-toneva", "dynamic-uncertainty",
           "dynamic-uncertainty-he", "coreset", "ssp", "gmm-uncertainty")
DYNAMIC_SCORERS = ("forgetting", "forgetting-toneva", "dynamic-uncertainty", "dynamic-uncertainty-he")
EMBEDDING_SCORERS = ("coreset", "ssp", "gmm-uncertainty")
DYNAMIC_UNCERTAINTY_WINDOW = 10


class QueryProtocol(NamedTuple):
    """How a scorer's query models train: ``inits`` models, each for ``epoch_fraction`` of the
    recipe's E epochs (at least one)."""

    inits: int
    epoch_fraction: float

    def epochs(self, epochs: int) -> int:
        return max(1, int(self.epoch_fraction * epochs))


FULL_QUERY = QueryProtocol(1, 1.0)
QUERY_PROTOCOLS = {"el2n": QueryProtocol(5, 0.1), "grand": QueryProtocol(5, 0.1)}


def query_protocol(scorer: str) -> QueryProtocol:
    return QUERY_PROTOCOLS.get(scorer, FULL_QUERY)


# Dynamic Uncertainty needs two usable epochs: the official convention skips the last one.
MINIMUM_QUERY_EPOCHS = {"dynamic-uncertainty": 3, "dynamic-uncertainty-he": 2}


def check_query_epochs(scorer: str, epochs: int) -> None:
    """A one-line error when ``scorer``'s query models would train too few epochs for it."""
    needed = MINIMUM_QUERY_EPOCHS.get(scorer, 1)
    if epochs < needed:
        raise ValueError(f"scorer {scorer!r} needs query models trained at least {needed} epochs, got {epochs}")


def check_scorer(name: str) -> None:
    check_choice("scorer", name, SCORERS)


CLASS_BLIND_CORESET = "coreset-class-blind"


def score_key(scorer: str, quoter: str) -> str:
    """The name of the scores a (scorer, quoter) pair reads: CoreSet's class-blind baseline
    ranks by one k-center order over all samples, every other pair by the scorer's own."""
    return CLASS_BLIND_CORESET if (scorer, quoter) == ("coreset", "class-blind") else scorer


def scorer_of(key: str) -> str:
    return "coreset" if key == CLASS_BLIND_CORESET else key


def el2n_scores(logits, y) -> jax.Array:
    """||softmax(logits) - onehot(y)||_2 per sample."""
    probabilities = jax.nn.softmax(logits, axis=-1)
    return jnp.linalg.norm(probabilities - jax.nn.one_hot(y, logits.shape[-1]), axis=-1)


@functools.partial(jax.jit, static_argnames=("model",))
def _gradient_norms(model, variables, x, y):
    params = variables["params"]
    others = {k: v for k, v in variables.items() if k != "params"}

    def loss(p, xi, yi):
        logits, _ = model.apply({"params": p, **others}, xi[None], train=False)
        return optax.softmax_cross_entropy_with_integer_labels(logits, yi[None])[0]

    grads = jax.vmap(jax.grad(loss), in_axes=(None, 0, 0))(params, x, y)
    squares = sum(jnp.sum(g.reshape(g.shape[0], -1) ** 2, axis=-1) for g in jax.tree.leaves(grads))
    return jnp.sqrt(squares)


def grand_scores(model, variables, x, y, chunk_size: int = 64) -> np.ndarray:
    """||grad_params loss(x_i, y_i)||_2 per sample (evaluation mode), ``chunk_size`` at a time."""
    pieces = [_gradient_norms(model, variables, x[i:i + chunk_size], y[i:i + chunk_size])
              for i in range(0, x.shape[0], chunk_size)]
    return np.concatenate([np.asarray(p) for p in pieces])


def forgetting_scores(correct, *, convention: str = "official") -> np.ndarray:
    """Forgetting events per sample from ``correct`` (epochs, N) booleans: the correct ->
    wrong transitions between consecutive epochs.  Never-correct samples score 0
    (``"official"``) or epochs + 1, more than any learned sample can have (``"toneva"``)."""
    check_choice("convention", convention, ("official", "toneva"))
    correct = np.asarray(correct, dtype=bool)
    events = np.sum(correct[:-1] & ~correct[1:], axis=0).astype(np.float64)
    if convention == "official":
        return events
    return np.where(correct.any(axis=0), events, correct.shape[0] + 1.0)


def dynamic_uncertainty_scores(true_class_probabilities, window: int = DYNAMIC_UNCERTAINTY_WINDOW, *,
                               convention: str = "official") -> np.ndarray:
    """Mean over sliding windows of epochs of the unbiased std of the true-class probability,
    from ``true_class_probabilities`` (epochs, N).

    ``"official"``: windows of ``window - 1`` epochs over all epochs but the last, as the
    official code's ``scorers/dynamic_uncertainty.py`` in effect computes; ``"he"``: windows of
    ``window`` epochs over every epoch (He et al., 2023).  Shorter trainings take the longest
    window they allow; at least two epochs must be usable.
    """
    check_choice("convention", convention, ("official", "he"))
    p = np.asarray(true_class_probabilities, dtype=np.float64)
    if convention == "official":
        p, window = p[:-1], window - 1
    if p.shape[0] < 2:
        raise ValueError(f"true_class_probabilities must span at least {3 if convention == 'official' else 2} "
                         f"epochs, got {np.shape(true_class_probabilities)[0]}")
    windows = np.lib.stride_tricks.sliding_window_view(p, max(2, min(window, p.shape[0])), axis=0)
    return windows.std(axis=-1, ddof=1).mean(axis=0)


def k_center_order(points, *, batch: int = 256, candidates: int = 64, pool_size: int = 2048) -> np.ndarray:
    """Greedy k-center (Sener and Savarese, 2018): start at the point nearest the mean, then
    repeatedly take the point farthest from all points taken so far (ties: the lowest index).
    Returns each point's pick position.

    Exact, but lazy, because one pass over the data per pick is what makes the plain loop slow
    (60,000 x 256 floats, 60,000 times).  Each point keeps an upper bound of its squared
    distance to the taken points.  New centres are applied to every bound ``batch`` at a time,
    by one matrix product.  A pick refines only the ``candidates`` largest bounds of a pool of
    the ``pool_size`` largest, against the centres not yet applied: a refined distance larger
    than every other bound is the farthest point.  When none is, the pending centres are
    applied to every bound and the pool is drawn again.  Squared distances are
    |x|^2 + |c|^2 - 2 x.c in float64, 0 below 1e-12 (|x|^2 + |c|^2), their rounding error.
    """
    x = np.asarray(points, dtype=np.float64)
    n = x.shape[0]
    norms = np.einsum("ij,ij->i", x, x)
    bounds = np.full(n, np.inf)
    positions = np.full(n, -1, dtype=np.int64)
    pending: list[int] = []
    pool, outside = np.arange(n), -np.inf

    def nearest(rows, centres):
        scale = norms[rows, None] + norms[centres][None, :]
        squared = scale - 2.0 * (x[rows] @ x[centres].T)
        # Below the expression's rounding error the points coincide: exactly 0, so that
        # duplicates tie and the lowest index wins, as in the plain loop.
        return np.where(squared > 1e-12 * scale, squared, 0.0).min(axis=1)

    def apply_pending():
        nonlocal pending, pool, outside
        if pending:
            np.minimum(bounds, nearest(slice(None), pending), out=bounds)
            pending = []
        if n > pool_size:
            order = np.argpartition(-bounds, pool_size)
            pool, outside = order[:pool_size], bounds[order[pool_size]]

    current = int(np.argmin(np.sum((x - x.mean(axis=0)) ** 2, axis=1)))
    for step in range(n):
        positions[current] = step
        bounds[current] = -np.inf
        pending.append(current)
        if step == n - 1:
            break
        if len(pending) >= batch:
            apply_pending()
        values = bounds[pool]
        if values.size > candidates:
            order = np.argpartition(-values, candidates)
            top, rest = pool[order[:candidates]], max(values[order[candidates]], outside)
            bounds[top] = np.minimum(bounds[top], nearest(top, pending)) if pending else bounds[top]
            best = bounds[top].max()
            if best > rest:
                current = int(top[bounds[top] == best].min())
                continue
        apply_pending()
        current = int(np.argmax(bounds))
    return positions


def coreset_scores(embeddings, y, *, within_classes: bool = True) -> np.ndarray:
    """n_k - pick position within class k of greedy k-center on the embeddings, or, with
    ``within_classes=False``, N - pick position of one greedy k-center over all samples (its
    top-k is the official baseline's class-blind k-center selection)."""
    embeddings, y = np.asarray(embeddings), np.asarray(y)
    if not within_classes:
        return (y.shape[0] - k_center_order(embeddings)).astype(np.float64)
    scores = np.empty(y.shape[0])
    for k in np.unique(y):
        members = np.flatnonzero(y == k)
        scores[members] = members.size - k_center_order(embeddings[members])
    return scores


def ssp_scores(embeddings, y) -> np.ndarray:
    """Euclidean distance of each embedding to its class's mean embedding, the Monte Carlo
    engine's SSP score (:func:`gmm_theory.twoclass.montecarlo.selection.class_mean_distance`)."""
    y = jnp.asarray(y)
    distances = selection.class_mean_distance(jnp.asarray(embeddings), y, int(y.max()) + 1)
    return np.asarray(distances, dtype=np.float64)


def gmm_uncertainty_scores(embeddings, y, shrinkage: float = 0.1) -> np.ndarray:
    """Mean of atypicality and ambiguity under one Gaussian per class in embedding space.

    Class k: mean m_k, covariance (1 - s) C_k + s tr(C_k)/E I (shrunk for stability).
    Atypicality = chi2_E CDF of the squared Mahalanobis distance to the sample's own class;
    ambiguity = 1 - P(y | z) under class priors proportional to class sizes.
    """
    z, y = np.asarray(embeddings, dtype=np.float64), np.asarray(y)
    dimension = z.shape[1]
    present = np.unique(y)
    log_joint, mahalanobis = [], []
    for k in present:
        members = z[y == k]
        covariance = shrunk_covariance(members, shrinkage) + 1e-9 * np.eye(dimension)
        cholesky = np.linalg.cholesky(covariance)
        whitened = np.linalg.solve(cholesky, (z - members.mean(axis=0)).T).T
        squared = np.sum(whitened ** 2, axis=-1)
        log_det = 2 * np.sum(np.log(np.diag(cholesky)))
        log_joint.append(np.log(members.shape[0] / z.shape[0]) - 0.5 * (squared + log_det))
        mahalanobis.append(squared)
    log_joint, mahalanobis = np.stack(log_joint, axis=-1), np.stack(mahalanobis, axis=-1)
    rows, column = np.arange(y.shape[0]), np.searchsorted(present, y)
    posterior = np.exp(log_joint[rows, column] - logsumexp(log_joint, axis=-1))
    atypicality = gammainc(dimension / 2, mahalanobis[rows, column] / 2)
    return 0.5 * (atypicality + 1 - posterior)
