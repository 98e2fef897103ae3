"""Supervised text classifiers that users train on their own labelled history (Korean and English).

Features (``_classifier_features``): word uni- and bigrams, word-bounded character 2–5-grams and
unordered word pairs, each block sublinear TF-IDF and L2-normalized, plus the text's mean vector
over a pretrained token-embedding table that ships inside the ``wordllama`` wheel
(``_classifier_embedding``; nothing is downloaded, and without the package the classifier trains on
TF-IDF alone). A linear SVM is fitted on them (``_classifier_training``). Beside it, when the word
vectors are installed, a fastText-style token model (``_classifier_tokens``) fine-tunes those vectors
on the labels; the two models' log-probabilities are averaged, and the result becomes probabilities
through a softmax whose temperature is fitted on the held-out split.

When most training texts are English and the bundled sentence encoder is installed
(``_sentence_encoder``: all-MiniLM-L6-v2 run with ONNX Runtime, weights checked by SHA-256), a
sentence head (``_classifier_sentence``), a linear SVM over the encoder's contextual sentence
vectors, is averaged in as a third part: it tells apart intents that share their words.

A saved model (``_classifier_model``) is JSON plus ``.npz`` arrays (no pickle) and predicts with
numpy and the word vectors' tokenizer (plus ONNX Runtime for a sentence head); scikit-learn and scipy
are needed for training only.
"""

from __future__ import annotations

from cxloop.text._classifier_model import (
    FORMAT,
    MODEL_FILE,
    VOCABULARY_FILE,
    WEIGHTS_FILE,
    Prediction,
    TextClassifier,
)
from cxloop.text._classifier_training import TrainingReport, fit_classifier, stratified_split, train_classifier

__all__ = [
    "FORMAT",
    "MODEL_FILE",
    "VOCABULARY_FILE",
    "WEIGHTS_FILE",
    "Prediction",
    "TextClassifier",
    "TrainingReport",
    "fit_classifier",
    "stratified_split",
    "train_classifier",
]
