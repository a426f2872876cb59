# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # k-nearest neighbours on CIFAR-10
#
# A nearest-neighbour classifier does not learn anything in the usual sense. Training stores the
# labelled images; to classify a new image it finds the stored images that look most like it and
# lets their labels vote. "Look like" means a small distance between the two arrays of pixel
# values. In this notebook you will:
#
# 1. compute that distance for every (test, training) pair, first with two Python loops, then
#    with one, then with none, and check that all three agree;
# 2. classify with `k = 1` and `k = 5` neighbours;
# 3. pick `k` by 5-fold cross-validation, then measure the chosen classifier once on the test set;
# 4. look at where it goes wrong.
#
# The code you write lives in `cs_utils/classifiers/k_nearest_neighbor.py`; the cells marked
# **your code** in this notebook are yours too. Run the cells from top to bottom.
#
# **Numbers you should see.** Every run is seeded. The values quoted in the text come from the
# reference solution on the full CIFAR-10; with a correct implementation you get the same
# numbers (to the stated tolerance). On a reduced data set (the config cell says so) only the
# checks that compare your implementations with each other apply.
#
# **How long.** On the full CIFAR-10 the reference solution ran this notebook from top to bottom
# in half a minute to a minute and a half on a 2-core machine, depending on how busy other
# programs kept it.
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

# %% nbgrader={"grade": false, "solution": false, "locked": true, "grade_id": "knn-setup", "schema_version": 3}
# Finds the kit, makes cs_utils importable with autoreload, fetches CIFAR-10 if needed.
# <include cs_utils/notebook_setup.py::locate_kit>

import sys

KIT_ROOT, SETTING = locate_kit(KIT_DRIVE_FOLDER, KIT_SOURCE)
sys.path.insert(0, str(KIT_ROOT))
from cs_utils.notebook_setup import setup_notebook

ENV = setup_notebook(KIT_ROOT, SETTING, ipython=get_ipython())

# %% nbgrader={"grade": false, "solution": false, "locked": true, "grade_id": "knn-config", "schema_version": 3}
# Load CIFAR-10 and fix the sizes used below. With the full data set these are the real sizes;
# a smaller data set (such as the synthetic one used to test the kit) scales them down.
import json
import time

import matplotlib.pyplot as plt
import numpy as np

from cs_utils import vis_utils
from cs_utils.classifiers import KNearestNeighbor
from cs_utils.data_utils import CLASS_NAMES, load_CIFAR10

X_train_all, y_train_all, X_test_all, y_test_all = load_CIFAR10()
FULL_DATA = len(X_train_all) == 50000 and len(X_test_all) == 10000
NUM_TRAIN = min(10000, len(X_train_all))  # training images kNN memorises
NUM_TEST = min(500, len(X_test_all))  # test images it classifies
NUM_TIMED = min(10, NUM_TEST)  # test images for the slow loop versions (seconds, not minutes)

print("training images:", X_train_all.shape, "test images:", X_test_all.shape)
print(f"using {NUM_TRAIN} training and {NUM_TEST} test images")
if not FULL_DATA:
    print("Reduced data set: the numbers quoted in the text apply to full CIFAR-10 only.")

# %% [markdown]
# ## Look at the data
#
# Ten classes, 32×32 colour images, 5000 training images per class. A few random examples of
# each class (seeded, so you see the same ones every time):

# %%
rows = 7 if FULL_DATA else 2  # a reduced data set (the grader's) needs fewer pictures
fig = vis_utils.plot_class_samples(X_train_all, y_train_all, CLASS_NAMES, samples_per_class=rows, seed=0)
plt.show()

# %% [markdown]
# Keep the first `NUM_TRAIN` training and `NUM_TEST` test images and flatten each one into a row
# of 32·32·3 = 3072 numbers (height, width, then red/green/blue).

# %%
X_train = X_train_all[:NUM_TRAIN].reshape(NUM_TRAIN, -1)
y_train = y_train_all[:NUM_TRAIN]
X_test = X_test_all[:NUM_TEST].reshape(NUM_TEST, -1)
y_test = y_test_all[:NUM_TEST]
print(X_train.shape, X_test.shape)  # (10000, 3072) (500, 3072) on full data

# %% [markdown]
# ## Distances
#
# For a test image $x$ and a training image $t$ the Euclidean (L2) distance is
# $d(x, t) = \sqrt{\sum_{p} (x_p - t_p)^2}$, a sum over all 3072 pixel values $p$. The classifier
# needs it for every pair, as a matrix `dists` of shape `(num_test, num_train)`.
#
# Implement `compute_distances_no_loops` first: it is the one the rest of the notebook uses.
# Then `compute_distances_two_loops` and `compute_distances_one_loop`, which are slower but show
# step by step what the fast version computes.

