# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A softmax classifier on CIFAR-10
#
# The SVM only asks that the correct class beat the others by a margin. The softmax classifier
# reads the scores as (unnormalised) log-probabilities instead: exponentiate them, divide by
# their sum, and you get a probability for every class,
#
# $$p_j = \frac{e^{s_j}}{\sum_k e^{s_k}}.$$
#
# Its loss for one example is the negative log of the probability given to the correct class,
# $L_i = -\ln p_{y_i}$: 0 when the classifier is certain and right, large when it is confident and
# wrong. Again the full loss is the mean over the examples plus `reg * sum(W**2)`.
#
# **Which logarithm?** This kit always uses the natural log (`np.log`). Some slides compute the
# same loss with a base-10 log, which gives numbers 2.303 times smaller; the minimiser is the
# same, only the scale differs.
#
# You will write `softmax_loss_naive` and `softmax_loss_vectorized` in
# `cs_utils/classifiers/softmax.py`; the SGD code of `LinearClassifier` is shared with the SVM
# notebook. Cells marked **your code** are yours. Quoted numbers come from the seeded reference
# solution on full CIFAR-10, with their tolerance.
#
# **How long.** On the full CIFAR-10 the reference solution ran this notebook from top to bottom
# in about 4.5 minutes on a 2-core machine that other programs kept busy; expect less on an idle one.
#
# **Handing in.** When all three notebooks are done, save them (*File > Save*) and package them:
# in a new cell at the end of any notebook, after the setup cell has run,
# `from cs_utils.submit import submit; submit()`; or in a terminal in the kit folder,
# `python -m cs_utils.submit` (from inside `notebooks/`: `python ../cs_utils/submit.py`). It
# checks your work, writes `submission.zip` and says where to upload it.

# %% [markdown]
# ## Setup
#
# Run the next two cells first. Locally (Jupyter started inside the kit) nothing needs editing.
# On Colab, fill in **one** of the two settings: the kit's folder in your Google Drive, or where
# to copy the kit from if you do not use Drive. The data set is downloaded to the Colab machine's
# own disk either way. The setup cell prints a short hash and the modification time of each file
# you edit: when you change a file, rerun it and check that its hash changed.

# %%
KIT_DRIVE_FOLDER = ""  # Colab + Google Drive: the kit's folder inside "My Drive", e.g. "cs-kit"
KIT_SOURCE = ""  # Colab without Drive: a git URL (or a folder) to copy the kit from

# %% nbgrader={"grade": false, "solution": false, "locked": true, "grade_id": "softmax-setup", "schema_version": 3}
# Finds the kit, makes cs_utils importable with autoreload, fetches CIFAR-10 if needed.
# <include cs_utils/notebook_setup.py::locate_kit>

import sys

KIT_ROOT, SETTING = locate_kit(KIT_DRIVE_FOLDER, KIT_SOURCE)
sys.path.insert(0, str(KIT_ROOT))
from cs_utils.notebook_setup import setup_notebook

ENV = setup_notebook(KIT_ROOT, SETTING, ipython=get_ipython())

# %% nbgrader={"grade": false, "solution": false, "locked": true, "grade_id": "softmax-config", "schema_version": 3}
# Load the splits (the same as in the SVM notebook) and fix the training budget.
import json
import time

import matplotlib.pyplot as plt
import numpy as np

from cs_utils import vis_utils
from cs_utils.classifiers import Softmax, softmax_loss_naive, softmax_loss_vectorized, svm_loss_vectorized
from cs_utils.data_utils import CLASS_NAMES, load_CIFAR10, prepare_cifar10_splits
from cs_utils.gradient_check import grad_check_sparse

try:
    data = prepare_cifar10_splits(num_training=49000, num_validation=1000, num_test=1000, num_dev=500, seed=0)
    FULL_DATA = True
