"""Stage 2, index: cleaned documents in, a stored index generation out.

build (plan, embed, write) -> store (generations, manifest, CURRENT pointer) with the
records of schema; embedding and query_encoder turn text into vectors.  The
PostgreSQL backend (qa/postgres/) writes the same records to a database.
"""
