"""One catalogue module per week (see :mod:`solutions_lib.grading.catalogue`), named by the week id."""
