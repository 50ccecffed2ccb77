"""Bokeh figures of every view: the only package that imports bokeh."""
