"""Evaluation data: pseudonymised, consented answers by wave; export with codebook; report."""
