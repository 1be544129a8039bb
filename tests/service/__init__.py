"""Tests of sos_docs.service: the hot folder."""
