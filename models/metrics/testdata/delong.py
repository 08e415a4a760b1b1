"""Reference DeLong test for models/metrics.CompareAUC.

Reads rows "case,y,a,b" (a case number, the label, the first score, the
second score) on stdin and prints, for each case in order, a JSON line
{"a": AUC_a, "b": AUC_b, "diff": ..., "se": ..., "z": ..., "p": ...}.

It follows DeLong, DeLong and Clarke-Pearson (1988) to the letter: the
placement values come from the full positives x negatives kernel matrix
(psi = 1 above, 1/2 tied), not from the midranks the Go code uses, so the
two share no shortcut. Run with Debian's python3-numpy and python3-scipy:

    /usr/bin/python3 testdata/delong.py < rows.csv
"""
import json
import sys

import numpy as np
from scipy.stats import norm



def delong(y, a, b):
    pos, neg = y == 1, y == 0

    def components(s):
        x, z = s[pos][:, None], s[neg][None, :]
        psi = (x > z) + 0.5 * (x == z)
        return psi.mean(axis=1), psi.mean(axis=0)

    (a10, a01), (b10, b01) = components(a), components(b)
    s = np.cov(np.vstack([a10, b10])) / pos.sum() + np.cov(np.vstack([a01, b01])) / neg.sum()
    contrast = np.array([1.0, -1.0])
    se = float(np.sqrt(contrast @ s @ contrast))
    diff = float(a10.mean() - b10.mean())
    z = diff / se
    return {"a": float(a10.mean()), "b": float(b10.mean()), "diff": diff,
            "se": se, "z": z, "p": float(2 * norm.sf(abs(z)))}


rows = np.loadtxt(sys.stdin, delimiter=",", ndmin=2)
for case in np.unique(rows[:, 0]):
    r = rows[rows[:, 0] == case]
    print(json.dumps(delong(r[:, 1], r[:, 2], r[:, 3])))
