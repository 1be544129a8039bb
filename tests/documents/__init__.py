"""Tests of sos_docs.documents: Word out."""
