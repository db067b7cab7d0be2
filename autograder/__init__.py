"""The course's grading pipeline on top of nbgrader 0.9.6: ``python -m autograder --help``."""
