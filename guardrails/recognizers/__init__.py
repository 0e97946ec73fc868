"""Presidio recognizers winback adds where the shipped ones are weak.

One recognizer per file, in Presidio's style: patterns, context words and,
where a format has one, a `validate_result` check; the pattern recognizers are
declared by class attributes on `declared_pattern.DeclaredPatternRecognizer`.
"""
