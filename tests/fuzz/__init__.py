"""Fuzzing with a budget: mutated and generated inputs against every entry point.

``python -m tests.fuzz`` (``make fuzz``) runs the full campaign (tests/fuzz/runner.py);
tests/test_fuzz.py runs a small slice of each target in ``make test``; every input
that ever failed is kept in tests/test_fuzz_regressions.py. See docs/TESTING.md.
"""
