# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A multiclass SVM on CIFAR-10
#
# A linear classifier gives every class a score, `s = x · W`: one column of `W` per class, one row
# per pixel value (plus one for the bias). Training means finding a `W` whose scores rank the
# right class first. To make "right" measurable we need a **loss**, a number that is large when
# the scores are bad; then **optimization** searches for the `W` with a small loss.
#
# This notebook uses the multiclass SVM (hinge) loss. For one example with correct class `y`,
#
# $$L_i = \sum_{j \ne y} \max(0,\; s_j - s_y + 1),$$
#
# so every wrong class whose score comes within a margin of 1 of the correct one adds to the
# loss. The full loss is the mean over the examples plus `reg * sum(W**2)`.
#
# You will write `svm_loss_naive`, `svm_loss_vectorized` (in `cs_utils/classifiers/linear_svm.py`)
# and the SGD loop and `predict` of `LinearClassifier` (in `linear_classifier.py`), then look at
# the loss from several sides before tuning the classifier. Cells marked **your code** are yours.
#
# **Numbers you should see** come from the seeded reference solution on full CIFAR-10; each one
# states its tolerance. On a reduced data set only the comparisons between your own functions
# apply.
#
# **How long.** On the full CIFAR-10 the reference solution ran this notebook from top to bottom
# in about 4 minutes on a 2-core machine that other programs kept busy; expect less on an idle one.
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

# %% nbgrader={"grade": false, "solution": false, "locked": true, "grade_id": "svm-setup", "schema_version": 3}
# Finds the kit, makes cs_utils importable with autoreload, fetches CIFAR-10 if needed.
# <include cs_utils/notebook_setup.py::locate_kit>

import sys

KIT_ROOT, SETTING = locate_kit(KIT_DRIVE_FOLDER, KIT_SOURCE)
sys.path.insert(0, str(KIT_ROOT))
from cs_utils.notebook_setup import setup_notebook

ENV = setup_notebook(KIT_ROOT, SETTING, ipython=get_ipython())

# %% nbgrader={"grade": false, "solution": false, "locked": true, "grade_id": "svm-config", "schema_version": 3}
# Load the splits. Full CIFAR-10 gives the real sizes; a smaller data set scales them down.
import json
import time

import matplotlib.pyplot as plt
import numpy as np

from cs_utils import vis_utils
from cs_utils.classifiers import LinearSVM, svm_loss_naive, svm_loss_vectorized
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
BUDGET = 100 if FULL_DATA else 30  # loss evaluations per search strategy
INIT_SCALE = 1e-4  # initial weights: INIT_SCALE * standard normal (see "Stochastic gradient descent")

X_train, y_train = data["X_train"], data["y_train"]
X_val, y_val = data["X_val"], data["y_val"]
X_test, y_test = data["X_test"], data["y_test"]
X_dev, y_dev = data["X_dev"], data["y_dev"]
for name in ("train", "val", "test", "dev"):
    print(f"{name:>5}: X {data['X_' + name].shape}, y {data['y_' + name].shape}")

# %% [markdown]
# ## Preprocessing
#
# Two small changes make the linear classifier easier to train.
#
# **Mean subtraction.** Every pixel value is between 0 and 255, so all of them are positive and
# the scores of all classes move together with the overall brightness. Subtracting the mean
# training image centres every pixel value around 0. The same mean (computed on the training
# set only) is subtracted from the validation, test and dev images.
#
# **The bias trick.** A linear score usually has a bias, `s = x · W + b`. Appending a constant 1
# to every image turns `b` into one more row of `W`, so the code only ever handles `W`. That is
# why the rows have 3073 = 3072 + 1 entries.

