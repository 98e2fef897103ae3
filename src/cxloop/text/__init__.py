"""Text analytics for Korean and English VOC: normalization, language, PII, sentiment and more."""