# %%
classifier = KNearestNeighbor()
classifier.train(X_train, y_train)

start = time.perf_counter()
dists = classifier.compute_distances_no_loops(X_test)
print(f"no loops: {time.perf_counter() - start:.2f} s, dists has shape {dists.shape}")

# %% [markdown]
# Each row of the picture below is one test image, each column one training image; dark means
# close, bright means far.

# %%
fig = vis_utils.plot_distance_matrix(dists)
plt.show()

# %% [markdown] nbgrader={"grade": false, "solution": false, "locked": true, "grade_id": "knn-q1-question", "schema_version": 3}
# ### Question 1 (2 points)
#
# Some rows of the distance matrix are bright from end to end, and some columns are bright from
# top to bottom. What property of a test image makes its whole row bright? What makes a whole
# column bright? (Think about what the distance measures, not about classes.)

# %% [markdown] nbgrader={"grade": true, "solution": true, "locked": false, "points": 2, "grade_id": "knn-q1-answer", "schema_version": 3}
# A bright row is a test image that is far from almost every training image. L2 distance on raw
# pixels mostly measures overall brightness and colour, so these are images unlike the typical
# one: very bright or very dark, strongly saturated, or a flat unusual background. A bright
# column is the same thing seen from the training side: a training image that is far from
# almost every test image, for the same reasons.

# %% [markdown]
# ### Do the three implementations agree?
#
# The loop versions are slow, so they only get the first `NUM_TIMED` test images, against all
# the training images. The largest absolute difference should be below `1e-6` (with float64 and
# raw pixel values it is usually exactly 0).

# %%
X_timed = X_test[:NUM_TIMED]
timings = {}
results = {}
for name, method in [
    ("two loops", classifier.compute_distances_two_loops),
    ("one loop", classifier.compute_distances_one_loop),
    ("no loops", classifier.compute_distances_no_loops),
]:
    start = time.perf_counter()
    results[name] = method(X_timed)
    timings[name] = time.perf_counter() - start

for name in ("two loops", "one loop"):
    difference = np.max(np.abs(results[name] - results["no loops"]))
    verdict = "agree" if difference < 1e-6 else "DISAGREE: check your code"
    print(f"{name} vs no loops: largest difference {difference:.2e} -> {verdict}")
for name, seconds in timings.items():
    print(f"{name:>9}: {seconds:8.4f} s for {NUM_TIMED} x {NUM_TRAIN} distances")

# %% [markdown]
# **Reading the timings honestly.** One measurement on a shared machine is noisy, so read only
# large ratios. The version without loops should win by a factor of tens to hundreds: it hands
# the work to one matrix product, which NumPy runs in optimised, multi-threaded code. Between two
# loops and one loop there is no rule. The one-loop version builds a whole `(num_train, 3072)`
# temporary array for every test image and walks through far more memory than fits in the
# cache, so on many machines it is *slower* than two loops (on a 2-core test machine it took
# between about as long and three and a half times as long, depending on what else was running).
# On all 500 test images each loop version would take from under a minute to several minutes on
# such a machine, which is why they only get a slice here.

# %% [markdown]
# ## Classify
#
# Implement `predict_labels`: take the `k` smallest distances in each row, let their labels
# vote, and break a tie in favour of the smaller label. With `k = 1` you should see
# **151 / 500 correct, accuracy 0.302** (exact).

# %%
y_test_pred = classifier.predict_labels(dists, k=1)
num_correct = int(np.sum(y_test_pred == y_test))
print(f"k = 1: {num_correct} / {NUM_TEST} correct, accuracy {num_correct / NUM_TEST:.3f}")

# %% [markdown]
# With `k = 5` you should see **142 / 500, accuracy 0.284** (exact). More voters is not better
# here: many five-way votes end in a tie, and the tie rule picks the smaller label, not the
# nearest neighbour's.

# %%
y_test_pred = classifier.predict_labels(dists, k=5)
num_correct = int(np.sum(y_test_pred == y_test))
print(f"k = 5: {num_correct} / {NUM_TEST} correct, accuracy {num_correct / NUM_TEST:.3f}")