# %%
image = X_train[0, :-1]  # the first training image, mean subtracted, bias entry dropped
fig, axes = plt.subplots(1, 3, figsize=(6, 2.4), layout="constrained")
vis_utils.plot_image_grid(
    [data["mean_image"].reshape(32, 32, 3), (image + data["mean_image"]).reshape(32, 32, 3)],
    titles=["mean image", "an image"],
    ax=axes[:2],
)
vis_utils.plot_image_grid(
    [image.reshape(32, 32, 3)], titles=["minus the mean\n(rescaled)"], ax=axes[2:], rescale_each=True
)
plt.show()
print("last column of X_train (the bias feature):", np.unique(X_train[:, -1]))

# %% [markdown]
# ## The loss on the lecture's example
#
# Three images, a cat, a car and a frog, and the scores some `W` gives them for the three classes
# cat, car and frog:
#
# | score for | cat image | car image | frog image |
# |---|---|---|---|
# | cat  | **3.2** | 1.3 | 2.2 |
# | car  | 5.1 | **4.9** | 2.5 |
# | frog | -1.7 | 2.0 | **-3.1** |
#
# Worked by hand for the cat image: the car score beats the cat score by 1.9, which with the
# margin of 1 costs 2.9; the frog score is 4.9 below it, which costs nothing. So the cat image's
# loss is 2.9, the car image's is 0 (both other scores are more than 1 below 4.9), the frog
# image's is 6.3 + 6.6 = 12.9, and the mean is 15.8 / 3 = 5.27.
#
# **Implement `svm_loss_naive`**, then check it on this example. The trick to feed fixed scores
# through a linear classifier: make the "images" the rows of scores and `W` the identity, so that
# `X @ W` is the score table itself. You should see **2.9, 0.0, 12.9 and mean 5.2667**
# (to 1e-12).

# %%
example_scores = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])  # one row per image
example_labels = np.array([0, 1, 2])  # cat, car, frog
identity = np.eye(3)
for row, name in enumerate(["cat", "car", "frog"]):
    loss, _ = svm_loss_naive(identity, example_scores[row : row + 1], example_labels[row : row + 1], reg=0.0)
    print(f"{name:>4} image: loss {loss:.4f}")
loss, _ = svm_loss_naive(identity, example_scores, example_labels, reg=0.0)
print(f"mean loss: {loss:.4f}")

# %% [markdown]
# ## The loss at the start of training
#
# With tiny random weights every score is close to 0, so each of the C − 1 = 9 wrong classes
# costs about `0 - 0 + 1 = 1`: the loss should be close to **9**. For the seeded `W` below, on the
# 500 dev images, you should see **8.6494** (to 1e-4) with `reg = 0`.

# %%
W = INIT_SCALE * np.random.default_rng(0).standard_normal((X_dev.shape[1], 10))  # (3073, 10)
loss, grad = svm_loss_naive(W, X_dev, y_dev, reg=0.0)
print(f"initial loss {loss:.4f} (expected about C - 1 = 9)")

# %% [markdown]
# ## Checking the gradient, and what a kink is
#
# `svm_loss_naive` also returns the gradient `dW`. A numerical check nudges single entries of
# `W` by `h = 1e-5` in both directions and compares the change of the loss with `dW`. For a smooth
# loss the relative error is tiny (below about 1e-7). The hinge `max(0, margin)` is not smooth:
# its slope jumps from 0 to 1 where the margin is 0. If a nudge of `±h` moves some example's
# margin across 0, the numerical slope is a blend of the two sides and disagrees with the
# analytic one although both are right. `grad_check_sparse` detects these *kinks* and labels
# them; only an error without that label points to a bug.
#
# First the smallest possible case, `f(x) = max(0, x)` checked at `x = h/2`, half a step right
# of its kink. The derivative there is 1, and you should see a numerical value of **0.75** flagged
# as a kink:

# %%
x = np.array([0.5e-5])
kink_demo = grad_check_sparse(lambda v: max(0.0, v[0]), x, np.array([1.0]), num_checks=1, h=1e-5)

# %% [markdown]
# Now your gradient, at 10 random entries of `W` (seed 0), without and with regularization. The check is
# computed on the first `NUM_CHECK` dev images (100) to keep it quick. With weights this small every margin is
# close to 1, far from the kink at 0, so you should see **0 of 10** checks at a kink and every
# error below 1e-8.

