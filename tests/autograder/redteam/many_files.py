# target: cs_utils/classifiers/linear_svm.py
# many cs_utils/junk: 2500
# expect: could_not_grade
# Thousands of tiny files in the submission (to slow the copy, the hash and the ownership change).
