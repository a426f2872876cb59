# target: cs_utils/classifiers/softmax.py
# zero: softmax_loss_naive
# events: reply_flood
# Make the grader hold gigabytes: every call returns the answer plus 15 MiB of extra arrays
# (each reply under the per-reply cap, together far over what one function may send).
def softmax_loss_naive(W, X, y, reg):
    return 0.0, W * 0, np.ones(15 << 17)