# %%
X_check, y_check = X_dev[:NUM_CHECK], y_dev[:NUM_CHECK]
for reg in (0.0, 5e1):
    loss, grad = svm_loss_naive(W, X_check, y_check, reg)
    print(f"reg = {reg}:")
    checks = grad_check_sparse(lambda w: svm_loss_naive(w, X_check, y_check, reg)[0], W, grad, num_checks=10, seed=0)
    smooth = [c.rel_error for c in checks if not c.at_kink]
    print(
        f"  {len(checks) - len(smooth)} of {len(checks)} checks sit at a kink; "
        f"largest error elsewhere {max(smooth, default=0.0):.1e}\n"
    )

# %% [markdown] nbgrader={"grade": false, "solution": false, "locked": true, "grade_id": "svm-q1-question", "schema_version": 3}
# ### Question 1 (3 points)
#
# (a) Give a one-dimensional function with a kink and a point `x` where a centred difference with
# step `h` disagrees with the derivative. (b) Is a mismatch at a kink a reason to doubt your
# gradient? (c) How would the share of checks that land on a kink change if the margin in the
# loss were 0.01 instead of 1? And if `h` were 1e-7?

# %% [markdown] nbgrader={"grade": true, "solution": true, "locked": false, "points": 3, "grade_id": "svm-q1-answer", "schema_version": 3}
# (a) `f(x) = max(0, x)` at `x = h / 2`: the derivative there is 1, but the centred difference is
# `(f(1.5h) - f(-0.5h)) / (2h) = 1.5h / 2h = 0.75`.
#
# (b) No. The analytic gradient uses one side's slope (a valid subgradient); the numerical one
# averages across the kink. A mismatch only matters away from kinks.
#
# (c) With tiny random weights all scores are near 0, so margins sit near the margin constant.
# A margin of 0.01 puts almost every hinge within reach of the `±h` nudge, so far more checks
# land on kinks; a margin of 1 keeps most hinges away from 0. A smaller `h` makes it rarer to
# cross a kink, because the nudge has to hit a narrower band.

# %% [markdown]
# ## Vectorized loss
#
# **Implement `svm_loss_vectorized`** without loops over examples or classes. It must agree
# with the naive version: losses to 1e-9 and gradients to 1e-9 (largest absolute difference). How
# much faster it is depends on the machine and on what else runs on it: about 18 times on an idle
# 2-core reference machine, only about 4 to 5 times when other programs keep its cores busy.

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
loss_naive, grad_naive = svm_loss_naive(W, X_dev, y_dev, reg)
loss_vectorized, grad_vectorized = svm_loss_vectorized(W, X_dev, y_dev, reg)
print(f"loss difference {abs(loss_naive - loss_vectorized):.1e}")
print(f"largest gradient difference {np.max(np.abs(grad_naive - grad_vectorized)):.1e}")
naive_seconds = best_time(lambda: svm_loss_naive(W, X_dev, y_dev, reg), repeats=3)
vectorized_seconds = best_time(lambda: svm_loss_vectorized(W, X_dev, y_dev, reg))
print(
    f"naive {naive_seconds * 1e3:.1f} ms, vectorized {vectorized_seconds * 1e3:.1f} ms: "
    f"{naive_seconds / vectorized_seconds:.0f}x faster"
)

# %% [markdown]
# ## What the loss looks like
#
# `W` has 30 730 numbers, far too many dimensions to draw. A slice helps: pick a random
# direction `D1` and plot the loss at `W + a·D1` against `a` (a line through weight space), or
# two directions and the loss at `W + a·D1 + b·D2` as a colour (a plane). For one example the
# loss is a sum of hinges, so it is made of flat pieces joined at kinks. Averaged over many
# examples the pieces get smaller and the slice looks like a bowl: the SVM loss is convex.

