"""Stage 3, retrieve: a question in, ranked passage candidates out.

dense (FAISS / numpy inner product), lexical (BM25), fusion (the hybrid of both,
with each passage's best sentence).
"""
