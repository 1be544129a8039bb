"""Helpers the tests share: workbook builders, hostile-file corpora, kills, load runs."""
