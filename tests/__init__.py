"""Tests of sos-docs, mirroring the package: workbook/, documents/, service/ and the top level."""
