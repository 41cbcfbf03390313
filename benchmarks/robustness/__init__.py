"""Robustness benchmark for person deduplication: linker against Splink 4 on people drawn
with Faker in six locales, duplicated and corrupted by a model of its own (not
``linker.synth``), in seven input schemas, at sizes from 2 to 100,000 records.

Modules: ``people`` (who), ``corrupt`` (how duplicates depart), ``schemas`` (which columns),
``dataset`` (records and truth), ``splink_model`` (Splink settings and runner), ``run`` (the
matrix, scoring and the table). Run ``python -m benchmarks.robustness --help``.
"""