# %%
rng = np.random.default_rng(1)
W0 = 0.0001 * rng.standard_normal(W.shape)
D1 = 0.001 * rng.standard_normal(W.shape)
D2 = 0.001 * rng.standard_normal(W.shape)
steps = np.linspace(-3, 3, 41 if FULL_DATA else 11)
one_x, one_y = X_dev[:1], y_dev[:1]
many_x, many_y = X_dev[:100], y_dev[:100]

line_one = [svm_loss_vectorized(W0 + a * D1, one_x, one_y, 0.0)[0] for a in steps]
line_many = [svm_loss_vectorized(W0 + a * D1, many_x, many_y, 0.0)[0] for a in steps]
plane_one = np.array([[svm_loss_vectorized(W0 + a * D1 + b * D2, one_x, one_y, 0.0)[0] for a in steps] for b in steps])
plane_many = np.array(
    [[svm_loss_vectorized(W0 + a * D1 + b * D2, many_x, many_y, 0.0)[0] for a in steps] for b in steps]
)

fig, axes = plt.subplots(1, 4, figsize=(16, 3.6), layout="constrained")
axes[0].plot(steps, line_one)
axes[0].set(title="one example, along D1", xlabel="a", ylabel="loss")
axes[1].plot(steps, line_many)
axes[1].set(title="100 examples, along D1", xlabel="a")
extent = (steps[0], steps[-1], steps[0], steps[-1])
for ax, plane, title in [(axes[2], plane_one, "one example"), (axes[3], plane_many, "100 examples")]:
    image = ax.imshow(plane, origin="lower", extent=extent, cmap="jet")
    ax.set(title=f"{title}, plane of D1 and D2", xlabel="a", ylabel="b")
    fig.colorbar(image, ax=ax)
plt.show()

# %% [markdown]
# ## Three ways to go downhill
#
# Each strategy below gets the same budget: `BUDGET` (100) evaluations of the loss on the dev set (with
# `reg = 0`), starting from the same point.
#
# * **Random search** draws a fresh random `W` each time and keeps the best one seen.
# * **Random local search** tries a small random step from the current `W` and takes it only
#   if the loss goes down.
# * **Gradient descent** steps against the gradient, which the loss function returns with the
#   loss at no extra cost.

# %%
budget = BUDGET
rng = np.random.default_rng(0)
start_W = 0.0001 * rng.standard_normal(W.shape)
curves, final_W = {}, {}

best_loss, best_W = np.inf, None  # random search
curves["random search"] = []
for _ in range(budget):
    candidate = 0.0001 * rng.standard_normal(W.shape)
    loss = svm_loss_vectorized(candidate, X_dev, y_dev, 0.0)[0]
    if loss < best_loss:
        best_loss, best_W = loss, candidate
    curves["random search"].append(best_loss)
final_W["random search"] = best_W

current_W = start_W.copy()  # random local search
current_loss = svm_loss_vectorized(current_W, X_dev, y_dev, 0.0)[0]
curves["random local search"] = []
for _ in range(budget):
    candidate = current_W + 0.0001 * rng.standard_normal(W.shape)
    loss = svm_loss_vectorized(candidate, X_dev, y_dev, 0.0)[0]
    if loss < current_loss:
        current_W, current_loss = candidate, loss
    curves["random local search"].append(current_loss)
final_W["random local search"] = current_W

current_W = start_W.copy()  # gradient descent
curves["gradient descent"] = []
for _ in range(budget):
    loss, grad = svm_loss_vectorized(current_W, X_dev, y_dev, 0.0)
    curves["gradient descent"].append(loss)
    current_W = current_W - 1e-7 * grad
final_W["gradient descent"] = current_W

fig, ax = plt.subplots(layout="constrained")
for name, curve in curves.items():
    ax.plot(curve, label=name)
