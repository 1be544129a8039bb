"""The hot folder: the root's layout, jobs, the journal, the watcher and its workers, logs, checks."""
