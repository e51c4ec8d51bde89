"""Stage 1, ingest: files in, cleaned documents and chunks out.

readers (one file -> RawDocument, per format; encodings, markdown) -> corpus (walk a
folder) -> clean (drop boilerplate, keep offsets; boilerplate learns site furniture)
-> dedup (near-duplicate documents) -> sentences -> chunk (passages for embedding).
"""
