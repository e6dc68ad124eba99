"""chartdrop stage."""
