"""Tests of sos_docs.workbook: Excel in."""
