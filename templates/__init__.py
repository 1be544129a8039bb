"""The default document templates, shipped inside the installed package as sos_docs.templates.

This folder is the one copy of them in the repository: the build maps it into the package
(pyproject.toml) and sos_docs.config finds it from its import spec. Besides this file it
holds only the Word templates and the notes on them.
"""
