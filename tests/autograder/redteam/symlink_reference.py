# target: cs_utils/classifiers/linear_svm.py
# zero: softmax_loss_naive softmax_loss_vectorized LinearClassifier.train LinearClassifier.predict
# symlink cs_utils/classifiers/softmax.py: KIT_ROOT/autograder/source/cs_utils/classifiers/softmax.py
# Submit a symbolic link to the reference solution in place of softmax.py. Links are not copied, so
# softmax.py is missing, and linear_classifier.py, which imports it, fails too.
