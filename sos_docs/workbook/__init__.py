"""Excel in: the guard, the reader, the workbook contract, validation, and explaining problems."""
