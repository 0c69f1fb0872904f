"""The tiny kernel every app may depend on: base models, the clock, errors."""
