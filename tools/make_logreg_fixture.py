#!/usr/bin/python3
"""Writes src/lib/fixtures/logreg-sklearn.json: scikit-learn's multinomial L2 logistic regression
(lbfgs) on seeded synthetic embeddings, the outside reference src/lib/logisticRegression.test.ts
checks fitLogistic against.

Run with Debian's Python (apt-get install python3-sklearn):  /usr/bin/python3 tools/make_logreg_fixture.py

The data: unit-normalised rows of dimension 48 in 5 classes, each class a random mean direction plus
isotropic noise large enough that the classes overlap (learnable, not separable).
"""
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

SEED = 20261201
TRAIN_ROWS = 300
TEST_ROWS = 100
DIM = 48
CLASSES = 5
# Class means' length against unit-variance-per-dimension noise of this scale: overlapping classes.
MEAN_SCALE = 1.0
NOISE_SCALE = 0.6
C_VALUES = [0.5, 10.0]
# Also fitted on the first rows alone, fewer than the dimension (fitLogistic then solves in the rows' span).
FEW_ROWS = 30
FEW_ROWS_C = 10.0
OUT = os.path.join(os.path.dirname(__file__), '..', 'src', 'lib', 'fixtures', 'logreg-sklearn.json')


def make_rows(rng, means, count):
    y = rng.integers(0, CLASSES, size=count)
    X = means[y] + NOISE_SCALE * rng.standard_normal((count, DIM))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X, y


def rounded(array, digits=12):
    return np.round(array, digits).tolist()


def main():
    rng = np.random.default_rng(SEED)
    means = rng.standard_normal((CLASSES, DIM))
    means *= MEAN_SCALE / np.linalg.norm(means, axis=1, keepdims=True)
    X, y = make_rows(rng, means, TRAIN_ROWS)
    X_test, y_test = make_rows(rng, means, TEST_ROWS)
    # The fixture stores X as written (rounded); sklearn is fitted on exactly those numbers.
    X = np.array(rounded(X))
    X_test = np.array(rounded(X_test))

    fits = []
    for C, rows in [(C, TRAIN_ROWS) for C in C_VALUES] + [(FEW_ROWS_C, FEW_ROWS)]:
        model = LogisticRegression(penalty='l2', C=C, solver='lbfgs', multi_class='multinomial', max_iter=10000, tol=1e-10)
        model.fit(X[:rows], y[:rows])
        assert len(model.classes_) == CLASSES, 'every class needs rows in the fitted subset'
        fits.append({
            'C': C,
            'rows': rows,
            'iterations': int(model.n_iter_[0]),
            'coef': rounded(model.coef_),
            'intercept': rounded(model.intercept_),
            # On every training row (also those beyond `rows`, for the subset fit).
            'trainProba': rounded(model.predict_proba(X)),
            'testProba': rounded(model.predict_proba(X_test)),
            'trainAccuracy': float(model.score(X, y)),
            'testAccuracy': float(model.score(X_test, y_test)),
        })
        print(f'C={C}, {rows} rows: {model.n_iter_[0]} iterations, train accuracy {model.score(X, y):.3f}, test {model.score(X_test, y_test):.3f}', file=sys.stderr)

    fixture = {
        'about': 'scikit-learn LogisticRegression(penalty=l2, solver=lbfgs, multinomial, tol=1e-10) on seeded synthetic unit-norm embeddings; written by tools/make_logreg_fixture.py',
        'sklearnVersion': sklearn.__version__,
        'numpyVersion': np.__version__,
        'seed': SEED,
        'classes': CLASSES,
        'dim': DIM,
        'X': X.tolist(),
        'y': y.tolist(),
        'testX': X_test.tolist(),
        'testY': y_test.tolist(),
        'fits': fits,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as handle:
        json.dump(fixture, handle, separators=(',', ':'))
        handle.write('\n')
    print(f'wrote {os.path.relpath(OUT)} (scikit-learn {sklearn.__version__})', file=sys.stderr)


if __name__ == '__main__':
    main()