# %% [markdown]
# ## Choose k by cross-validation
#
# Choosing `k` by its test accuracy would make the test accuracy useless as an estimate of how
# the classifier does on new images: we would have tuned to it. Instead split the training set
# into 5 folds; for each fold, train on the other 4 and measure accuracy on it. That gives 5
# accuracies per `k`, whose mean estimates the accuracy and whose spread shows how much of a
# difference between two values of `k` is noise.
#
# **Your code.** Fill `k_to_accuracies[k]` with a list of `num_folds` accuracies for every `k` in
# `k_choices`. Hints: `np.array_split` makes the folds, `np.concatenate` joins the other four.
# Compute the distance matrix once per fold. Calling `predict_labels` for every `k` gives the
# right answer but sorts every row again for every `k`, which takes one to three minutes with
# 10000 images on a 2-core machine; sort each fold's rows once instead
# (`np.argsort(..., kind="stable")`) and let the first `k` neighbours vote for each `k`, with the
# same tie rule as `predict_labels`. Then the cell takes about 20 s on a 2-core machine, up to
# about a minute when other programs keep its cores busy (most of it goes into the five distance
# matrices and sorting their rows).

# %% nbgrader={"grade": false, "solution": true, "locked": false, "grade_id": "knn-cross-validation", "schema_version": 3}
num_folds = 5
k_choices = [1, 3, 5, 8, 10, 12, 15, 20, 50, 100]
fold_train_size = NUM_TRAIN - int(np.ceil(NUM_TRAIN / num_folds))
k_choices = [k for k in k_choices if k <= fold_train_size]  # only matters on a tiny data set

X_train_folds = np.array_split(X_train, num_folds)
y_train_folds = np.array_split(y_train, num_folds)
k_to_accuracies = {k: [] for k in k_choices}

### BEGIN SOLUTION
for fold in range(num_folds):
    fold_classifier = KNearestNeighbor()
    fold_classifier.train(
        np.concatenate(X_train_folds[:fold] + X_train_folds[fold + 1 :]),
        np.concatenate(y_train_folds[:fold] + y_train_folds[fold + 1 :]),
    )
    fold_dists = fold_classifier.compute_distances_no_loops(X_train_folds[fold])
    order = np.argsort(fold_dists, axis=1, kind="stable")  # nearest first, ties in training order
    for k in k_choices:
        nearest_labels = fold_classifier.y_train[order[:, :k]]  # (fold size, k)
        votes = (nearest_labels[:, :, np.newaxis] == np.arange(len(CLASS_NAMES))).sum(axis=1)  # (fold size, C)
        predictions = np.argmax(votes, axis=1)  # first maximum: ties go to the smaller label
        k_to_accuracies[k].append(float(np.mean(predictions == y_train_folds[fold])))
### END SOLUTION

for k in k_choices:
    print(f"k = {k:3d}: " + "  ".join(f"{accuracy:.3f}" for accuracy in k_to_accuracies[k]))

# %% [markdown]
# The mean over the folds with one standard deviation as an error bar. On full CIFAR-10 the
# means stay between 0.270 and 0.282 for `k` from 1 to 20, then fall to 0.256 at `k = 100`; the
# error bars (about 0.01 to 0.015) are larger than most differences between neighbouring `k`.

# %%
fig = vis_utils.plot_cross_validation(k_to_accuracies)
plt.show()

# %% [markdown]
# **Your code.** Set `best_k` to the `k` with the highest mean cross-validation accuracy; if two
# are equal, take the smaller `k` (the simpler, cheaper one). On full CIFAR-10 you should get
# **`best_k = 8`** (mean 0.282, just ahead of `k = 10` at 0.282 with a smaller fourth digit;
# the differences are well within the error bars).

# %% nbgrader={"grade": false, "solution": true, "locked": false, "grade_id": "knn-best-k", "schema_version": 3}
best_k = 1
### BEGIN SOLUTION
mean_accuracy = {k: np.mean(accuracies) for k, accuracies in k_to_accuracies.items()}
best_k = max(k_choices, key=lambda k: (mean_accuracy[k], -k))  # highest mean, then smallest k
### END SOLUTION
print("best k:", best_k)

# %% [markdown]
# Now, and only now, the test set: retrain on all `NUM_TRAIN` images with `best_k` and classify
# the test images once. With `best_k = 8` you should see **0.282** (141 / 500, exact). This cell saves your choice and result to `notebooks/results/knn.json`,
# which you hand in with the notebook.

# %% nbgrader={"grade": false, "solution": false, "locked": true, "grade_id": "knn-final", "schema_version": 3}
classifier = KNearestNeighbor()
classifier.train(X_train, y_train)
y_test_pred = classifier.predict(X_test, k=best_k)
test_accuracy = float(np.mean(y_test_pred == y_test))
print(f"best k = {best_k}: test accuracy {test_accuracy:.3f}")