ax.set(xlabel="loss evaluations", ylabel="loss on the dev set", title="same budget, three strategies")
ax.legend()
plt.show()
for name, final in final_W.items():
    accuracy = np.mean(np.argmax(X_val @ final, axis=1) == y_val)
    print(f"{name:>20}: loss {curves[name][-1]:.3f}, validation accuracy {accuracy:.3f}")

# %% [markdown]
# On full CIFAR-10 you should see final losses **8.209, 7.814 and 2.469** and validation
# accuracies **0.141, 0.188 and 0.305** (to 1e-3). Random search barely moves: in 30 730
# dimensions a random `W` is almost never much better than the last. Random local search does better but wastes most of its tries on steps that go
# uphill. The gradient names the best direction at every step, and wins by far.
#
# ## How big a step?
#
# The gradient gives a direction, not a distance. Below, one step of size `s` from the same
# starting point, for `s` from 1e-10 to 1e-4: too small and the loss hardly changes; just right
# and it drops; too big and the step overshoots and the loss grows again. On full CIFAR-10 the
# loss falls from 8.6494 to its lowest, **6.3820**, at `s = 1e-6`, and jumps to 29.8 at `s = 1e-5`.

# %%
loss_start, grad_start = svm_loss_vectorized(start_W, X_dev, y_dev, 0.0)
print(f"loss at the start: {loss_start:.4f}")
for exponent in range(-10, -3):
    step = 10.0**exponent
    print(f"step 1e{exponent}: loss {svm_loss_vectorized(start_W - step * grad_start, X_dev, y_dev, 0.0)[0]:.4f}")

# %% [markdown]
# ## Stochastic gradient descent
#
# The full training set has 49 000 images; computing the gradient on all of them for every step
# is wasteful. **Implement `LinearClassifier.train`** (minibatch SGD: a random batch of 200
# examples per step) and **`LinearClassifier.predict`**.
#
# Every run starts from the same small random weights, `INIT_SCALE * randn` with
# `INIT_SCALE = 1e-4` and seed 0 (`new_svm` below). The scale matters: `train` would otherwise
# start from `0.001 * randn`, and with the fairly weak regularization that works best on this
# data the decay term `2 * reg * W` removes such large initial weights only slowly, so their noise
# would stay in the final classifier and cost a few points of accuracy.
#
# Three learning rates for 150 steps show the same lesson as the step sweep, now over many steps:

# %%
def new_svm(seed=0):
    """A LinearSVM whose weights start at INIT_SCALE * randn (seeded)."""
    classifier = LinearSVM()
    classifier.W = INIT_SCALE * np.random.RandomState(seed).randn(X_train.shape[1], 10)
    return classifier