except ValueError:  # fewer than 50000 images: keep the proportions, shrink the sizes
    _, all_train_labels, _, all_test_labels = load_CIFAR10()  # load once, only to count
    num_images, num_test_images = len(all_train_labels), len(all_test_labels)
    data = prepare_cifar10_splits(
        num_training=num_images - num_images // 5,
        num_validation=num_images // 5,
        num_test=min(1000, num_test_images),
        num_dev=min(500, num_images // 2),
        seed=0,
    )
    FULL_DATA = False
    print("Reduced data set: the numbers quoted in the text apply to full CIFAR-10 only.")
# On a reduced data set (the grader's, or a quick local test) the loops below are shortened too.
NUM_ITERS = 1500 if FULL_DATA else 25  # SGD steps per training run
NUM_CHECK = 100 if FULL_DATA else 20  # dev images in the gradient checks
INIT_SCALE = 1e-4  # initial weights: INIT_SCALE * standard normal (see "Training" below)

X_train, y_train = data["X_train"], data["y_train"]
X_val, y_val = data["X_val"], data["y_val"]
X_test, y_test = data["X_test"], data["y_test"]
X_dev, y_dev = data["X_dev"], data["y_dev"]
for name in ("train", "val", "test", "dev"):
    print(f"{name:>5}: X {data['X_' + name].shape}, y {data['y_' + name].shape}")

# %% [markdown]
# ## The lecture's example
#
# The cat image of the SVM notebook had scores 3.2 (cat), 5.1 (car) and −1.7 (frog).
# Exponentiating gives 24.5, 164.0 and 0.18; dividing by their sum, 188.7, gives the
# probabilities **0.13, 0.87 and 0.00**. The correct class is cat, so the loss is
# −ln 0.13 = **2.04**. (With a base-10 log it would be 0.89.)
#
# **Implement `softmax_loss_naive`** and check it on this example, with the same identity trick
# as before: the "image" is the row of scores and `W` is the identity. You should see
# **2.0404** (to 1e-4).

# %%
scores = np.array([3.2, 5.1, -1.7])
probabilities = np.exp(scores) / np.sum(np.exp(scores))
print("exp(scores):  ", np.round(np.exp(scores), 2))
print("probabilities:", np.round(probabilities, 2))
loss, _ = softmax_loss_naive(np.eye(3), scores[np.newaxis, :], np.array([0]), reg=0.0)
print(
    f"your loss: {loss:.4f}   natural log: {-np.log(probabilities[0]):.4f}   "
    f"base 10: {-np.log10(probabilities[0]):.4f}"
)

# %% [markdown]
# ## Large scores
#
# `np.exp(789)` is far beyond the largest float64 (about 1.8e308), so computing the softmax
# literally breaks down for large scores: infinity divided by infinity is `nan`. The fix costs
# nothing: subtracting the same number from every score multiplies the numerator and the
# denominator by the same factor, so the probabilities do not change. Subtract the largest
# score, and every exponent is at most 0.

# %%
scores = np.array([123.0, 456.0, 789.0])
with np.errstate(over="ignore", invalid="ignore"):
    print("literal softmax:", np.exp(scores) / np.sum(np.exp(scores)))
shifted = scores - np.max(scores)  # [-666, -333, 0]
print("shifted scores: ", shifted)
print("stable softmax: ", np.exp(shifted) / np.sum(np.exp(shifted)))
for label in range(3):
    naive = softmax_loss_naive(np.eye(3), scores[np.newaxis, :], np.array([label]), 0.0)[0]
    print(f"correct class {label}: your loss {naive:.4f} (expected {[666.0, 333.0, 0.0][label]:.4f})")

# %% [markdown]
# Your loss must give **666, 333 and 0** (to 1e-9), with no warnings.
#
# ## The loss at the start of training
#
# With tiny random weights all ten scores are nearly equal, every probability is close to 1/10
# and the loss is close to −ln(1/10) = ln 10 = **2.3026**. For the seeded `W` below, on the 500 dev
# images, you should see **2.3199** (to 1e-4).

# %%
W = INIT_SCALE * np.random.default_rng(0).standard_normal((X_dev.shape[1], 10))  # (3073, 10)
loss, grad = softmax_loss_naive(W, X_dev, y_dev, reg=0.0)
print(f"initial loss {loss:.4f}; ln 10 = {np.log(10):.4f}")

# %% [markdown] nbgrader={"grade": false, "solution": false, "locked": true, "grade_id": "softmax-q1-question", "schema_version": 3}
# ### Question 1 (1 point)
#
# Your initial loss is not exactly ln 10. Say why it is close, and what makes it differ.

# %% [markdown] nbgrader={"grade": true, "solution": true, "locked": false, "points": 1, "grade_id": "softmax-q1-answer", "schema_version": 3}
# With weights of size 1e-4 every score is small, so the ten probabilities are all close to 1/10
# and each example's loss is close to −ln 0.1 = ln 10. The scores are not exactly equal (the
# weights are random, and images with large pixel values get larger scores), so the correct
# class gets a bit more or a bit less than 1/10, and the mean over 500 images lands near, not
# on, 2.3026.

# %% [markdown]
# ## Gradient check
#
# The softmax loss is smooth everywhere, so unlike the SVM there are no kinks: every relative
# error should be below **1e-6**. (The check uses the first `NUM_CHECK` dev images, 100, to be quick.)

# %%
X_check, y_check = X_dev[:NUM_CHECK], y_dev[:NUM_CHECK]
for reg in (0.0, 5e1):
    loss, grad = softmax_loss_naive(W, X_check, y_check, reg)
    print(f"reg = {reg}:")
    checks = grad_check_sparse(
        lambda w: softmax_loss_naive(w, X_check, y_check, reg)[0], W, grad, num_checks=10, seed=0
    )
    print(f"  largest relative error {max(c.rel_error for c in checks):.1e}\n")

# %% [markdown]
# ## Vectorized loss
#
# **Implement `softmax_loss_vectorized`.** Losses and gradients must match the naive version to
# 1e-9. The speed-up depends on the machine and its load: about 17 times on an idle 2-core
# reference machine, about 4 to 5 times when other programs keep its cores busy.

# %%
def best_time(function, repeats=5):
    """Shortest wall time of a few calls: the least disturbed by other programs."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


reg = 2.5e3
loss_naive, grad_naive = softmax_loss_naive(W, X_dev, y_dev, reg)
loss_vectorized, grad_vectorized = softmax_loss_vectorized(W, X_dev, y_dev, reg)
print(f"loss difference {abs(loss_naive - loss_vectorized):.1e}")
print(f"largest gradient difference {np.max(np.abs(grad_naive - grad_vectorized)):.1e}")
naive_seconds = best_time(lambda: softmax_loss_naive(W, X_dev, y_dev, reg), repeats=3)
vectorized_seconds = best_time(lambda: softmax_loss_vectorized(W, X_dev, y_dev, reg))
print(
    f"naive {naive_seconds * 1e3:.1f} ms, vectorized {vectorized_seconds * 1e3:.1f} ms: "
    f"{naive_seconds / vectorized_seconds:.0f}x faster"
)

# %% [markdown]
# ## Training
#
# `Softmax` shares `train` and `predict` with `LinearSVM`; only the loss differs. Every run below
# starts from the same small random weights, `INIT_SCALE * randn` with `INIT_SCALE = 1e-4` and seed
# 0. The starting scale matters here: with the fairly weak regularization that works best on this
# data, the decay term `2 * reg * W` removes large initial weights only slowly, and their noise
# would still be in the final classifier.
#
# With `learning_rate=3e-7, reg=1e3` and `NUM_ITERS` steps you should see a first minibatch loss of
# **2.6176** (to 1e-3).

# %%
def new_softmax(seed=0):
    """A Softmax classifier whose weights start at INIT_SCALE * randn (seeded)."""
    classifier = Softmax()
    classifier.W = INIT_SCALE * np.random.RandomState(seed).randn(X_train.shape[1], 10)
    return classifier


softmax = new_softmax()
start = time.perf_counter()
loss_history = softmax.train(X_train, y_train, learning_rate=3e-7, reg=1e3, num_iters=NUM_ITERS, verbose=True, seed=0)
print(f"training took {time.perf_counter() - start:.1f} s")
fig = vis_utils.plot_loss_curve(loss_history)
plt.show()
print(f"training accuracy {np.mean(softmax.predict(X_train) == y_train):.3f}")
print(f"validation accuracy {np.mean(softmax.predict(X_val) == y_val):.3f}")

# %% [markdown]
# ## Tuning
#
# **Your code.** Train one classifier per pair of the grid with `new_softmax()` and
# `train(..., num_iters=NUM_ITERS, seed=0)`; store
# `results[(learning_rate, reg)] = (training accuracy, validation accuracy)` and keep the best one
# by validation accuracy in `best_softmax`, with `best_val` and `best_params`. No pair in the grid
# diverges. On full CIFAR-10 each run takes about 20 s to a minute on a 2-core machine, depending
# on what else runs on it, so the cell takes about 1.5 to 4 minutes, and you should see the best
# validation accuracy **0.402** at learning rate 1e-6 and reg 1e3 (exact for the seeded runs; the
# target is at least 0.39), and a test accuracy of 0.379.

# %% nbgrader={"grade": false, "solution": true, "locked": false, "grade_id": "softmax-tuning", "schema_version": 3}
learning_rates = [5e-7, 1e-6]
regularization_strengths = [1e3, 2.5e3]
results = {}
best_val = -1.0
best_softmax = None
best_params = None

### BEGIN SOLUTION
for learning_rate in learning_rates:
    for reg in regularization_strengths:
        candidate = new_softmax()
        candidate.train(X_train, y_train, learning_rate=learning_rate, reg=reg, num_iters=NUM_ITERS, seed=0)
        train_accuracy = float(np.mean(candidate.predict(X_train) == y_train))
        val_accuracy = float(np.mean(candidate.predict(X_val) == y_val))
        results[(learning_rate, reg)] = (train_accuracy, val_accuracy)
        if val_accuracy > best_val:
            best_val, best_softmax, best_params = val_accuracy, candidate, (learning_rate, reg)
### END SOLUTION

for (learning_rate, reg), (train_accuracy, val_accuracy) in sorted(results.items()):
    print(f"lr {learning_rate:.0e}  reg {reg:.1e}: train {train_accuracy:.3f}  val {val_accuracy:.3f}")
print(f"best validation accuracy {best_val:.3f} with learning rate {best_params[0]:g}, reg {best_params[1]:g}")

# %%
fig = vis_utils.plot_hyperparameter_grid(results)
plt.show()

# %% [markdown]
# The chosen classifier meets the test set once. This cell saves your choice and both
# accuracies to `notebooks/results/softmax.json`, with the training settings needed to repeat
# the run.

# %% nbgrader={"grade": false, "solution": false, "locked": true, "grade_id": "softmax-final", "schema_version": 3}
test_accuracy = float(np.mean(best_softmax.predict(X_test) == y_test))
print(f"validation accuracy {best_val:.3f}, test accuracy {test_accuracy:.3f}")

ENV.results_dir.mkdir(parents=True, exist_ok=True)
summary = {
    "learning_rate": float(best_params[0]),
    "reg": float(best_params[1]),
    "val_accuracy": round(float(best_val), 4),
    "test_accuracy": round(test_accuracy, 4),
    "num_iters": NUM_ITERS,
    "init_scale": INIT_SCALE,
    "seed": 0,
}
(ENV.results_dir / "softmax.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
print("saved", ENV.results_dir / "softmax.json", summary)

# %% [markdown]
# ## Weight templates

# %%
fig = vis_utils.plot_weight_templates(best_softmax.W, CLASS_NAMES)
plt.show()

# %% [markdown] nbgrader={"grade": false, "solution": false, "locked": true, "grade_id": "softmax-q2-question", "schema_version": 3}
# ### Question 2 (2 points)
#
# Compare these templates with the SVM's (the last figure of `svm.ipynb`). Both sets show a
# coarse colour layout for each class, but the SVM's are covered in fine pixel-by-pixel noise and
# these are smooth. Why do the two classifiers learn the same layouts, and where does the SVM's
# noise come from? Hint: both runs start from the same random weights (`new_svm` and
# `new_softmax`); compare the learning rates the two searches chose, and think about what the
# regularization gradient `2 * reg * W` does to the weights at every step.

# %% [markdown] nbgrader={"grade": true, "solution": true, "locked": false, "points": 2, "grade_id": "softmax-q2-answer", "schema_version": 3}
# The layouts agree because both classifiers score an image by a dot product with one template
# per class and learn from the same images: blue for airplane and ship, green or brown
# surroundings for the animals, a car-coloured shape in the middle for automobile and truck.
#
# The noise is what is left of the starting weights, `1e-4 * randn`, which are pure pixel noise.
# Besides the data term, every step subtracts `learning_rate * 2 * reg * W`, so it multiplies the
# weights by `1 - 2 * learning_rate * reg`. The softmax search chose learning rate 1e-6 with reg
# 1e3: after 1500 steps `(1 - 2e-3)**1500` is about 0.05, and only 5% of the starting noise is
# left. The SVM's best run used learning rate 2e-7: `(1 - 4e-4)**1500` is about 0.55, so about
# half of the noise is still there, about as large as what the SVM learned. Subtracting 0.55
# times the starting weights from the SVM's `W` leaves templates that look much like these.

# %% [markdown]
# ## SVM and softmax on the same scores
#
# Three score vectors from the lecture, each with class 0 correct: `[10, -2, 3]`, `[10, 9, 9]` and
# `[10, -100, -100]`. Then each one "jiggled": the two wrong scores raised by 0.5.

# %%
cases = np.array([[10.0, -2.0, 3.0], [10.0, 9.0, 9.0], [10.0, -100.0, -100.0]])
jiggle = np.array([0.0, 0.5, 0.5])
label = np.array([0])
print(f"{'scores':>22} {'SVM':>8} {'softmax':>9} | {'jiggled SVM':>11} {'softmax':>9}")
for row in cases:
    loss_fns = (svm_loss_vectorized, softmax_loss_vectorized)
    before = [loss_fn(np.eye(3), row[np.newaxis, :], label, 0.0)[0] for loss_fn in loss_fns]
    after = [loss_fn(np.eye(3), (row + jiggle)[np.newaxis, :], label, 0.0)[0] for loss_fn in loss_fns]
    print(f"{str(row.tolist()):>22} {before[0]:8.4f} {before[1]:9.4f} | {after[0]:11.4f} {after[1]:9.4f}")

# %% [markdown]
# You should see SVM losses **0, 0, 0**, and **0, 1.0, 0** after the jiggle: only `[10, 9, 9]`
# had a wrong score within the margin, and each of its two wrong scores now costs 0.5. The
# softmax losses are **0.0009, 0.5514, 0.0000** before and **0.0015, 0.7944, 0.0000** after (to
# 1e-4): every one of them grows, the last by about 1e-44, far below what is printed.

# %% [markdown] nbgrader={"grade": false, "solution": false, "locked": true, "grade_id": "softmax-q3-question", "schema_version": 3}
# ### Question 3 (2 points)
#
# True or false: you can add a new example to the training set that leaves the total SVM loss
# (the sum over the examples) unchanged, but no such example exists for the softmax loss.
# Explain with the table above.

# %% [markdown] nbgrader={"grade": true, "solution": true, "locked": false, "points": 2, "grade_id": "softmax-q3-answer", "schema_version": 3}
# True. An example whose correct score beats every other score by at least the margin adds
# exactly 0 to the SVM loss, like `[10, -2, 3]` or `[10, -100, -100]`. The softmax loss of an
# example is −ln p of its class, and p < 1 for any finite scores, so every new example adds a
# positive amount (tiny for `[10, -100, -100]`, but not zero). The SVM is satisfied once the
# margin is met; the softmax always wants more.

# %% [markdown]
# ## Optional extensions (not graded)
#
# Try these if you have time; nothing later depends on them.
#
# * **Squared hinge.** Replace `max(0, margin)` by `max(0, margin)**2` in a copy of your SVM
#   loss. Its gradient is `2 * max(0, margin)` instead of 0 or 1: no kink at 0 any more. Does the
#   gradient check still flag kinks?
# * **L1 and elastic-net regularization.** Replace `reg * sum(W**2)` by `reg * sum(abs(W))`, or a
#   mix of both. The L1 gradient is `reg * sign(W)`. Look at the weight templates: L1 favours
#   weights that are exactly 0.
# * **Momentum.** The cell below compares plain SGD with SGD plus momentum (a velocity that
#   accumulates past gradients, `v = 0.9 * v - lr * grad; W += v`) on the same minibatches.

# %%
def sgd_curve(momentum, learning_rate=1e-7, reg=1e3, steps=200, seed=0):
    """Minibatch losses of SGD with momentum (0 = plain SGD) on the softmax loss."""
    batches = np.random.RandomState(seed)
    weights = INIT_SCALE * np.random.RandomState(seed).randn(X_train.shape[1], 10)
    velocity = np.zeros_like(weights)
    losses = []
    for _ in range(steps):
        rows = batches.choice(len(X_train), 200)
        loss, grad = softmax_loss_vectorized(weights, X_train[rows], y_train[rows], reg)
        velocity = momentum * velocity - learning_rate * grad
        weights = weights + velocity
        losses.append(loss)
    return losses


fig, ax = plt.subplots(layout="constrained")
for momentum in (0.0, 0.9):
    vis_utils.plot_loss_curve(sgd_curve(momentum, steps=200 if FULL_DATA else 30), ax=ax, label=f"momentum {momentum}")
ax.legend()
plt.show()
