"""Fitting: sessions, live state, typed events, results, diagnostics, the SVI engine and the sampler backends."""
