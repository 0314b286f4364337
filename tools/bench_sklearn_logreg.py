#!/usr/bin/python3
"""The scikit-learn side of the few-shot benchmark (bench/node/fewShotBench.ts runs it; not by hand).

Usage: /usr/bin/python3 tools/bench_sklearn_logreg.py <dir>
<dir> holds meta.json ({n, testN, dim, classes, C, tols, reps}), X.f64, testX.f64 (row-major
little-endian float64) and y.i32. For each tol: one untimed fit, then `reps` timed fits of
LogisticRegression(penalty='l2', solver='lbfgs', multinomial, C, tol, max_iter=10000); only
model.fit is timed. Prints one JSON object on stdout.
"""
import json
import os
import sys
import time

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression


def blas_info():
    try:
        from threadpoolctl import threadpool_info
        return [{key: pool.get(key) for key in ('internal_api', 'num_threads', 'version')} for pool in threadpool_info()]
    except Exception as error:  # threadpoolctl is optional
        return [{'error': str(error)}]


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, 'meta.json')) as handle:
        meta = json.load(handle)
    n, test_n, dim = meta['n'], meta['testN'], meta['dim']
    X = np.fromfile(os.path.join(folder, 'X.f64'), dtype='<f8').reshape(n, dim)
    test_X = np.fromfile(os.path.join(folder, 'testX.f64'), dtype='<f8').reshape(test_n, dim)
    y = np.fromfile(os.path.join(folder, 'y.i32'), dtype='<i4')

    runs = []
    for tol in meta['tols']:
        def fit():
            model = LogisticRegression(penalty='l2', C=meta['C'], solver='lbfgs', multi_class='multinomial', max_iter=10000, tol=tol)
            started = time.perf_counter()
            model.fit(X, y)
            return model, (time.perf_counter() - started) * 1000

        fit()  # untimed warm-up
        fits = [fit() for _ in range(meta['reps'])]
        model = fits[-1][0]
        runs.append({
            'tol': tol,
            'fitMs': [ms for _, ms in fits],
            'iterations': int(model.n_iter_[0]),
            'coef': model.coef_.ravel().tolist(),
            'intercept': model.intercept_.tolist(),
            'trainProba': model.predict_proba(X).ravel().tolist(),
            'testProba': model.predict_proba(test_X).ravel().tolist(),
        })
    json.dump({'sklearnVersion': sklearn.__version__, 'numpyVersion': np.__version__, 'blas': blas_info(), 'runs': runs}, sys.stdout)


if __name__ == '__main__':
    main()
