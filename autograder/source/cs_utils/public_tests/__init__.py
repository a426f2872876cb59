"""The public tests behind ``python -m cs_utils.check``, one module per part of the assignment.

* :mod:`.results`: what a run reports (``Outcome``, ``Report``) and how a test fails (``Failed``);
* :mod:`.session`: your package copied to a scratch folder and called in a fresh process;
* :mod:`.compare`: shape, finiteness and gradient comparisons that turn a wrong answer into a hint;
* :mod:`.knn`, :mod:`.losses`, :mod:`.linear_classifier`: the tests themselves.

Each test is a ``(label, function)`` pair; the function receives a :class:`~.session.Session`
and raises :class:`~.results.Failed` with a hint when the answer is wrong. Read them if a hint is
not enough: they need no answer key, only properties every correct solution has.
"""
