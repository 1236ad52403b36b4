"""Test-session settings shared by the whole suite.

The tests use tiny matrices, for which multi-threaded BLAS only adds overhead (and, on a busy
machine, stalls): run BLAS single-threaded unless the environment says otherwise. This must
happen before numpy is first imported, hence a root conftest.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
