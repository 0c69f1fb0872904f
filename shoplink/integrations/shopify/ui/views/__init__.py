"""HTTP ends here: one module per drawer family."""
