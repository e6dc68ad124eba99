"""chartdrop: dictations and scans dropped in a folder become draft chart entries for review."""

__version__ = "0.1.0"
