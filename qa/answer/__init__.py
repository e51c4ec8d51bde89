"""Stage 4, answer: retrieved passages in, picked sentences and the answer text out.

question (one parse of the question: QuestionInfo) -> features (of each candidate
sentence) -> scorer (the learned model: sentence probability, answerability) ->
select (abstain below the threshold, else pick up to three sentences) -> render
(the text with [n] markers).  acronyms: long forms and spell-outs read off the
corpus; explain: why an answer came out as it did (`qa explain`).
"""