fig, ax = plt.subplots(layout="constrained")
for learning_rate in (1e-8, 1e-7, 1e-6):
    history = new_svm().train(X_train, y_train, learning_rate=learning_rate, reg=1e3, num_iters=NUM_ITERS // 10, seed=0)
    vis_utils.plot_loss_curve(history, ax=ax, label=f"learning rate {learning_rate:g}")
ax.set_yscale("log")
ax.legend()
plt.show()

# %% [markdown]
# Now one full run. With `learning_rate=1e-7, reg=1e3` and `NUM_ITERS` steps you should see a
# first minibatch loss of **8.9634** (to 1e-3): close to 9 again, plus a small
# `reg * sum(W**2)`.

# %%
svm = new_svm()
start = time.perf_counter()
loss_history = svm.train(X_train, y_train, learning_rate=1e-7, reg=1e3, num_iters=NUM_ITERS, verbose=True, seed=0)
print(f"training took {time.perf_counter() - start:.1f} s")
fig = vis_utils.plot_loss_curve(loss_history)
plt.show()
print(f"training accuracy {np.mean(svm.predict(X_train) == y_train):.3f}")
print(f"validation accuracy {np.mean(svm.predict(X_val) == y_val):.3f}")

# %% [markdown]
# ## Tuning the learning rate and the regularization strength
#
# **Your code.** For every pair in the grid below, train a classifier made by `new_svm()` on
# the training set with `train(..., num_iters=NUM_ITERS, seed=0)` (so every run can be repeated
# exactly), and store
# `results[(learning_rate, reg)] = (training accuracy, validation accuracy)`. Keep the best
# classifier by validation accuracy in `best_svm` and its accuracy in `best_val`, and the pair in
# `best_params`. The grid was chosen so that no run diverges. On full CIFAR-10 each run takes
# about 20 s to a minute on a 2-core machine, depending on what else runs on it, so the cell
# takes about 1.5 to 4 minutes, and you should see the best validation accuracy **0.392** at
# learning rate 2e-7 and reg 1e3 (exact for the seeded runs; the target is at least 0.39), and a
# test accuracy of 0.389.

# %% nbgrader={"grade": false, "solution": true, "locked": false, "grade_id": "svm-tuning", "schema_version": 3}
learning_rates = [1e-7, 2e-7]
regularization_strengths = [1e3, 2.5e3]
results = {}
best_val = -1.0
best_svm = None
best_params = None

### BEGIN SOLUTION
for learning_rate in learning_rates:
    for reg in regularization_strengths:
        candidate = new_svm()
        candidate.train(X_train, y_train, learning_rate=learning_rate, reg=reg, num_iters=NUM_ITERS, seed=0)
        train_accuracy = float(np.mean(candidate.predict(X_train) == y_train))
        val_accuracy = float(np.mean(candidate.predict(X_val) == y_val))
        results[(learning_rate, reg)] = (train_accuracy, val_accuracy)
        if val_accuracy > best_val:
            best_val, best_svm, best_params = val_accuracy, candidate, (learning_rate, reg)
### END SOLUTION

for (learning_rate, reg), (train_accuracy, val_accuracy) in sorted(results.items()):
    print(f"lr {learning_rate:.0e}  reg {reg:.1e}: train {train_accuracy:.3f}  val {val_accuracy:.3f}")
print(f"best validation accuracy {best_val:.3f} with learning rate {best_params[0]:g}, reg {best_params[1]:g}")

# %%
fig = vis_utils.plot_hyperparameter_grid(results)
plt.show()

# %% [markdown]
# The test set is used once, for the chosen classifier. This cell saves your choice and both
# accuracies to `notebooks/results/svm.json`, with the training settings needed to repeat the run.

# %% nbgrader={"grade": false, "solution": false, "locked": true, "grade_id": "svm-final", "schema_version": 3}
test_accuracy = float(np.mean(best_svm.predict(X_test) == y_test))
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
(ENV.results_dir / "svm.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
print("saved", ENV.results_dir / "svm.json", summary)

# %% [markdown]
# ## What did it learn?
#
# Each column of `W` (without the bias row) has one weight per pixel value, so it can be shown as
# an image: the pattern whose match raises that class's score.

# %%
fig = vis_utils.plot_weight_templates(best_svm.W, CLASS_NAMES)
plt.show()

# %% [markdown] nbgrader={"grade": false, "solution": false, "locked": true, "grade_id": "svm-q2-question", "schema_version": 3}
# ### Question 2 (2 points)
#
# Describe what the weight images look like. Why do they look like that, and what does it tell
# you about the limits of a linear classifier on raw pixels?

# %% [markdown] nbgrader={"grade": true, "solution": true, "locked": false, "points": 2, "grade_id": "svm-q2-answer", "schema_version": 3}
# They are blurry colour blobs, each like an average of its class, under fine pixel-by-pixel
# noise: blue sky or water for airplane and ship, green and brown ground for frog, deer and
# horse, a reddish body in the centre for car and truck, sometimes a faint two-headed horse. The
# score is a dot product with the template, so one template has to match every image of its
# class at once; it ends up close to their average colour layout. (The noise is left over from
# the random starting weights, which the weak regularization has only halved after 1500 steps.)
# A linear classifier on pixels can only hold one such template per class, so it cannot cope
# with objects in different poses, positions or colours.