ENV.results_dir.mkdir(parents=True, exist_ok=True)
summary = {"best_k": int(best_k), "test_accuracy": round(test_accuracy, 4)}
(ENV.results_dir / "knn.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
print("saved", ENV.results_dir / "knn.json", summary)

# %% [markdown]
# ## Where does it go wrong?
#
# The confusion matrix counts, for every true class (row), how often each class was predicted
# (column). The diagonal holds the correct answers.

# %%
fig = vis_utils.plot_confusion_matrix(y_test, y_test_pred, CLASS_NAMES)
plt.show()

# %% [markdown]
# Some test images the classifier got wrong, with the true and the predicted class. Nearest
# neighbours on raw pixels match colour and layout, not objects: a blue background pulls an
# image toward "airplane" or "ship" whatever sits in front of it.

# %%
wrong = np.flatnonzero(y_test_pred != y_test)[:12]
if len(wrong) == 0:
    print("No test image was misclassified.")  # only happens on an easy (synthetic) data set
else:
    titles = [f"{CLASS_NAMES[y_test[i]]}\nas {CLASS_NAMES[y_test_pred[i]]}" for i in wrong]
    fig = vis_utils.plot_image_grid(X_test_all[wrong], titles=titles, ncols=6)
    plt.show()

# %% [markdown] nbgrader={"grade": false, "solution": false, "locked": true, "grade_id": "knn-q2-question", "schema_version": 3}
# ### Question 2 (3 points)
#
# Suppose the nearest-neighbour classifier used the L1 distance
# $d_1(x, t) = \sum_p |x_p - t_p|$ instead, where $p$ runs over the 3072 pixel values. Write
# $\mu$ for the mean of all pixel values of all training images, $\mu_p$ for the mean of pixel
# value $p$ over the training images, and $\sigma$, $\sigma_p$ for the matching standard
# deviations. Each change below is applied in the same way to training and test images. Which of
# them leave the predictions of 1-NN with L1 distance unchanged? Name all that do, and give a
# one-line reason for each of your choices.
#
# 1. Subtract $\mu$ from every pixel value.
# 2. Subtract $\mu_p$ from pixel value $p$.
# 3. Subtract $\mu$, then divide by $\sigma$.
# 4. Subtract $\mu_p$, then divide by $\sigma_p$.
# 5. Rotate every image by the same angle (90°, so no pixel is lost or blended).

# %% [markdown] nbgrader={"grade": true, "solution": true, "locked": false, "points": 3, "grade_id": "knn-q2-answer", "schema_version": 3}
# **1, 2, 3 and 5.**
#
# 1 and 2: subtracting the same number from pixel $p$ of every image cancels in $x_p - t_p$, so
# every distance is unchanged. 3: after the shift, dividing every value by the same $\sigma > 0$
# divides every distance by $\sigma$, which keeps their order, so the nearest neighbour is the
# same. 5: rotating every image the same way only renames the pixel positions; the sum of
# absolute differences runs over the same pairs of values. 4 is the exception: dividing pixel
# $p$ by its own $\sigma_p$ weights the terms of the sum differently, which can change which
# training image is nearest.

# %% [markdown] nbgrader={"grade": false, "solution": false, "locked": true, "grade_id": "knn-q3-question", "schema_version": 3}
# ### Question 3 (3 points)
#
# Which statements about a k-NN classifier are true for every `k` and every data set? Name all
# true ones and justify each choice in a sentence.
#
# 1. Its decision boundary is linear.
# 2. On the training set, 1-NN never makes more errors than 5-NN.
# 3. On a test set, 1-NN never makes more errors than 5-NN.
# 4. Classifying one test image takes longer the larger the training set.
# 5. None of the above.

# %% [markdown] nbgrader={"grade": true, "solution": true, "locked": false, "points": 3, "grade_id": "knn-q3-answer", "schema_version": 3}
# **2 and 4.**
#
# 1 is false: the boundary is made of pieces of the planes halfway between training points
# (a Voronoi partition), which together bend around the data. 2 is true: each training image is
# its own nearest neighbour at distance 0, so 1-NN makes no training errors (unless two identical
# images carry different labels, which costs 5-NN as much). 3 is false: on our data `k = 5`
# already ties with `k = 1`, and with noisy labels a larger `k` often wins. 4 is true: the test
# image is compared with every stored training image, so the work grows with their number.
