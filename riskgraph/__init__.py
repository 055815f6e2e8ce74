"""The ``riskgraph`` command line: the top floor, importing every package and imported by none."""

import os

# NumPy asks the kernel for transparent huge pages for every array of 4 MB or more. Faulting them in was what made
# a 1M day's projection take 2.4 s in a run against 1.4 s without (its first pass over fresh memory: 2.0 s against
# 1.0 s); scoring and the full run did not change. NumPy reads the variable once, as it is first imported (the
# command's modules import it), and a value set outside wins.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
