"""nbgrader's configuration for this course: everything comes from ``course_config.py``."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from autograder.nbconfig import nbgrader_settings  # noqa: E402

c = get_config()  # noqa: F821 (provided by nbgrader when it reads this file)
c.merge(nbgrader_settings())
